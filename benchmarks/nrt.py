"""`bench_nrt`: event-to-new-vector latency of the near-real-time user vectors (PWPRec section 5, Figure 7).

eBay's NRT flow: a click reaches the model service within seconds and the user's embedding is rewritten (steps
1A-1C). Here a committed interest event enqueues `recommender.tasks.user_vectors_refresh` (coalesced: one pending
per user) on its own `nrt` queue, a Celery worker recomputes the user's vectors and writes `UserVectors` (Postgres)
and its Redis copy.

The load is open-loop, like `bench_api`: page visit i is *scheduled* at t0 + Exp(rate) gaps for a random user of
the pool and recorded through `events_record`, as the storefront does: the interest event (a view, sometimes a
like / cart / offer) and, in a second insert, the impressions of the rows on that page (which enqueue the
interest-unit counter task on the same queue, as in the demo). The latency of an interest event runs from its
commit (an on-commit hook registered before the service's own) to the moment a poller sees the user's
`UserVectors` row with `events_seen >= event id`, then to the moment the Redis copy equals that row, and to the moment
the user's home slate (`recommender.surfaces`), recomputed by the same task after the vectors, is stored (its
`computed_at` after the commit): the click-to-changed-homepage latency. Without an active version of the model only
the slates are timed.

The run's events use session ids `nrt-bench-<run id>` and are deleted afterwards (unless `keep_events`); the
interest-unit counters and the users' vectors are then recomputed from the remaining events, so the dev data
stays as it was.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction

from marketplace.errors import ApplicationError
from marketplace.models import Event, EventAction, Listing, Page
from marketplace.services.events import EventInput, events_record
from recommender.models import UserVectors
from recommender.serving import loading as serving

TARGET_P95_S = 1.0  # the issues' target: p95 event-to-new-vector, and event-to-new-home-slate, under 1 s
POLL_SECONDS = 0.01
QUEUES = ("default", "nrt")  # counters, embeddings ... / user-vector refreshes (settings.CELERY_TASK_ROUTES)
WORKER_READY_TIMEOUT_S = 60.0
WARMUP_TIMEOUT_S = 300.0  # the worker may first drain a backlog (e.g. an item-vector backfill)
# What a page visit records besides its view: mostly nothing, sometimes a like / cart / offer on the same item.
FOLLOW_UPS: tuple[tuple[str, float], ...] = (
    (EventAction.ITEM_LIKE, 0.08), (EventAction.ITEM_ADD_TO_CART_TAP, 0.04), (EventAction.OFFER_MAKE, 0.02),
)

NO_ACTIVE_VERSION = (
    "No active {space} version: near-real-time vectors are only computed for a served model. Train one first "
    "(manage.py train {space})."
)
NO_USERS = "The database has no users with interactions; create demo data first (manage.py seed_demo)."
NO_LISTINGS = "The database has no active listings; create demo data first (manage.py seed_demo)."
WORKER_FAILED = "The Celery worker did not become ready within {seconds:.0f} s (exit code {code})."
WARMUP_FAILED = "The worker did not refresh a warm-up user's vectors within {seconds:.0f} s; is the queue stuck?"
ARGUMENTS_INVALID = "--users, --rate and --duration must be positive (got {users}, {rate}, {duration})."


@dataclass
class Pending:
    event_id: int
    user_id: int
    committed: float  # time.time() at commit
    stored: float | None = None  # the UserVectors row covering the event was visible
    cached: float | None = None  # the Redis copy equalled that row
    slated: float | None = None  # the user's home slate computed after the event was visible (recommender.surfaces)
    vectors: list | None = None  # the row's vectors when first seen (what Redis must match)


@dataclass
class RunState:
    space: str
    vectors: bool = True  # a version of `space` serves: its vectors are timed too (else the home slate only)
    pending: dict[int, Pending] = field(default_factory=dict)  # event id -> Pending
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    refreshes: set[tuple[int, float]] = field(default_factory=set)  # (user, updated_at) rows seen


# -- the worker ---------------------------------------------------------------------------------------------------
def worker_start(*, name: str, queue: str, torch_threads: int = 1) -> subprocess.Popen:
    """A Celery worker on `queue` (as `make demo` runs it), in its own process group."""
    env = {**os.environ, "OMP_NUM_THREADS": str(torch_threads), "MKL_NUM_THREADS": str(torch_threads)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", f"{name}@%h",
               "--concurrency", "1", "--loglevel", "WARNING"]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, start_new_session=True, stdout=subprocess.DEVNULL)


def worker_wait_ready(process: subprocess.Popen, name: str, timeout: float = WORKER_READY_TIMEOUT_S) -> None:
    from celery import current_app as app  # the project's app (config/celery.py), without importing the layer above

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        replies = app.control.ping(timeout=1.0)
        if any(any(key.startswith(f"{name}@") for key in reply) for reply in replies):
            return
    raise ApplicationError(WORKER_FAILED.format(seconds=timeout, code=process.poll()))


def worker_stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Warm shutdown (SIGTERM), then kill the worker's own process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group holds only this worker and its pool child
    except ProcessLookupError:
        pass
    process.wait(timeout=5)


# -- load ---------------------------------------------------------------------------------------------------------
def _users(n: int, seed: int) -> list:
    from django.contrib.auth import get_user_model

    ids = list(
        Event.objects.filter(user__isnull=False, action=EventAction.ITEM_VIEW)
        .values_list("user_id", flat=True).distinct().order_by("user_id")[:5000]
    )
    if not ids:
        raise ApplicationError(NO_USERS)
    chosen = random.Random(seed).sample(ids, min(n, len(ids)))
    return list(get_user_model().objects.filter(pk__in=chosen))


def _listings(seed: int, n: int = 5000) -> list[int]:
    ids = list(Listing.objects.available_to(None).order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise ApplicationError(NO_LISTINGS)
    return random.Random(seed).sample(ids, min(n, len(ids)))


def _visit(state: RunState, user, session_id: str, listing_id: int, shown: list[int], rng: random.Random) -> None:
    """One view-item page visit: the interest event(s) in one commit, then the page's impressions."""
    actions = [EventAction.ITEM_VIEW]
    for action, probability in FOLLOW_UPS:
        if rng.random() < probability:
            actions.append(action)
    stamp: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.append(time.time()))  # runs before the service's enqueue hooks
        created = events_record(user=user, session_id=session_id, events=[
            EventInput(action=action, listing_id=listing_id, page=Page.VIP) for action in actions
        ])
    newest = max(e.pk for e in created)
    with state.lock:
        state.pending[newest] = Pending(event_id=newest, user_id=user.pk, committed=stamp[0])
    if shown:
        events_record(user=user, session_id=session_id, events=[
            EventInput(action=EventAction.IMPRESSION, listing_id=item, page=Page.VIP, surface="vip-pwprec",
                       position=position, recommender="pwprec")
            for position, item in enumerate(shown)
        ])


# -- observation --------------------------------------------------------------------------------------------------
def _poll(state: RunState) -> None:
    """Until stopped: mark pending events whose vectors are stored, then those whose Redis copy caught up."""
    try:
        while not state.stop.is_set():
            with state.lock:
                waiting = [p for p in state.pending.values() if not _done(state, p)]
            if waiting:
                _poll_once(state, waiting)
            time.sleep(POLL_SECONDS)
    finally:
        connections.close_all()


def _done(state: RunState, p: Pending) -> bool:
    return p.slated is not None and (p.cached is not None or not state.vectors)


def _poll_once(state: RunState, waiting: list[Pending]) -> None:
    unslated = {p.user_id for p in waiting if p.slated is None}
    if unslated:
        with connection.cursor() as cursor:
            cursor.execute("SELECT key, extract(epoch FROM computed_at) FROM recommender_surfaceslate "
                           "WHERE key = ANY(%s)", [[f"home:{user}" for user in unslated]])
            computed = {key: float(at) for key, at in cursor.fetchall()}
        now = time.time()
        for p in waiting:
            if p.slated is None and computed.get(f"home:{p.user_id}", 0.0) >= p.committed:
                p.slated = now
    if not state.vectors:
        return
    unstored = {p.user_id for p in waiting if p.stored is None}
    now = time.time()
    if unstored:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id, events_seen, extract(epoch FROM updated_at) FROM recommender_uservectors "
                "WHERE space = %s AND user_id = ANY(%s)", [state.space, list(unstored)],
            )
            seen = {user: (events, float(updated)) for user, events, updated in cursor.fetchall()}
        for p in waiting:
            if p.stored is None and p.user_id in seen and seen[p.user_id][0] >= p.event_id:
                p.stored = now
                state.refreshes.add((p.user_id, seen[p.user_id][1]))
                p.vectors = UserVectors.objects.filter(user_id=p.user_id, space=state.space).values_list(
                    "vectors", flat=True).first()
    stored = [p for p in waiting if p.stored is not None and p.cached is None]
    if stored:
        keys = {p.user_id: serving._cache_key(state.space, p.user_id) for p in stored}
        copies = cache.get_many(list(keys.values()))
        now = time.time()
        for p in stored:
            copy = copies.get(keys[p.user_id])
            if copy is not None and p.vectors is not None and _same(copy[1], p.vectors):
                p.cached = now
            elif copy is not None and now - p.stored > 0.5:
                # A later refresh replaced both copies before we compared: take the row again.
                p.vectors = UserVectors.objects.filter(user_id=p.user_id, space=state.space).values_list(
                    "vectors", flat=True).first()


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=1e-5))


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    ms = np.asarray(values) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
        "mean_ms": round(float(ms.mean()), 1),
    }


def _queue_length(queue: str = "default") -> int | None:
    from celery import current_app as app  # the project's app (config/celery.py), without importing the layer above

    try:
        with app.connection_for_write() as conn:
            return int(conn.default_channel.client.llen(queue))
    except Exception:
        return None


# -- the run ------------------------------------------------------------------------------------------------------
def nrt_latency_run(
    *,
    users: int = 200,
    rate: float = 5.0,
    duration: float = 60.0,
    impressions: int = 24,
    space: str = "pwprec",
    start_worker: bool = True,
    timeout: float = 30.0,
    keep_events: bool = False,
    seed: int = 0,
    progress: Callable[..., Iterable] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Drive `rate` page visits per second for `duration` seconds over `users` users; the latency summary."""
    if users < 1 or rate <= 0 or duration <= 0:
        raise ApplicationError(ARGUMENTS_INVALID.format(users=users, rate=rate, duration=duration))
    served = serving.served_model(space)
    if served is None:
        log(NO_ACTIVE_VERSION.format(space=space) + " Timing the home slates only.")
    rng = random.Random(seed)
    pool_users = _users(users, seed)
    listings = _listings(seed)
    run_id = uuid.uuid4().hex[:10]
    session_id = f"nrt-bench-{run_id}"
    state = RunState(space=space, vectors=served is not None)
    workers: list[subprocess.Popen] = []
    backlog = {queue: _queue_length(queue) for queue in QUEUES}
    started = time.time()
    try:
        if start_worker:
            for queue in QUEUES:  # one worker per queue, as `make demo` runs them
                log(f"starting a Celery worker on the {queue} queue ({backlog[queue]} messages waiting)")
                name = f"{queue}-bench-{run_id}"
                workers.append(worker_start(name=name, queue=queue))
                worker_wait_ready(workers[-1], name)
        # Warm-up: the worker loads the model on its first task; that load is not part of the steady state.
        log("warm-up: waiting for the worker to load the model and drain any backlog")
        _visit(state, pool_users[0], session_id, listings[0], [], rng)
        poller = threading.Thread(target=_poll, args=(state,), daemon=True)
        poller.start()
        deadline = time.monotonic() + WARMUP_TIMEOUT_S
        while time.monotonic() < deadline and not all(_done(state, p) for p in state.pending.values()):
            time.sleep(0.05)
        if not all(_done(state, p) for p in state.pending.values()):
            raise ApplicationError(WARMUP_FAILED.format(seconds=WARMUP_TIMEOUT_S))
        warmup = [p.slated - p.committed for p in state.pending.values() if p.slated]
        with state.lock:
            state.pending.clear()
            state.refreshes.clear()

        # Open-loop schedule of page visits.
        times, t = [], 0.0
        while True:
            t += rng.expovariate(rate)
            if t >= duration:
                break
            times.append(t)
        plan = [(at, rng.choice(pool_users), rng.choice(listings), rng.sample(listings, impressions)) for at in times]
        wrap = progress or (lambda iterable, **_: iterable)
        t0 = time.monotonic()
        lag = []
        for at, user, listing, shown in wrap(plan, total=len(plan), desc="page visits"):
            wait = t0 + at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            lag.append(max(0.0, -wait))
            _visit(state, user, session_id, listing, shown, rng)
        load_seconds = time.monotonic() - t0

        drain_deadline = time.monotonic() + timeout
        while time.monotonic() < drain_deadline:
            with state.lock:
                left = sum(1 for p in state.pending.values() if not _done(state, p))
            if left == 0:
                break
            time.sleep(0.05)
        state.stop.set()
        poller.join(timeout=5)
    finally:
        state.stop.set()
        for worker in workers:
            worker_stop(worker)
        if workers:
            log(f"{len(workers)} workers stopped")
        cleanup = _cleanup(session_id, [u.pk for u in pool_users], keep_events)

    pending = list(state.pending.values())
    stored = [p.stored - p.committed for p in pending if p.stored is not None]
    cached = [p.cached - p.committed for p in pending if p.cached is not None]
    slated = [p.slated - p.committed for p in pending if p.slated is not None]
    summary = {
        "space": space,
        "version_id": served[0] if served is not None else None,
        "users": len(pool_users),
        "rate_per_s": rate,
        "duration_s": duration,
        "load_seconds": round(load_seconds, 1),
        "page_visits": len(plan),
        "interest_events": len(pending),
        "impressions_per_visit": impressions,
        "events_written": cleanup["events"],
        "schedule_lag_p95_ms": round(float(np.percentile(lag, 95)) * 1000, 1) if lag else None,
        "refreshes_seen": len(state.refreshes),
        "stored": {"n": len(stored), **_percentiles(stored)},
        "cached": {"n": len(cached), **_percentiles(cached)},
        "slate": {"n": len(slated), **_percentiles(slated)},
        "missed": sum(1 for p in pending if not _done(state, p)),
        "warmup_ms": round(warmup[0] * 1000, 1) if warmup else None,
        "queue_backlog_at_start": backlog,
        "workers": "started by bench_nrt: celery -Q default and -Q nrt, --concurrency 1 each, OMP_NUM_THREADS=1"
        if start_worker else "already running",
        "target_p95_ms": TARGET_P95_S * 1000,
        "events_kept": keep_events,
        "seconds": round(time.time() - started, 1),
    }
    timed = [summary["slate"]["p95_ms"]] + ([summary["cached"]["p95_ms"]] if state.vectors else [])
    summary["meets_target"] = summary["missed"] == 0 and all(
        p95 is not None and p95 <= TARGET_P95_S * 1000 for p95 in timed)
    return summary


def _cleanup(session_id: str, user_ids: list[int], keep_events: bool) -> dict[str, int]:
    """Delete the run's events, then recount the interest-unit counters (the periodic full refresh) and the users'
    vectors from what remains (unless `keep_events`)."""
    from interest_units.services import unit_stats_refresh

    events = Event.objects.filter(session_id=session_id)
    count = events.count()
    if keep_events:
        return {"events": count}
    events.delete()
    unit_stats_refresh()
    for user_id in user_ids:
        serving.user_vectors_refresh(user_id=user_id)
    return {"events": count}
