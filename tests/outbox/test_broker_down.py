"""Redis down: requests answer at once, the outbox keeps the work, and the drain delivers it when Redis is back."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from interest_units.tasks import listing_index
from marketplace.models import Listing
from outbox.models import OutboxMessage
from outbox.services import breaker, outbox_drain
from tests.factories import UserFactory, category_path
from tests.outbox.conftest import celery_use, counters_match_a_full_recount, unit_clicks

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings, tmp_path, celery_restore):
    """The broker and the cache point at a socket nobody listens on; the breaker stays open for the whole test."""
    settings.OUTBOX_BREAKER_SECONDS = 600
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"unix://{tmp_path}/no-redis.sock?db=1"}}
    celery_use(broker_url=f"redis+socket://{tmp_path}/no-redis.sock", eager=False)


@pytest.fixture(autouse=True)
def _fresh_cache():  # the suite-wide fixture would touch the (unreachable) cache
    yield


def test_requests_answer_and_the_outbox_keeps_the_work_while_redis_is_down(
        redis_down, unit_listings, private_broker, broker_queue, client, django_capture_on_commit_callbacks):
    # given
    api = APIClient()
    api.force_authenticate(UserFactory())
    leaf = category_path()[2]
    client.force_login(UserFactory())
    # when: 10 new listings and 10 page views, each request committing on its own
    statuses = []
    for i in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(api.post(reverse("api-listing-list"), {"title": f"Canon AE-1 #{i}", "price": "120",
                                                                   "category_id": leaf.pk}, format="json").status_code)
    for i in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(client.get(reverse("listing-detail", args=[unit_listings[i % 3].pk])).status_code)
    # then: every request answered; the broker was tried once, then the breaker skipped it
    assert statuses == [201] * 10 + [200] * 10
    assert (breaker.tries, breaker.failures) == (1, 1)
    pending = OutboxMessage.objects.filter(dead_at__isnull=True)
    new_listings = list(Listing.objects.filter(title__startswith="Canon AE-1").values_list("pk", flat=True))
    assert len(new_listings) == 10
    assert sorted(args[0] for args in pending.filter(task=listing_index.name).values_list("args", flat=True)) == \
        sorted(new_listings)
    assert pending.filter(task="interest_units.tasks.unit_stats_apply_events").count() >= 10
    assert not pending.filter(available_at__gt=timezone.now()).exists()  # all due: the drain sends them next
    assert unit_clicks() == 0

    # when: Redis is back (a live broker), and the drain runs
    celery_use(broker_url=private_broker, eager=False)
    breaker.reset()
    sent = outbox_drain()
    # then: everything pending went to the broker, each message carrying its outbox id
    published = broker_queue("default") + broker_queue("nrt")
    assert sent == pending.count() == len(published)
    assert {outbox_id for _, _, outbox_id in published} == set(pending.values_list("pk", flat=True))

    # when: a worker runs what was published (here: this process, eagerly, with the messages' headers)
    celery_use(broker_url=private_broker, eager=True)
    from config.celery import app

    for name, args, outbox_id in published:
        app.tasks[name].apply(args=args, headers={"outbox_id": outbox_id})
    # then: the work is done and the outbox is empty
    assert not OutboxMessage.objects.exists()
    assert unit_clicks() > 0 and counters_match_a_full_recount()
    assert Listing.objects.filter(pk__in=new_listings, text_embedding__isnull=False).count() == 10

