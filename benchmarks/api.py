"""`bench_api`: latency of the recommendation endpoints under a fixed open-loop load, and vector-search recall.

Load is open-loop: request i of a surface is *scheduled* at t0 + i / rps and sent from a thread pool, and its
latency is measured from that scheduled time, so a slow server cannot slow the client down and hide its own
queueing (no coordinated omission). Each surface is driven on its own, one after the other, at the same rate.

Recall@k compares the HNSW search of `nearest_listing_ids` (iterative scans, the status filter applied) with the
exact search over the same filter, for query vectors taken from listings' own text embeddings.

Requests carry the cookie of a session made for the run, so the impressions the API logs for them (under that
visit's stored id) can be told apart from real traffic; they are deleted afterwards unless `keep_events`. Tokens
created for the run are deleted too.
Only loopback servers are ever contacted.
"""

from __future__ import annotations

import ctypes
import ipaddress
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models import Count
from rest_framework.authtoken.models import Token

from interest_units.embeddings import as_vector
from interest_units.models import InterestUnit
from marketplace.errors import ApplicationError
from marketplace.models import Event, Listing, ListingStatus
from marketplace.viewers import session_id_for
from recommender.serving.retrieval import nearest_listing_ids

MAX_RPS = 1000
MAX_DURATION_S = 600
MAX_USERS = 10_000
REQUEST_TIMEOUT_S = 5.0
WARMUP_REQUESTS = 10
SERVER_START_TIMEOUT_S = 90.0
GUNICORN_DESCRIPTION = "gunicorn 2 workers x 4 threads (gthread), settings.local, DEBUG off, started by bench_api"
# DESIGN.md section 8: p99 at 100 requests/s, and recall of the filtered vector search.
TARGET_P99_MS = {"home": 50.0, "item": 50.0, "units": 50.0, "unit_items": 80.0}
TARGET_RECALL = 0.95

RPS_INVALID = "--rps must be a number between 0 (exclusive) and {max}."
DURATION_INVALID = "--duration must be a number of seconds between 0 (exclusive) and {max}."
USERS_INVALID = "--users must be a whole number between 1 and {max}."
URL_NOT_LOOPBACK = "Only loopback servers may be benchmarked (127.0.0.0/8, ::1, localhost); got {url}."
URL_INVALID = "Not an http(s) URL: {url}."
URL_UNREACHABLE = "Cannot reach {url}: {error}."
URL_NOT_MARKETPLACE = "{url} answered HTTP {status} to {path}; is it this marketplace's server?"
NO_USERS = "The database has no users to send requests as; create demo data first (manage.py seed_demo)."
NO_LISTINGS = "The database has no active listings; create demo data first (manage.py seed_demo)."
SERVER_FAILED = "gunicorn did not start ({reason}). Its log ends with:\n{log}"


@dataclass(frozen=True)
class Surface:
    name: str
    path: str  # with {listing_id} / {unit_id} placeholders
    needs: str | None = None  # "listing" or "unit": the ids the path is filled with


SURFACES: tuple[Surface, ...] = (
    Surface("home", "/api/recommendations/home/"),
    Surface("item", "/api/recommendations/item/{listing_id}/", needs="listing"),
    Surface("units", "/api/interest-units/"),
    Surface("unit_items", "/api/interest-units/{unit_id}/items/", needs="unit"),
)


@dataclass
class Sample:
    scheduled: float  # perf_counter() when the request was due
    started: float  # when a pool thread actually sent it
    finished: float
    status: int | None  # None: no HTTP response (timeout, connection error, cancelled)
    error: str | None


# -- validation and the server -----------------------------------------------------------------------------
def bench_arguments_validate(*, rps: float, duration: float, users: int) -> None:
    if not (isinstance(rps, int | float) and math.isfinite(rps) and 0 < rps <= MAX_RPS):
        raise ApplicationError(RPS_INVALID.format(max=MAX_RPS), extra={"rps": rps})
    if not (isinstance(duration, int | float) and math.isfinite(duration) and 0 < duration <= MAX_DURATION_S):
        raise ApplicationError(DURATION_INVALID.format(max=MAX_DURATION_S), extra={"duration": duration})
    if not (isinstance(users, int) and 1 <= users <= MAX_USERS):
        raise ApplicationError(USERS_INVALID.format(max=MAX_USERS), extra={"users": users})


def loopback_url_validate(url: str) -> str:
    """The URL without a trailing slash, if it is http(s) on a loopback address; ApplicationError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApplicationError(URL_INVALID.format(url=url))
    try:
        port = parts.port
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port or 80, type=socket.SOCK_STREAM)}
    except (OSError, ValueError) as error:
        raise ApplicationError(URL_UNREACHABLE.format(url=url, error=error)) from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ApplicationError(URL_NOT_LOOPBACK.format(url=url))
    return url.strip().rstrip("/")


PROBE_PATH = "/api/interest-units/?k=1"


def run_headers(session_key: str) -> dict[str, str]:
    """What every request of a run sends: the run's session cookie (empty without one)."""
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"} if session_key else {}


def server_probe(base_url: str, *, session_key: str = "", timeout: float = REQUEST_TIMEOUT_S) -> None:
    """One request that must answer 200, or a clear ApplicationError."""
    try:
        response = requests.get(base_url + PROBE_PATH, headers=run_headers(session_key), timeout=timeout)
    except requests.RequestException as error:
        raise ApplicationError(URL_UNREACHABLE.format(url=base_url, error=type(error).__name__)) from None
    if response.status_code != 200:
        raise ApplicationError(URL_NOT_MARKETPLACE.format(url=base_url, status=response.status_code, path=PROBE_PATH))


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the bench process dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def gunicorn_server(*, workers: int = 2, threads: int = 4, settings_module: str = "config.settings.local",
                    session_key: str = "", log: Callable[[str], None] = lambda _: None) -> Iterator[str]:
    """Serve this project with gunicorn on a free loopback port, DEBUG off, against the current database; yields
    the base URL and stops the whole process group on exit (also on Ctrl-C)."""
    port = _free_loopback_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "DJANGO_DEBUG": "0"}
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
               "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"]
    with tempfile.TemporaryFile(mode="w+") as server_log:
        process = subprocess.Popen(command, cwd=str(settings.BASE_DIR), env=env, stdin=subprocess.DEVNULL,
                                   stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_die_with_parent)
        try:
            log(f"starting gunicorn ({workers} workers x {threads} threads) on {base_url} ...")
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise ApplicationError(SERVER_FAILED.format(reason=f"exit code {process.returncode}",
                                                                log=_tail(server_log)))
                try:
                    probe = requests.get(base_url + PROBE_PATH, headers=run_headers(session_key),
                                         timeout=REQUEST_TIMEOUT_S)
                    if probe.status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise ApplicationError(SERVER_FAILED.format(reason=f"not ready in {SERVER_START_TIMEOUT_S:.0f} s",
                                                                log=_tail(server_log)))
                time.sleep(0.25)
            yield base_url
        finally:
            _stop_process_group(process)
            log("gunicorn stopped")


def _tail(handle, lines: int = 20) -> str:
    handle.flush()
    handle.seek(0)
    return "\n".join(handle.read().splitlines()[-lines:])


# -- what the requests are made of ---------------------------------------------------------------------------
@dataclass
class BenchIdentities:
    tokens: list[str]
    created_token_ids: list[str]  # tokens made for this run, deleted afterwards
    listing_ids: list[int]
    unit_ids: list[int]


def bench_identities_prepare(*, users: int, seed: int) -> BenchIdentities:
    """Real users (those with events first), a token each, and active listing / live unit ids to request."""
    rng = random.Random(seed)
    user_ids = sorted(set(Event.objects.filter(user_id__isnull=False).values_list("user_id", flat=True).distinct()))
    if len(user_ids) < users:
        user_ids = sorted(set(user_ids) | set(get_user_model().objects.filter(is_active=True)
                                                .values_list("pk", flat=True)[: users * 2]))
    if not user_ids:
        raise ApplicationError(NO_USERS)
    chosen = rng.sample(user_ids, min(users, len(user_ids)))
    existing = dict(Token.objects.filter(user_id__in=chosen).values_list("user_id", "key"))
    created = [Token.objects.create(user_id=user_id).key for user_id in chosen if user_id not in existing]
    tokens = list(existing.values()) + created
    listing_ids = list(Listing.objects.available_to(None).order_by("?")
                       .values_list("pk", flat=True)[:2000])
    if not listing_ids:
        Token.objects.filter(key__in=created).delete()
        raise ApplicationError(NO_LISTINGS)
    unit_ids = list(InterestUnit.objects.filter(retired_at__isnull=True, members__listing__status=ListingStatus.ACTIVE)
                    .distinct().order_by("?").values_list("pk", flat=True)[:500])
    return BenchIdentities(tokens=tokens, created_token_ids=created, listing_ids=listing_ids, unit_ids=unit_ids)


def _request_plan(surface: Surface, identities: BenchIdentities, *, count: int, rng: random.Random,
                  session_key: str) -> list[tuple[str, dict[str, str]]]:
    plan = []
    for _ in range(count):
        path = surface.path.format(listing_id=rng.choice(identities.listing_ids) if identities.listing_ids else 0,
                                   unit_id=rng.choice(identities.unit_ids) if identities.unit_ids else 0)
        headers = {"Authorization": f"Token {rng.choice(identities.tokens)}", **run_headers(session_key)}
        plan.append((path, headers))
    return plan


# -- the open-loop driver -----------------------------------------------------------------------------------
def open_loop_run(base_url: str, plan: Sequence[tuple[str, dict[str, str]]], *, rps: float,
                  timeout: float = REQUEST_TIMEOUT_S, workers: int | None = None) -> list[Sample]:
    """Send plan[i] at t0 + i / rps from a thread pool; every sample's latency counts from its scheduled time.

    Bounded: requests still unanswered `timeout` + 1 s after the last one was due are abandoned (cancelled
    ones count as errors). Ctrl-C cancels what has not been sent and re-raises.
    """
    workers = workers or max(8, min(128, math.ceil(rps * 0.25)))
    samples: list[Sample | None] = [None] * len(plan)
    local = threading.local()

    def send(i: int, scheduled: float) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        path, headers = plan[i]
        started = time.perf_counter()
        try:
            response = session.get(base_url + path, headers=headers, timeout=timeout)
            status, error = response.status_code, None if response.status_code < 400 else f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            status, error = None, type(exc).__name__
        samples[i] = Sample(scheduled, started, time.perf_counter(), status, error)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench")
    futures = []
    t0 = time.perf_counter() + 0.05
    try:
        for i in range(len(plan)):
            scheduled = t0 + i / rps
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send, i, scheduled))
        futures_wait(futures, timeout=max(0.0, t0 + len(plan) / rps + timeout + 1.0 - time.perf_counter()))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    now = time.perf_counter()
    return [s if s is not None else Sample(t0 + i / rps, now, now, None, "not completed")
            for i, s in enumerate(samples)]


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    values = np.asarray(latencies_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": round(float(p50), 2), "p95": round(float(p95), 2), "p99": round(float(p99), 2),
            "max": round(float(values.max()), 2), "mean": round(float(values.mean()), 2)}


def surface_report(surface: Surface, samples: Sequence[Sample], *, rps: float) -> dict:
    """Latency percentiles (responses of any status, from their scheduled time), throughput and error rate."""
    answered = [s for s in samples if s.status is not None]
    ok = [s for s in samples if s.error is None]
    errors = len(samples) - len(ok)
    span = (max(s.finished for s in samples) - min(s.scheduled for s in samples)) if samples else 0.0
    return {
        "path": surface.path,
        "requests": len(samples),
        "ok": len(ok),
        "errors": errors,
        "error_rate": round(errors / len(samples), 4) if samples else None,
        "status_counts": {str(k): v for k, v in sorted(Counter(s.status or "none" for s in samples).items(),
                                                         key=lambda kv: str(kv[0]))},
        "error_kinds": dict(Counter(s.error for s in samples if s.error)),
        "offered_rps": rps,
        "throughput_rps": round(len(ok) / span, 2) if span > 0 else None,
        "latency_ms": latency_summary([(s.finished - s.scheduled) * 1000 for s in answered]),
        "ok_latency_ms": latency_summary([(s.finished - s.scheduled) * 1000 for s in ok]),
        # How late the client itself sent requests (a busy client machine shows here, not as server latency).
        "send_lag_ms": latency_summary([(s.started - s.scheduled) * 1000 for s in samples if s.status is not None]),
        "target_p99_ms": TARGET_P99_MS.get(surface.name),
    }


# -- recall of the filtered vector search -------------------------------------------------------------------
def vector_search_recall(*, queries: int = 200, k: int = 20, seed: int = 0) -> dict:
    """Recall@k of the HNSW search against exact search, both filtered (active only), over listings' own vectors.

    Ties count as hits: a returned listing as close as the exact k-th one is as good an answer (demo data has
    many identical titles, hence identical vectors).
    """
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000.0])
    rows = list(Listing.objects.filter(text_embedding__isnull=False).order_by("?")
                .values_list("pk", "text_embedding")[:queries])
    recalls, approx_ms, exact_ms, short = [], [], [], 0
    returned: set[int] = set()
    for listing_id, embedding in rows:
        vector = as_vector(embedding)
        started = time.perf_counter()
        approx = nearest_listing_ids(vector, k=k, viewer_id=None, exclude_ids=[listing_id])
        approx_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        exact = nearest_listing_ids(vector, k=k, viewer_id=None, exclude_ids=[listing_id], exact=True)
        exact_ms.append((time.perf_counter() - started) * 1000)
        returned.update(i for i, _ in approx)
        if not exact:
            continue
        short += len(approx) < len(exact)
        kth = exact[-1][1]
        exact_ids = {i for i, _ in exact}
        hits = sum(1 for i, d in approx if i in exact_ids or d <= kth + 1e-6)
        recalls.append(min(hits, len(exact)) / len(exact))
    inactive = Listing.objects.filter(pk__in=returned).exclude(status=ListingStatus.ACTIVE).count()
    embedded = Listing.objects.filter(text_embedding__isnull=False)
    return {
        "k": k,
        "queries": len(recalls),
        "recall_at_k": round(float(np.mean(recalls)), 4) if recalls else None,
        "min_recall": round(float(np.min(recalls)), 4) if recalls else None,
        "queries_below_target": sum(r < TARGET_RECALL for r in recalls),
        "queries_with_fewer_results": short,
        "inactive_in_results": inactive,  # must be 0: the filter runs in SQL
        "embedded_listings": embedded.count(),
        "embedded_not_active": embedded.exclude(status=ListingStatus.ACTIVE).count(),
        "approx_ms": latency_summary(approx_ms),
        "exact_ms": latency_summary(exact_ms),
        "target": TARGET_RECALL,
    }


# -- context for the numbers ---------------------------------------------------------------------------------
def data_size() -> dict:
    by_status = dict(Listing.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {
        "listings": sum(by_status.values()),
        "active_listings": by_status.get(ListingStatus.ACTIVE, 0),
        "listings_by_status": by_status,
        "embedded_listings": Listing.objects.filter(text_embedding__isnull=False).count(),
        "events": Event.objects.count(),
        "users": get_user_model().objects.count(),
        "live_interest_units": InterestUnit.objects.filter(retired_at__isnull=True).count(),
    }


def machine_info() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgres": postgres,
        "pgvector": row[0] if row else None,
        "load_average": list(os.getloadavg()),
    }


# -- the whole benchmark -------------------------------------------------------------------------------------
def bench_api_run(
    *,
    rps: float,
    duration: float,
    base_url: str | None = None,
    users: int = 50,
    surfaces: Sequence[str] | None = None,
    recall_queries: int = 200,
    seed: int = 0,
    keep_events: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> dict:
    """Run the benchmark and return its report (a JSON-able dict). Starts and stops gunicorn when no `base_url`."""
    bench_arguments_validate(rps=rps, duration=duration, users=users)
    chosen = [s for s in SURFACES if surfaces is None or s.name in surfaces]
    run_id = uuid.uuid4().hex[:12]
    # A session of the run's own, sent with every request, so the impressions they log can be told apart.
    run_session = SessionStore()
    run_session["bench_run"] = run_id
    run_session.create()
    session_key = run_session.session_key
    identities: BenchIdentities | None = None
    report: dict = {"run_id": run_id, "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        if base_url is not None:
            base_url = loopback_url_validate(base_url)
            server_probe(base_url, session_key=session_key)
        report["config"] = {
            "rps": rps, "duration_s": duration, "users": users, "seed": seed, "timeout_s": REQUEST_TIMEOUT_S,
            "warmup_requests": WARMUP_REQUESTS,
            "server": "external" if base_url else GUNICORN_DESCRIPTION,
            "load": "open loop, one surface at a time, latency from the scheduled send time",
        }
        report["machine"] = machine_info()
        report["data"] = data_size()
        identities = bench_identities_prepare(users=users, seed=seed)
        with nullcontext(base_url) if base_url else gunicorn_server(session_key=session_key, log=log) as url:
            report["config"]["base_url"] = url
            rng = random.Random(seed)
            report["surfaces"] = {}
            for surface in chosen:
                if surface.needs == "unit" and not identities.unit_ids:
                    report["surfaces"][surface.name] = {"path": surface.path, "skipped": "no live interest units"}
                    log(f"{surface.name}: skipped (no live interest units)")
                    continue
                warmup = _request_plan(surface, identities, count=WARMUP_REQUESTS, rng=rng, session_key=session_key)
                with requests.Session() as session:
                    for path, headers in warmup:
                        try:
                            session.get(url + path, headers=headers, timeout=REQUEST_TIMEOUT_S)
                        except requests.RequestException:
                            pass
                plan = _request_plan(surface, identities, count=max(1, round(rps * duration)), rng=rng,
                                     session_key=session_key)
                log(f"{surface.name}: {len(plan)} requests at {rps:g}/s ...")
                samples = open_loop_run(url, plan, rps=rps)
                report["surfaces"][surface.name] = surface_report(surface, samples, rps=rps)
                log(_surface_line(surface.name, report["surfaces"][surface.name]))
        if recall_queries > 0:
            log(f"recall@20 over {recall_queries} query vectors ...")
            report["recall"] = vector_search_recall(queries=recall_queries, seed=seed)
        else:
            report["recall"] = {"skipped": "--recall-queries 0"}
        report["machine"]["load_average_after"] = list(os.getloadavg())
        report["targets_met"] = _targets_met(report)
    finally:
        if identities is not None:
            Token.objects.filter(key__in=identities.created_token_ids).delete()
        written = Event.objects.filter(session_id=session_id_for(session_key))
        report["events_written"] = written.count()
        if not keep_events:
            written.delete()
        run_session.delete()
        report["events_kept"] = keep_events
    return report


def _surface_line(name: str, result: dict) -> str:
    lat = result["latency_ms"]
    return (f"{name:<11} p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms  max {lat['max']} ms  "
            f"{result['throughput_rps']} ok/s  errors {result['error_rate']:.1%}")


def _targets_met(report: dict) -> dict[str, bool | None]:
    met: dict[str, bool | None] = {}
    for name, result in report.get("surfaces", {}).items():
        p99 = result.get("latency_ms", {}).get("p99")
        target = TARGET_P99_MS.get(name)
        met[f"{name}_p99"] = None if p99 is None or target is None else bool(
            p99 <= target and result.get("error_rate") == 0)
    recall = report.get("recall", {}).get("recall_at_k")
    met["recall_at_20"] = None if recall is None else recall >= TARGET_RECALL
    return met


def report_write(report: dict, out: str | Path) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path
