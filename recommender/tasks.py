"""Background entry points of the recommender (near-real-time user vectors, slates, item vectors of served models,
training) and the coalesced requests that enqueue them. Tasks import the services and serving code they run, never
the other way round: what must enqueue a task takes the request as a callback or is called from here."""

from __future__ import annotations

import threading
import time

from celery import shared_task
from celery.signals import celeryd_init, worker_process_init
from django.conf import settings
from django.core.cache import cache

from marketplace.background import enqueue_on_commit
from marketplace.cache import CACHE_ERRORS
from marketplace.models import MODEL_VECTOR_COLUMNS
from recommender.serving import loading as serving
from recommender.serving.slots import SLOTS
from recommender.surfaces.store import PENDING_SECONDS as SLATE_PENDING_SECONDS
from recommender.surfaces.store import slate_pending_key

# Workers of this queue serve models (user vectors, slates): they load the active versions at start. The gpu queue
# (training, embeddings) uses none of them, so its workers stay lean between training runs.
MODEL_QUEUES = {"nrt"}
_worker_queues: set[str] = set()
_slates_requested_here: dict[str, float] = {}  # key -> monotonic time of this process's last request, Redis down


@celeryd_init.connect
def _worker_queues_remember(options: dict | None = None, **kwargs: object) -> None:
    queues = (options or {}).get("queues") or []
    _worker_queues.update(queues.split(",") if isinstance(queues, str) else queues)


@worker_process_init.connect
def _models_preload(**kwargs: object) -> None:
    """A worker of the model queues (or of every queue) starts loading the active checkpoints when it starts, so no
    task waits for one after a restart; a worker of the default queue (counters, indexing) never loads them."""
    if not _worker_queues or _worker_queues & MODEL_QUEUES:
        threading.Thread(target=serving.served_models_preload, name="models-preload", daemon=True).start()


@shared_task(acks_late=True)
def user_vectors_refresh(user_id: int) -> dict[str, int]:
    """Recompute one user's vectors after an interest event (coalesced: one pending per user)."""
    return serving.user_vectors_refresh(user_id=user_id)


def user_vectors_request(*, user_id: int) -> bool:
    """Enqueue a refresh unless one is already pending for this user (coalesces bursts); True when enqueued."""
    if all(serving.served_version(space) is None for space in MODEL_VECTOR_COLUMNS):
        return False
    try:
        first = cache.add(serving.user_vectors_pending_key(user_id), 1, serving.PENDING_SECONDS)
    except CACHE_ERRORS:
        first = True  # no Redis: no coalescing, but the refresh still happens
    if first:
        enqueue_on_commit(user_vectors_refresh, user_id)
    return bool(first)


@shared_task(acks_late=True)
def slate_refresh(key: str) -> int:
    """Recompute a precomputed slate (a viewer's homepage after their events, a listing's or a unit's page)."""
    from recommender.surfaces.refresh import slate_refresh as refresh

    return refresh(key)


def slate_refresh_request(key: str) -> bool:
    """Enqueue the slate's refresh unless one is already pending (coalesces bursts); True when enqueued."""
    try:
        first = cache.add(slate_pending_key(key), 1, SLATE_PENDING_SECONDS)
    except CACHE_ERRORS:  # no Redis: coalesced in this process only (the outbox holds the work until it is back)
        now = time.monotonic()
        first = now - _slates_requested_here.get(key, -SLATE_PENDING_SECONDS) >= SLATE_PENDING_SECONDS
        if first:
            _slates_requested_here[key] = now
    if first:
        enqueue_on_commit(slate_refresh, key)
    return bool(first)


def slate_requests_forget() -> None:
    """Forget this process's refresh requests made while Redis was down (tests: each starts afresh)."""
    _slates_requested_here.clear()


@shared_task(acks_late=True)
def listing_vectors_store(listing_id: int) -> dict[str, int]:
    """A new or edited listing gets its item vector in every served model's space at once, then its page's rows."""
    from recommender.surfaces.refresh import slate_refresh as refresh

    stored = {name: serving.item_vectors_store(name=name, listing_ids=[listing_id])
              for name in MODEL_VECTOR_COLUMNS}
    refresh(f"item:{listing_id}")
    return stored


@shared_task(acks_late=True, outbox_lease=60 * 60)  # minutes for a large catalogue: not re-sent while it runs
def item_vectors_backfill(name: str) -> int:
    """All listings' vectors for a newly activated model version (a job on the status page)."""
    from jobs.models import JobKind
    from jobs.services import job_progress, job_tracked

    with job_tracked(kind=JobKind.BACKFILL, name=f"{name} item vectors") as job:
        written = serving.item_vectors_store(
            name=name, on_batch=lambda done, total: job_progress(job=job, done=done, total=total))
        job_progress(job=job, force=True, done=written, message=f"{written:,} listings")
    return written


def item_vectors_backfill_request(name: str) -> None:
    """After the transaction commits, every listing's vectors for `name`'s newly active version (the callback that
    `recommender.services.model_version_activate` takes)."""
    enqueue_on_commit(item_vectors_backfill, name)


# Training stops by epochs (early stopping); the trainer's wall-clock cap (6 h, recommender.nets.training) is a
# safety net, and the task outlives it (RECOMMENDER_TRAIN_TIME_LIMIT; the broker's visibility timeout outlives both).
# acks_late + reject_on_worker_lost: a worker killed mid-training leaves the message to the broker, which delivers it
# again; the new run goes on from the last finished epoch (resume states, recommender.services.training_jobs).
@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=settings.RECOMMENDER_TRAIN_TIME_LIMIT)
def model_train(name: str, queued_at: float | None = None) -> int | None:
    """Retrain a model on the database's events (the gpu queue); returns the new version's id. Resumes an
    interrupted run of the same model on the same data instead of starting over. A run queued (`queued_at`, epoch
    seconds) before the model's newest version was trained is a duplicate message and trains nothing (None)."""
    from recommender.services import model_train as train
    from recommender.services import training_superseded_skip

    if queued_at is not None and training_superseded_skip(name=name, queued_at=queued_at) is not None:
        return None
    return train(name=name, vectors_backfill=item_vectors_backfill_request).version.pk


@shared_task(ignore_result=True)
def slot_models_retrain() -> list[str]:
    """Beat (`RECOMMENDER_SLOT_RETRAIN_SECONDS`, daily by default): retrain every model that contends for a serving
    slot on the data as it is now; each retrain re-decides its slots, so the surfaces switch from a baseline to the
    model (or back) as the marketplace's data grows. Returns the models queued."""
    names = sorted({name for slot in SLOTS.values() for name in slot.models})
    for name in names:
        # straight to the broker, as `demo` queues training: the outbox would re-send a task that runs for hours
        # after its lease, and a lost message is sent again by tomorrow's beat
        model_train.apply_async(args=[name], kwargs={"queued_at": time.time()})
    return names


@shared_task(ignore_result=True)
def shared_lists_refresh() -> dict[str, int]:
    """Beat: recompute the lists every viewer shares ahead of their expiry, so a request only reads them."""
    from recommender.ranking import units as unit_ranking
    from recommender.serving.shared_lists import shared_list_refresh
    from recommender.surfaces.candidates import POPULAR_LISTINGS
    from recommender.surfaces.compute import POPULAR_UNIT_CARDS

    # in this order: the unit cards are those of the popular units just computed
    lists = (POPULAR_LISTINGS, unit_ranking.POPULAR_UNITS_WEEK, unit_ranking.POPULAR_UNITS, POPULAR_UNIT_CARDS)
    return {shared.name: len(shared_list_refresh(shared)) for shared in lists}
