"""Postgres lost under a stats update, past the task's retries: the outbox still delivers it, counters end right."""

import datetime as dt

import psycopg
import pytest
from celery.signals import task_prerun
from django.db import close_old_connections, connection
from django.utils import timezone

from interest_units.tasks import unit_stats_apply_events
from marketplace.models import EventAction
from marketplace.services.events import event_record
from outbox.models import OutboxMessage
from outbox.services import outbox_drain
from tests.factories import UserFactory
from tests.outbox.conftest import counters_match_a_full_recount, database_url, unit_clicks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_lost_under_stats():
    """While `lost["on"]`, each stats task finds its database connection terminated by the server
    (pg_terminate_backend, what a Postgres restart does to every client)."""
    lost = {"on": True, "terminated": 0}

    def terminate(sender=None, **kwargs):
        if not lost["on"] or sender.name != unit_stats_apply_events.name:
            return
        if connection.connection is None or connection.connection.closed:
            return  # already dead: the retry fails on the closed connection
        with psycopg.connect(database_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        lost["terminated"] += 1

    task_prerun.connect(terminate, weak=False, dispatch_uid="test-terminate-backend")
    yield lost
    task_prerun.disconnect(dispatch_uid="test-terminate-backend")
    close_old_connections()


def test_stats_update_lost_with_its_connection_past_retries_is_delivered_by_the_drain(unit_listings,
                                                                                      database_lost_under_stats):
    # given: a click recorded (committed), whose stats task then loses Postgres on every retry
    user = UserFactory()
    event = event_record(user=user, session_id="s1", action=EventAction.ITEM_VIEW, listing_id=unit_listings[0].pk)
    assert database_lost_under_stats["terminated"] == 1
    # when: Postgres is back (a fresh connection) and the message's lease is over
    database_lost_under_stats["on"] = False
    connection.close()
    message = OutboxMessage.objects.get(task=unit_stats_apply_events.name)
    assert message.args == [[event.pk]] and unit_clicks() == 0  # the work was not done, and not lost
    OutboxMessage.objects.update(available_at=timezone.now() - dt.timedelta(seconds=1))
    sent = outbox_drain()
    # then: it is sent, with the viewer's slate refresh that failed on the same lost connection
    assert sent == 2
    assert not OutboxMessage.objects.exists()
    assert unit_clicks() == 1 and counters_match_a_full_recount()
