"""Background entry points of the interest-unit app: thin, idempotent, ids in."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import OperationalError

from interest_units import services

log = logging.getLogger(__name__)


@worker_process_init.connect
def _encoder_warm(**kwargs: object) -> None:
    """Load the text encoder when a worker process starts, so the first new listing is placed in ~a second, not
    after a ~10 s model load. `INTEREST_UNITS_WARM_ENCODER=0` turns it off (workers that never index)."""
    if not settings.INTEREST_UNITS_WARM_ENCODER:
        return
    from interest_units.embeddings import texts_embed

    try:
        texts_embed(["warm up"])
    except Exception:  # a worker that cannot load the encoder still serves its other tasks
        log.exception("could not load the text encoder at worker start")


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def listing_index(listing_id: int) -> dict[str, int]:
    """A new or edited listing: embed its text and place it in its units (within ~2 s of the commit)."""
    return services.listing_index(listing_id=listing_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def unit_stats_apply_events(event_ids: list[int]) -> int:
    """Recount the unit counters and user x unit features these committed events touch."""
    return services.unit_stats_apply_events(event_ids=event_ids)


@shared_task(acks_late=True)
def listing_embeddings_backfill(batch_size: int = 256, everything: bool = False) -> int:
    """Embed every listing without an embedding (runs on the gpu queue); resumable, a no-op when all are done."""
    return services.listing_embeddings_backfill(batch_size=batch_size, everything=everything)


@shared_task(acks_late=True)
def listings_place_unplaced() -> int:
    """Catch-up: place listings missing from a unit type (e.g. a lost indexing task)."""
    return services.listings_place_unplaced()


@shared_task(acks_late=True)
def unit_stats_refresh() -> dict[str, int]:
    """Periodic full refresh of unit counters, user x unit features and unit features."""
    return services.unit_stats_refresh()


@shared_task(acks_late=True)
def interest_units_build(types: list[str] | None = None) -> int:
    """Periodic (and admin-triggered) rebuild of every unit type; returns the build id."""
    from jobs.models import JobKind
    from jobs.services import job_tracked

    with job_tracked(kind=JobKind.UNIT_BUILD, name=",".join(types or ["all"])):  # on the admin status page
        return services.interest_units_build(types=types).pk


@shared_task(acks_late=True)
def interest_units_retitle(unit_ids: list[int] | None = None) -> int:
    return services.interest_units_retitle(unit_ids=unit_ids)


IMPRESSIONS_BATCH = 20_000
IMPRESSIONS_SETTLE_SECONDS = 2  # an insert that committed late (a lower id after a higher one) is still read


@shared_task(acks_late=True, ignore_result=True)
def unit_stats_apply_impressions() -> int:
    """Beat, every few seconds: the unit counters of the page impressions written since the last run, in one batch
    (pages write impressions with no task of their own). The last applied id is kept in Redis; when it is lost, the
    run starts from the impressions of the last minutes, and the periodic full refresh recounts the rest."""
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    from marketplace.models import Event, EventAction

    key = "interest_units:impressions-applied-id"
    settled = timezone.now() - dt.timedelta(seconds=IMPRESSIONS_SETTLE_SECONDS)
    impressions = Event.objects.filter(action=EventAction.IMPRESSION, created_at__lt=settled)
    last = cache.get(key)
    if last is None:
        impressions = impressions.filter(created_at__gte=settled - dt.timedelta(minutes=10))
    else:
        impressions = impressions.filter(pk__gt=last)
    ids = list(impressions.order_by("pk").values_list("pk", flat=True)[:IMPRESSIONS_BATCH])
    if ids:
        services.unit_stats_apply_events(event_ids=ids)
        cache.set(key, ids[-1], None)
    return len(ids)
