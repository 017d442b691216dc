"""kill -9 of a worker mid-burst loses nothing: every new listing ends embedded and in its unit (invariant 5).

A real `celery worker` subprocess on this test's database and a private Redis db; ~40 s (two worker starts that
each load the text encoder), hence `slow`.
"""

import time

import pytest

from interest_units.models import InterestUnitMember, UnitType
from marketplace.models import Listing
from marketplace.services.listings import listing_create
from outbox.models import OutboxMessage
from tests.factories import UserFactory
from tests.interest_units.conftest import built, catalogue, media  # noqa: F401
from tests.outbox.conftest import celery_use

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), pytest.mark.django_db(transaction=True)]

BURST = 16
LEASE_SECONDS = 6


def _embedded(ids: list[int]) -> int:
    return Listing.objects.filter(pk__in=ids, text_embedding__isnull=False).count()


def _placed(ids: list[int]) -> int:
    return InterestUnitMember.objects.filter(listing_id__in=ids, type=UnitType.SPU).count()


def _poll(condition, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_listings_posted_around_a_killed_worker_are_all_embedded_and_placed(built, catalogue, settings,  # noqa: F811
                                                                            private_broker, worker_start):
    # given: a worker on a real broker, and messages whose lease is short enough for a test
    settings.OUTBOX_LEASE_SECONDS = LEASE_SECONDS
    celery_use(broker_url=private_broker, eager=False)
    first = worker_start()
    nike = catalogue["Nike"][0]
    seller = UserFactory()
    # when: a burst of new listings, and the worker is killed -9 in the middle of it
    ids = [listing_create(seller=seller, title=f"Nike Air Max {90 + i} running shoes", price=80, category=nike.c2,
                          brand=nike.brand).pk for i in range(BURST)]
    assert _poll(lambda: _embedded(ids) >= 2, deadline_s=60), first.log_path.read_text()[-3000:]
    first.kill()
    done_at_kill = _embedded(ids)
    assert done_at_kill < BURST  # the kill really was mid-burst
    second = worker_start()
    # then: everything is done: what was queued by the new worker, the message lost with the old one by the drain
    assert _poll(lambda: _embedded(ids) == BURST and _placed(ids) == BURST and not OutboxMessage.objects.exists(),
                 deadline_s=90), (_embedded(ids), _placed(ids), list(OutboxMessage.objects.values()),
                                  first.log_path.read_text()[-2000:], second.log_path.read_text()[-3000:])
