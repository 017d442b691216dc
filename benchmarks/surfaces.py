"""`bench_surfaces`: what each recommendation surface costs per request, as a multiple of the DRF API root's cost,
measured in one run (DESIGN.md section 8: every surface answers in <= 5 SQL queries and <= 3x the root's CPU).

Requests go in-process through Django's WSGI handler, the object a server calls, so each one splits in two phases
a server also has: until the handler returns the response and its body is read ("in response"), and the
`response.close()` after it, where `PageEventsMiddleware` writes the page's impressions ("after response"). The
figures called "per request" are both phases together: the deferred insert is work the request causes.

Slates: before the run, the slates it reads are computed as the workers keep them in steady state (the viewers'
homepages, the asked-for listings' and units' pages, the shared lists); their compute time per slate is reported.

Viewers: signed-in users (a session made for the run, as the browser's cookie; users with events first, drawn with
the seed) and anonymous visitors (a session of their own, as a returning visitor's cookie). Every (surface, viewer)
cell gets one request per round, in a shuffled order each round, so machine load falls on all of them alike.

CPU per request is this process's `time.process_time()` plus the CPU of its Postgres backend, read from
/proc/<pid>/schedstat (ns) or /proc/<pid>/stat (utime + stime, clock ticks) around each phase; the backend's pid is
`pg_backend_pid()` of the same connection. Where the backend's /proc is not readable (a remote database), the
database part is null and the ratios are of this process's CPU alone. Redis's CPU (cache, throttles, the broker)
is not counted. Events and sessions the run creates are deleted afterwards.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, reset_queries
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from benchmarks.api import data_size, machine_info
from interest_units.models import InterestUnit
from marketplace.errors import ApplicationError
from marketplace.models import Event, Listing
from marketplace.viewers import session_id_for

TARGET_QUERIES = 5
LISTINGS_ASKED = 300  # item pages asked for (their slates are computed before the run)
UNITS_ASKED = 200
TARGET_CPU_RATIO = 3.0
ROOT = "root"
SURFACES: dict[str, str] = {
    ROOT: "/api/",
    "home": "/api/recommendations/home/",
    "item": "/api/recommendations/item/{listing_id}/",
    "units": "/api/interest-units/",
    "unit_items": "/api/interest-units/{unit_id}/items/",
}
VIEWERS = ("signed_in", "anonymous")
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"

NO_DATA = ("bench_surfaces needs users, active listings and live interest units with active items: run "
           "`manage.py seed_demo` and `manage.py build_interest_units` first.")
BAD_STATUS = "GET {path} answered HTTP {status} ({viewer}); the benchmark measures answered requests only."
REQUESTS_INVALID = "--requests must be at least 1, --warmup and --users at least 0 and 1."


@dataclass
class Measurement:
    queries_in_response: int
    queries_after_response: int
    app_in_response_ms: float
    app_after_response_ms: float
    db_in_response_ms: float | None  # None: the backend's CPU could not be read for this request
    db_after_response_ms: float | None


class BackendCpu:
    """CPU time of the Postgres backend serving `connection`, from /proc (the embedded server runs here)."""

    def __init__(self) -> None:
        self._raw: object | None = None
        self.pid: int | None = None
        self.source: str | None = None
        self.unavailable: str | None = None
        self.refresh()
        if self.pid is not None:
            if self._read_ms(self.pid, "schedstat") is not None:
                self.source = "/proc/<pid>/schedstat (ns)"
            elif self._read_ms(self.pid, "stat") is not None:
                self.source = f"/proc/<pid>/stat utime+stime (1/{os.sysconf('SC_CLK_TCK')} s ticks)"
            else:
                self.unavailable = f"/proc/{self.pid} is not readable here (is the database on another machine?)"

    def refresh(self) -> int | None:
        """The current connection's backend pid (asked once per connection); None if it is not a local postgres."""
        connection.ensure_connection()
        if connection.connection is not self._raw:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = int(cursor.fetchone()[0])
            self._raw = connection.connection
            try:
                with open(f"/proc/{pid}/comm") as comm:
                    local = comm.read().strip().startswith("postgres")
            except OSError:
                local = False
            self.pid = pid if local else None
            if not local:
                self.unavailable = f"no local postgres process with the backend's pid {pid} (a remote database?)"
        return self.pid

    def same_connection(self) -> bool:
        return connection.connection is self._raw

    def read(self) -> float | None:
        if self.pid is None or self.source is None:
            return None
        return self._read_ms(self.pid, "schedstat" if self.source.startswith("/proc/<pid>/schedstat") else "stat")

    @staticmethod
    def _read_ms(pid: int, kind: str) -> float | None:
        try:
            with open(f"/proc/{pid}/{kind}") as handle:
                text = handle.read()
            if kind == "schedstat":
                return int(text.split()[0]) / 1e6
            fields = text.rsplit(")", 1)[1].split()  # fields from the 3rd (state) on; the name may hold spaces
            return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None


def _start_response(status: str, headers: list, exc_info: object = None) -> None:
    return None


def request_measure(handler: WSGIHandler, environ: dict, backend: BackendCpu) -> tuple[int, Measurement]:
    """One GET through the handler: (status, its queries and CPU in and after the response)."""
    reset_queries()  # the capture below keeps the log from being reset between requests
    backend.refresh()
    db_before = backend.read()
    with CaptureQueriesContext(connection) as captured:
        app_started = time.process_time()
        response = handler(environ, _start_response)
        b"".join(response)
        app_answered = time.process_time()
        queries_in_response = len(captured)
        db_answered = backend.read() if backend.same_connection() else None
        app_closing = time.process_time()
        response.close()
        app_closed = time.process_time()
    db_after = backend.read() if backend.same_connection() else None
    known = None not in (db_before, db_answered, db_after)
    return response.status_code, Measurement(
        queries_in_response=queries_in_response,
        queries_after_response=len(captured) - queries_in_response,
        app_in_response_ms=(app_answered - app_started) * 1000,
        app_after_response_ms=(app_closed - app_closing) * 1000,
        db_in_response_ms=(db_answered - db_before) if known else None,
        db_after_response_ms=(db_after - db_answered) if known else None,
    )


# -- who asks, and for what ----------------------------------------------------------------------------------
@dataclass
class Visitors:
    cookies: dict[str, list[str]]  # viewer kind -> session cookies
    session_keys: list[str]
    user_ids: list[int]
    listing_ids: list[int]
    unit_ids: list[int]


def visitors_prepare(*, users: int, rng: random.Random) -> Visitors:
    """Sessions for `users` signed-in users (users with events first) and as many anonymous visitors, and the
    listing / unit ids to ask for, all drawn with `rng` from id-sorted lists (the same seed, the same draw)."""
    with_events = list(Event.objects.filter(user_id__isnull=False).order_by("user_id")
                       .values_list("user_id", flat=True).distinct())
    user_ids = rng.sample(with_events, min(users, len(with_events)))
    if len(user_ids) < users:
        others = sorted(set(get_user_model().objects.filter(is_active=True).values_list("pk", flat=True))
                        - set(user_ids))
        user_ids += rng.sample(others, min(users - len(user_ids), len(others)))
    listing_ids = sorted(Listing.objects.available_to(None).values_list("pk", flat=True))
    unit_ids = sorted(InterestUnit.objects.filter(retired_at__isnull=True, active_count__gt=0)
                      .values_list("pk", flat=True))
    if not (user_ids and listing_ids and unit_ids):
        raise ApplicationError(NO_DATA)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    cookies: dict[str, list[str]] = {viewer: [] for viewer in VIEWERS}
    keys = []
    for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk"):
        for viewer in VIEWERS:
            session = store()
            session["bench_surfaces"] = True
            if viewer == "signed_in":  # what login() stores, without its signals (last_login, access logs)
                session[SESSION_KEY] = str(user.pk)
                session[BACKEND_SESSION_KEY] = AUTH_BACKEND
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            keys.append(session.session_key)
            cookies[viewer].append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return Visitors(cookies=cookies, session_keys=keys, user_ids=sorted(user_ids),
                    listing_ids=rng.sample(listing_ids, min(LISTINGS_ASKED, len(listing_ids))),
                    unit_ids=rng.sample(unit_ids, min(UNITS_ASKED, len(unit_ids))))


def slates_precompute(visitors: Visitors, *, progress: Callable[..., Iterable] | None = None) -> dict[str, float]:
    """Compute the slates the run will read, as the workers keep them in steady state (after a viewer's events, a
    listing's creation, a refresh): the signed-in viewers' homepages, the listings' and the units' pages, and the
    lists every viewer shares. Returns how long each kind took per slate (ms, wall time)."""
    from recommender.surfaces.refresh import slate_refresh
    from recommender.tasks import shared_lists_refresh

    shared_lists_refresh()
    keys = {"home": [f"home:{u}" for u in visitors.user_ids], "item": [f"item:{i}" for i in visitors.listing_ids],
            "unit": [f"unit:{u}" for u in visitors.unit_ids]}
    seconds: dict[str, float] = {}
    for kind, names in keys.items():
        started = time.perf_counter()
        for key in progress(names, total=len(names), desc=f"{kind} slates") if progress else names:
            slate_refresh(key)
        seconds[kind] = round((time.perf_counter() - started) * 1000 / max(len(names), 1), 1)
    return seconds


def _environ(surface: str, viewer: str, visitors: Visitors, rng: random.Random) -> dict:
    path = SURFACES[surface].format(listing_id=rng.choice(visitors.listing_ids), unit_id=rng.choice(visitors.unit_ids))
    return RequestFactory().get(path, HTTP_COOKIE=rng.choice(visitors.cookies[viewer]),
                                HTTP_ACCEPT="application/json").environ


# -- summaries -----------------------------------------------------------------------------------------------
def _stats(values: list[float], *, digits: int = 2) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"mean": round(statistics.fmean(values), digits), "median": round(statistics.median(values), digits),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], digits),
            "max": round(ordered[-1], digits)}


def _counts(values: list[int]) -> dict[str, float]:
    return {"median": statistics.median(values), "max": max(values), "min": min(values)}


def cell_summary(measurements: list[Measurement]) -> dict:
    """Queries (median / max) and CPU (mean, median, p95) per request, in and after the response and all-in."""
    ms = measurements
    db = [m for m in ms if m.db_in_response_ms is not None]
    app_cpu = [m.app_in_response_ms + m.app_after_response_ms for m in ms]
    db_cpu = [m.db_in_response_ms + m.db_after_response_ms for m in db]
    app_mean = statistics.fmean(app_cpu)
    db_mean = statistics.fmean(db_cpu) if db_cpu else None
    return {
        "requests": len(ms),
        "queries": _counts([m.queries_in_response + m.queries_after_response for m in ms]),
        "queries_in_response": _counts([m.queries_in_response for m in ms]),
        "queries_after_response": _counts([m.queries_after_response for m in ms]),
        "app_cpu_ms": _stats(app_cpu),
        "app_cpu_ms_in_response": _stats([m.app_in_response_ms for m in ms]),
        "app_cpu_ms_after_response": _stats([m.app_after_response_ms for m in ms]),
        "db_cpu_ms": _stats(db_cpu),
        "db_cpu_ms_in_response": _stats([m.db_in_response_ms for m in db]),
        "db_cpu_ms_after_response": _stats([m.db_after_response_ms for m in db]),
        "db_cpu_requests": len(db),  # requests whose backend CPU was read (a reconnect in between drops one)
        # mean CPU per request, this process + its Postgres backend (this process alone when the backend's is unknown)
        "cpu_ms": round(app_mean + (db_mean or 0.0), 3),
    }


def _ratios(cells: dict[str, dict[str, dict]]) -> None:
    """Each cell's CPU as a multiple of the root's, same viewer kind, all-in and this process alone."""
    for surface in cells.values():
        for viewer, cell in surface.items():
            root = cells[ROOT][viewer]
            cell["x_root"] = round(cell["cpu_ms"] / root["cpu_ms"], 2) if root["cpu_ms"] > 0 else None
            cell["x_root_app_only"] = (round(cell["app_cpu_ms"]["mean"] / root["app_cpu_ms"]["mean"], 2)
                                       if root["app_cpu_ms"]["mean"] > 0 else None)


def targets_met(surfaces: dict[str, dict]) -> dict[str, dict[str, bool | None]]:
    """Per surface, over both viewer kinds: the worst request's queries (all-in and in the response alone) and the
    CPU ratio to the root."""
    met = {}
    for name, surface in surfaces.items():
        cells = [surface[v] for v in VIEWERS]
        ratios = [c["x_root"] for c in cells]
        met[name] = {
            "queries_per_request": all(c["queries"]["max"] <= TARGET_QUERIES for c in cells),
            "queries_in_response": all(c["queries_in_response"]["max"] <= TARGET_QUERIES for c in cells),
            "cpu_ratio": None if None in ratios else all(r <= TARGET_CPU_RATIO for r in ratios),
        }
    return met


# -- the run -------------------------------------------------------------------------------------------------
def bench_surfaces_run(*, requests: int = 50, warmup: int = 3, users: int = 20, seed: int = 0,
                       progress: Callable[..., Iterable] | None = None) -> dict:
    """Measure every surface as both viewer kinds, `requests` times each after `warmup` rounds; see the module
    docstring. Returns a JSON-able report."""
    if requests < 1 or warmup < 0 or users < 1:
        raise ApplicationError(REQUESTS_INVALID)
    rng = random.Random(seed)
    report: dict = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine_info()}
    report["data"] = data_size()
    events_before = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    visitors = visitors_prepare(users=users, rng=rng)
    try:
        report["slate_compute_ms_per_slate"] = slates_precompute(visitors, progress=progress)
        handler = WSGIHandler()
        backend = BackendCpu()
        cells = [(surface, viewer) for surface in SURFACES for viewer in VIEWERS]
        measured: dict[tuple[str, str], list[Measurement]] = {cell: [] for cell in cells}
        rounds = range(warmup + requests)
        for round_ in progress(rounds, total=len(rounds), desc="rounds") if progress else rounds:
            for surface, viewer in rng.sample(cells, len(cells)):
                environ = _environ(surface, viewer, visitors, rng)
                status, measurement = request_measure(handler, environ, backend)
                if status != 200:
                    raise ApplicationError(BAD_STATUS.format(path=environ["PATH_INFO"], status=status, viewer=viewer))
                if round_ >= warmup:
                    measured[(surface, viewer)].append(measurement)
        surfaces = {name: {viewer: cell_summary(measured[(name, viewer)]) for viewer in VIEWERS}
                    for name in SURFACES}
        _ratios(surfaces)
        for name, surface in surfaces.items():
            surface["path"] = SURFACES[name]
        report["config"] = {
            "requests_per_surface_and_viewer": requests, "warmup_rounds": warmup, "users": users, "seed": seed,
            "debug": settings.DEBUG, "settings": settings.SETTINGS_MODULE,
            "client": "in-process django WSGIHandler, round-robin over (surface, viewer), shuffled each round",
            "per_request": "all queries and CPU a request causes: in the response plus after it (response.close(), "
                           "where PageEventsMiddleware writes the impressions); both phases are also reported apart",
            "cpu": "time.process_time() of this process + its Postgres backend's CPU; x_root = mean CPU per request "
                   "/ the API root's (same viewer kind, same run)",
            "backend_cpu_source": backend.source, "backend_cpu_unavailable": backend.unavailable,
        }
        report["surfaces"] = surfaces
        report["targets"] = {"queries": TARGET_QUERIES, "cpu_ratio": TARGET_CPU_RATIO}
        report["targets_met"] = targets_met(surfaces)
        report["machine"]["loadavg_after"] = list(os.getloadavg())
    finally:
        written = Event.objects.filter(pk__gt=events_before,
                                       session_id__in=[session_id_for(key) for key in visitors.session_keys])
        report["events_written_and_deleted"] = written.count()
        written.delete()
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in visitors.session_keys:
            store(session_key=key).delete()
    return report


def report_lines(report: dict) -> list[str]:
    """A table for the terminal: one line per surface and viewer kind."""
    lines = [f"{'surface':<11} {'viewer':<10} {'queries med/max (in resp + after)':>34} {'CPU ms app + db':>17} "
             f"{'x root':>7}"]
    for name, surface in report["surfaces"].items():
        for viewer in VIEWERS:
            c = surface[viewer]
            queries = (f"{c['queries']['median']:g}/{c['queries']['max']} "
                       f"({c['queries_in_response']['median']:g} + {c['queries_after_response']['median']:g})")
            db = f"{c['db_cpu_ms']['mean']:.2f}" if c["db_cpu_ms"] else "?"
            cpu = f"{c['app_cpu_ms']['mean']:.2f} + {db}"
            lines.append(f"{name:<11} {viewer:<10} {queries:>34} {cpu:>17} {c['x_root']!s:>7}")
    return lines
