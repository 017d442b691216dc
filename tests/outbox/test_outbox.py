"""The outbox's contract: a row with the change, gone when the task succeeds, re-sent after its lease, dead at last."""

import datetime as dt
import logging

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import interest_units.services
from marketplace.models import EventAction, Listing
from marketplace.services.events import event_record
from marketplace.services.listings import listing_create
from outbox.models import OutboxMessage
from outbox.services import outbox_drain
from tests.factories import UserFactory, category_path
from tests.outbox.conftest import unit_clicks

pytestmark = pytest.mark.django_db


def _view(listing, user=None) -> None:
    event_record(user=user or UserFactory(), session_id="s1", action=EventAction.ITEM_VIEW, listing_id=listing.pk)


def _lease_expires() -> None:
    """Time passes: every pending message's lease runs out."""
    OutboxMessage.objects.update(available_at=timezone.now() - dt.timedelta(seconds=1))


@pytest.fixture
def stats_fail(monkeypatch):
    """The stats service raises until the test heals it (a bug, or a database that keeps failing)."""
    healthy = interest_units.services.unit_stats_apply_events

    def broken(**kwargs):
        raise RuntimeError("stats exploded")

    monkeypatch.setattr(interest_units.services, "unit_stats_apply_events", broken)
    return lambda: monkeypatch.setattr(interest_units.services, "unit_stats_apply_events", healthy)


def test_message_is_written_in_the_callers_transaction_and_rolled_back_with_it():
    # given
    seller = UserFactory()
    leaf = category_path()[2]
    # when: the listing and its indexing work are written together, then the transaction fails
    with pytest.raises(RuntimeError), transaction.atomic():
        listing = listing_create(seller=seller, title="Levi's 501 jeans", price=30, category=leaf)
        assert sorted(OutboxMessage.objects.filter(args=[listing.pk]).values_list("task", flat=True)) == [
            "interest_units.tasks.listing_index", "recommender.tasks.listing_vectors_store"]
        raise RuntimeError("the request failed after the insert")
    # then: neither the listing nor its work exist
    assert not Listing.objects.filter(title="Levi's 501 jeans").exists()
    assert not OutboxMessage.objects.exists()


def test_message_is_deleted_when_its_eager_task_succeeds(unit_listings, django_capture_on_commit_callbacks):
    # given
    listing = unit_listings[0]
    # when
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        _view(listing)
    # then: the counters moved and the outbox is empty again, for one single-row insert and one delete per task
    # (the unit counters, and the viewer's slates)
    assert unit_clicks() == 1
    assert not OutboxMessage.objects.exists()
    outbox_sql = [q["sql"] for q in queries.captured_queries if "outbox_outboxmessage" in q["sql"]]
    assert [sql.split()[0] for sql in outbox_sql] == ["INSERT", "INSERT", "DELETE", "DELETE"]


def test_message_stays_pending_with_its_error_when_the_task_fails(unit_listings, stats_fail,
                                                                 django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        _view(unit_listings[0])
    # then
    message = OutboxMessage.objects.get()
    assert message.task == "interest_units.tasks.unit_stats_apply_events"
    assert message.dead_at is None and message.available_at > timezone.now()
    assert message.last_error == "RuntimeError: stats exploded"
    assert unit_clicks() == 0


def test_drain_resends_a_failed_message_only_after_its_lease(unit_listings, stats_fail,
                                                             django_capture_on_commit_callbacks):
    # given: the work failed once, then the cause went away
    with django_capture_on_commit_callbacks(execute=True):
        _view(unit_listings[0])
    stats_fail()  # healed
    # when: the drain runs before the lease is over
    assert outbox_drain() == 0
    # then nothing is sent yet; once the lease is over it is, and the row goes when the task succeeds
    assert OutboxMessage.objects.count() == 1 and unit_clicks() == 0
    _lease_expires()
    assert outbox_drain() == 1
    assert not OutboxMessage.objects.exists()
    assert unit_clicks() == 1


def test_message_is_dead_lettered_after_max_attempts(unit_listings, stats_fail, settings, caplog,
                                                     django_capture_on_commit_callbacks, admin_client):
    # given
    settings.OUTBOX_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        _view(unit_listings[0])
    # when: every re-send fails too
    sends = []
    for _ in range(5):
        _lease_expires()
        sends.append(outbox_drain())
    # then: three re-sends, then given up on, loudly, and visible in the admin
    assert sends == [1, 1, 1, 0, 0]
    message = OutboxMessage.objects.get()
    assert message.dead_at is not None and message.attempts == 3
    assert any(r.levelno == logging.ERROR and "DEAD LETTER" in r.getMessage() for r in caplog.records)
    page = admin_client.get(reverse("admin:outbox_outboxmessage_changelist") + "?state=dead")
    assert page.status_code == 200 and "stats exploded" in page.content.decode()
    # and the admin's "send again" brings it back
    stats_fail()
    admin_client.post(reverse("admin:outbox_outboxmessage_changelist"),
                      {"action": "revive", "_selected_action": [message.pk]})
    assert outbox_drain() == 1
    assert not OutboxMessage.objects.exists() and unit_clicks() == 1


def test_message_for_an_unknown_task_is_dead_at_once():
    # given: a task renamed or removed since the row was written
    OutboxMessage.objects.create(task="gone.tasks.nothing", args=[1], available_at=timezone.now())
    # when
    sent = outbox_drain()
    # then
    message = OutboxMessage.objects.get()
    assert sent == 0 and message.dead_at is not None and "no task named" in message.last_error
