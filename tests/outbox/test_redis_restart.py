"""Redis killed (kill -9) and restarted inside the test: pages and event reports answer while it is down, the
outbox keeps the work, and once Redis is back the drain delivers all of it, including what the dead Redis held."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace import stack
from outbox.models import OutboxMessage
from outbox.services import breaker, outbox_drain
from recommender.tasks import slate_refresh
from tests.factories import UserFactory
from tests.outbox.conftest import celery_use

pytestmark = pytest.mark.django_db


class RedisServer:
    """A Redis of the test's own (the embedded server's binary) on a unix socket, without persistence, as a
    crashed Redis without an append-only file comes back: empty."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [str(stack._redis_binary()), "--port", "0", "--unixsocket", str(self.socket), "--save", "",
             "--appendonly", "no", "--dir", str(self.socket.parent)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the test's Redis did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), db=db)

    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}?virtual_host=0"

    def queued(self) -> int:
        """Messages waiting in the Celery queues."""
        client = self.client()
        return sum(client.llen(queue) for queue in ("default", "nrt", "gpu"))


@pytest.fixture
def redis_server(tmp_path, settings, celery_restore):
    """Broker and cache both on the test's Redis; the breaker, once open, stays open for the test."""
    server = RedisServer(tmp_path / "redis.sock")
    server.start()
    settings.OUTBOX_BREAKER_SECONDS = 600
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"unix://{server.socket}?db=1"}}
    celery_use(broker_url=server.broker_url(), eager=False)
    yield server
    server.kill()


@pytest.fixture(autouse=True)
def _fresh_cache():  # the suite-wide fixture would touch the cache before the test's Redis exists
    yield


def test_a_killed_redis_costs_requests_nothing_and_loses_no_work(redis_server, unit_listings, client,
                                                                 django_capture_on_commit_callbacks):
    # given: a shopper shown the homepage while Redis runs (its work is published into that Redis)
    shopper = UserFactory()
    api = APIClient()
    api.force_authenticate(shopper)
    client.force_login(shopper)
    with django_capture_on_commit_callbacks(execute=True):
        slate = api.get(reverse("api-home")).json()
    shown = [item["id"] for row in slate["rows"] for item in row["items"]]
    assert redis_server.queued() > 0
    # when: Redis is killed, and the shopper views ten pages and reports ten clicks
    redis_server.kill()
    breaker.reset()
    statuses = []
    for i in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(client.get(reverse("listing-detail", args=[unit_listings[i % 3].pk])).status_code)
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(api.post(reverse("api-event-list"), {"events": [
                {"action": "item_view", "listing_id": shown[i % len(shown)], "request_id": slate["request_id"]}]},
                format="json").status_code)
    # then: every request answered, and only the first one tried the broker
    assert statuses == [200, 201] * 10
    assert (breaker.tries, breaker.failures) == (1, 1)
    # when: Redis comes back empty, the leases of what it held run out, and the drain runs
    redis_server.start()
    celery_use(broker_url=redis_server.broker_url(), eager=False)
    breaker.reset()
    OutboxMessage.objects.update(available_at=timezone.now())
    pending = OutboxMessage.objects.filter(dead_at__isnull=True).count()
    sent = outbox_drain()
    # then: all the work, from before and during the outage, is queued again: ten page views, one click per listing
    # shown (the other reports were repeats, stored once and enqueuing nothing), and the slates the pages asked for
    # (coalesced in the process while Redis was down); the impressions' counters are the beat's batch work
    refreshes = sorted(OutboxMessage.objects.filter(task=slate_refresh.name).values_list("args", flat=True))
    # the homepage's own (published into the Redis that died), then once per slate during the outage
    assert refreshes == [[f"home:{shopper.pk}"]] * 2 + [[f"item:{x.pk}"] for x in unit_listings[:3]]
    assert pending == 10 + min(10, len(set(shown))) + len(refreshes)
    assert sent == pending == redis_server.queued()
