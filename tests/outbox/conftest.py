"""Outbox fixtures: a tiny interest unit to count into, and a broker of the test's own (a private Redis db)."""

from __future__ import annotations

import os

import pytest
import redis

from config.celery import app as celery_app
from interest_units.models import InterestUnit, InterestUnitMember, UnitDailyStats, UnitType
from marketplace import stack
from marketplace.models import Listing
from outbox.services import breaker
from tests.factories import ListingFactory


@pytest.fixture
def unit_listings() -> list[Listing]:
    """Three listings in one SPU unit, so item events have counters to land in."""
    unit = InterestUnit.objects.create(type=UnitType.SPU, key="test-unit", title="Test unit")
    listings = [ListingFactory() for _ in range(3)]
    InterestUnitMember.objects.bulk_create(
        [InterestUnitMember(unit=unit, listing=listing, type=UnitType.SPU) for listing in listings])
    return listings


def unit_clicks() -> int:
    return sum(UnitDailyStats.objects.values_list("clicks", flat=True))


def counters_match_a_full_recount() -> bool:
    """The incremental counters equal what the periodic full refresh recounts from the event table."""
    from interest_units.services import unit_stats_refresh

    def snapshot() -> list[tuple]:
        return list(UnitDailyStats.objects.order_by("unit_id", "day").values_list(
            "unit_id", "day", "impressions", "clicks", "likes", "cart_adds", "offers", "purchases"))

    before = snapshot()
    unit_stats_refresh()
    return before == snapshot()


def _private_broker_url() -> str:
    """A Redis db no demo worker and no other test process consumes (db 8-15 by pid)."""
    db = 8 + os.getpid() % 8
    if stack.uses_embedded_redis():
        return stack.embedded_redis_url(db=db)
    return os.environ["REDIS_URL"].rstrip("/") + f"/{db}"


def _redis_client(broker_url: str) -> redis.Redis:
    if broker_url.startswith("redis+socket://"):
        path, _, query = broker_url.removeprefix("redis+socket://").partition("?virtual_host=")
        return redis.Redis(unix_socket_path=path, db=int(query or 0))
    return redis.Redis.from_url(broker_url.replace("redis+socket", "unix"))


def celery_use(*, broker_url: str, eager: bool) -> None:
    """Point this process's Celery app at a broker (dropping pooled connections to the old one)."""
    celery_app.conf.broker_url = broker_url
    celery_app.conf.task_always_eager = eager
    celery_app._pool = None  # dropped, not closed: kombu's shared producer pools may still hold it
    celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_restore():
    """Undo `celery_use` and the breaker's state after the test."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    breaker.reset()
    yield
    celery_use(broker_url=saved[0], eager=saved[1])
    breaker.reset()


@pytest.fixture
def private_broker(celery_restore) -> str:
    url = _private_broker_url()
    client = _redis_client(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def broker_queue(private_broker):
    """Read what was published to the private broker's default queue: [(task name, args, outbox id)]."""
    from kombu import Connection

    def read(queue: str = "default") -> list[tuple[str, list, int | None]]:
        messages = []
        with Connection(private_broker) as connection:
            simple = connection.SimpleQueue(queue)
            while True:
                try:
                    message = simple.get(block=True, timeout=0.2)
                except simple.Empty:
                    break
                args, _kwargs, _embed = message.decode()
                messages.append((message.headers["task"], list(args), message.headers.get("outbox_id")))
                message.ack()
            simple.close()
        return messages

    return read


def database_url() -> str:
    """The URL of the database this test runs against (its own test database), for a subprocess."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    options = db.get("OPTIONS") or {}
    host, port = db.get("HOST") or options.get("host", ""), db.get("PORT") or options.get("port", "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{db['NAME']}?host={host}" + (f"&port={port}" if port else "")
    return f"postgresql://{auth}@{host}" + (f":{port}" if port else "") + f"/{db['NAME']}"


class WorkerProcess:
    """A real `celery worker` (its own process group, so kill -9 takes its pool and embedded beat with it)."""

    def __init__(self, *, env: dict[str, str], log_path, name: str, schedule_path) -> None:
        import subprocess
        import sys

        self.log_path = log_path
        # the queues a new listing's tasks go to: indexing on default, its model vectors on nrt
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,nrt", "-c", "1",
                   "-n", name, "-B", "-s", str(schedule_path), "--loglevel", "INFO",
                   "--without-mingle", "--without-gossip", "--without-heartbeat"]
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_ready(self, deadline_s: float = 60) -> None:
        import time

        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if b" ready." in self.log_path.read_bytes():
                return
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            time.sleep(0.1)
        raise AssertionError("the worker did not start:\n" + self.log_path.read_text()[-3000:])

    def kill(self, signum: int = 9) -> None:
        import os

        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def worker_start(transactional_db, private_broker, tmp_path, settings):
    """Start real workers on the test's database and private broker; all are killed at the end."""
    started: list[WorkerProcess] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": private_broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "OUTBOX_LEASE_SECONDS": str(settings.OUTBOX_LEASE_SECONDS),
        "OUTBOX_DRAIN_SECONDS": os.environ.get("OUTBOX_TEST_DRAIN_SECONDS", "2"),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }

    def start() -> WorkerProcess:
        number = len(started) + 1
        worker = WorkerProcess(env=env, log_path=tmp_path / f"worker{number}.log", name=f"outbox-test{number}@%h",
                               schedule_path=tmp_path / f"beat{number}")
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.kill()
