"""Page events are written after the response is sent, and a logging failure never breaks a page."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Event, EventAction
from tests.factories import ListingFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection")]


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI handler directly would close the test's connection (and its transaction) at each request
    boundary; Django's test client avoids that the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _serve(path: str):
    """Call the WSGI application as a server does, without closing the response yet."""
    environ = RequestFactory().get(path).environ
    return WSGIHandler()(environ, lambda status, headers, exc_info=None: None)


def test_home_events_are_written_when_the_response_is_closed():
    listings = [ListingFactory() for _ in range(3)]
    response = _serve(reverse("home"))
    assert response.status_code == 200
    assert not Event.objects.exists()  # nothing written while the visitor waits
    response.close()  # the server has sent the body
    shown = set(Event.objects.filter(action=EventAction.IMPRESSION).values_list("listing_id", flat=True))
    assert shown == {x.pk for x in listings}


def test_a_page_whose_events_cannot_be_written_still_answers():
    listing = ListingFactory()
    _serve(reverse("listing-detail", args=[listing.pk])).close()
    assert Event.objects.filter(action=EventAction.ITEM_VIEW, listing=listing).count() == 1
    # The listing is deleted between the render and the deferred insert: the batch is rejected, the page is not.
    response = _serve(reverse("listing-detail", args=[listing.pk]))
    listing.delete()
    response.close()
    assert response.status_code == 200
    assert not Event.objects.exists()


def test_bench_pages_reports_both_modes_and_cleans_up(capsys):
    user = UserFactory()
    listing = ListingFactory()
    Event.objects.create(user=user, session_id="s", listing=listing, action=EventAction.ITEM_VIEW,
                         created_at=timezone.now())
    from interest_units.models import InterestUnit

    unit = InterestUnit.objects.create(type="semantic", key="test-unit", title="Test unit", active_count=1)
    unit.members.create(listing=listing, type="semantic")
    before = Event.objects.count()
    call_command("bench_pages", "--requests", "3", "--pages", "home,item,unit")
    out = capsys.readouterr().out
    assert "insert after it" in out and "home" in out and "unit" in out and "left inside the request" in out
    assert Event.objects.count() == before  # the run's events are deleted
