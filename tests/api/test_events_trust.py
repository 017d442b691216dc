"""Client events (POST /api/events/) count only for what the server showed that viewer, once each; the server's own
services write every like, cart add, offer and purchase; no event row holds a session cookie."""

import datetime as dt
import importlib
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import Event, EventAction
from marketplace.services.events import (
    EVENT_ACTION_SERVER_ONLY,
    EVENT_REQUEST_UNKNOWN,
    EventInput,
    client_events_record,
)
from marketplace.viewers import session_id_for
from storefront.api.throttling import EventsIpThrottle
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

EVENTS = reverse("api-event-list")


@pytest.fixture
def listings():
    return [ListingFactory() for _ in range(6)]


def _home(client: APIClient) -> tuple[str, list[int]]:
    """The request id of the caller's home slate and the listings it showed."""
    body = client.get(reverse("api-home")).json()
    return body["request_id"], [item["id"] for row in body["rows"] for item in row["items"]]


def _signed_in(user=None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user or UserFactory())
    return client


def test_a_view_of_a_shown_listing_is_recorded_once_with_the_servers_attribution(listings):
    # given
    client = _signed_in()
    request_id, shown = _home(client)
    impression = Event.objects.get(request_id=request_id, listing_id=shown[2], action=EventAction.IMPRESSION)
    # when: the client reports a click, and a retry of the same post, and an impression the server logged already
    view = {"action": "item_view", "listing_id": shown[2], "request_id": request_id}
    first = client.post(EVENTS, {"events": [view]}, format="json")
    retry = client.post(EVENTS, {"events": [view, {**view, "action": "impression"}]}, format="json")
    # then
    assert first.status_code == 201 and first.json() == {"recorded": 1, "duplicates": 0}
    assert retry.status_code == 201 and retry.json() == {"recorded": 0, "duplicates": 2}
    stored = Event.objects.get(action=EventAction.ITEM_VIEW)
    assert (stored.surface, stored.position, stored.recommender) == (
        impression.surface, impression.position, impression.recommender)


@pytest.mark.parametrize("action", ["buy_comp", "buy_start", "item_like", "item_add_to_cart_tap", "offer_make",
                                    "search"])
def test_actions_the_server_performs_cannot_be_posted(listings, action):
    client = _signed_in()
    request_id, shown = _home(client)
    before = Event.objects.count()
    response = client.post(EVENTS, {"events": [{"action": action, "listing_id": shown[0], "request_id": request_id}]},
                           format="json")
    assert response.status_code == 400
    assert response.json()["events"]["0"]["action"] == [
        EVENT_ACTION_SERVER_ONLY.replace("{action!r}", f'"{action}"')]
    assert Event.objects.count() == before


def test_a_listing_must_have_been_shown_to_this_viewer_recently(listings):
    # given: two viewers, each with a slate
    alice, bob = _signed_in(), _signed_in()
    alice_request, alice_shown = _home(alice)
    not_shown = ListingFactory(seller=UserFactory())
    before = Event.objects.count()

    def post(client, listing_id, request_id):
        return client.post(EVENTS, {"events": [{"action": "item_view", "listing_id": listing_id,
                                                "request_id": request_id}]}, format="json")

    # when / then: another viewer's request id, a listing the request did not show, a made-up request id
    refused = [post(bob, alice_shown[0], alice_request), post(alice, not_shown.pk, alice_request),
               post(alice, alice_shown[0], "f" * 32)]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert refused[1].json()["detail"] == EVENT_REQUEST_UNKNOWN.format(request_id=alice_request,
                                                                       listing_id=not_shown.pk)
    # an hour later the request has expired
    Event.objects.filter(request_id=alice_request).update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert post(alice, alice_shown[0], alice_request).status_code == 400
    assert Event.objects.count() == before
    # a batch with one bad event stores nothing
    request_id, shown = _home(alice)
    batch = [{"action": "item_view", "listing_id": shown[0], "request_id": request_id},
             {"action": "item_view", "listing_id": not_shown.pk, "request_id": request_id}]
    assert alice.post(EVENTS, {"events": batch}, format="json").status_code == 400
    assert not Event.objects.filter(action=EventAction.ITEM_VIEW).exists()


def test_an_anonymous_viewer_reports_under_its_own_visit_only(listings):
    # given: an anonymous client that keeps its cookie
    visitor = APIClient()
    request_id, shown = _home(visitor)
    view = {"events": [{"action": "item_view", "listing_id": shown[0], "request_id": request_id}]}
    # when: it reports a view; a client without that cookie reports the same
    mine = visitor.post(EVENTS, view, format="json")
    stranger = APIClient().post(EVENTS, view, format="json")
    # then
    assert mine.status_code == 201 and mine.json()["recorded"] == 1
    assert stranger.status_code == 400
    key = visitor.cookies["sessionid"].value
    assert set(Event.objects.values_list("session_id", flat=True)) == {session_id_for(key)}


def test_no_event_row_holds_a_session_cookie(client, listings):
    # given: an anonymous visit, then the same browser signed in (a new session key), across pages and the API
    client.get(reverse("home"))
    client.get(reverse("listing-detail", args=[listings[0].pk]))
    keys = [client.cookies["sessionid"].value]
    client.force_login(UserFactory())
    client.get(reverse("home"))
    client.get(reverse("api-home"))
    keys.append(client.cookies["sessionid"].value)
    # then: every stored id is a visit's hash, never a cookie
    stored = set(Event.objects.values_list("session_id", flat=True))
    assert stored == {session_id_for(key) for key in keys}
    assert not stored & set(keys) and not stored & set(Session.objects.values_list("session_key", flat=True))


def test_the_migration_replaces_stored_session_keys_by_their_hash(listings):
    # given: rows written before the change, with a raw session key, and a demo session id
    key = "abcdefghijklmnopqrstuvwxyz012345"
    for session in (key, "123"):
        Event.objects.create(session_id=session, listing=listings[0], action=EventAction.ITEM_VIEW,
                             created_at=timezone.now())
    migration = importlib.import_module("marketplace.migrations.0005_event_session_ids_hashed")
    # when
    migration.hash_stored_session_keys(apps, SimpleNamespace(connection=connection))
    # then
    assert sorted(Event.objects.values_list("session_id", flat=True)) == sorted([session_id_for(key), "123"])


def test_event_reports_are_bounded_per_address(listings, monkeypatch):
    monkeypatch.setattr(EventsIpThrottle, "THROTTLE_RATES", {**EventsIpThrottle.THROTTLE_RATES, "events_ip": "3/min"})
    client = _signed_in()
    request_id, shown = _home(client)
    codes = [
        client.post(EVENTS, {"events": [{"action": "item_view", "listing_id": shown[0], "request_id": request_id}]},
                    format="json").status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]


def test_the_item_page_credits_a_click_only_to_a_request_that_showed_it(client, listings):
    # given: a signed-in shopper who was shown the homepage
    client.force_login(UserFactory())
    client.get(reverse("home"))
    impression = Event.objects.filter(action=EventAction.IMPRESSION).first()
    page = reverse("listing-detail", args=[impression.listing_id])
    # when: they follow the link; then someone edits the link to credit another recommender and request
    client.get(f"{page}?src=home_for_you&pos=7&rec=made_up&rid={impression.request_id}")
    client.get(f"{page}?src=home_for_you&pos=0&rec=made_up&rid={'e' * 32}")
    # then
    first, second = Event.objects.filter(action=EventAction.ITEM_VIEW).order_by("pk")
    assert (first.surface, first.position, first.recommender, first.request_id) == (
        impression.surface, impression.position, impression.recommender, impression.request_id)
    assert (second.surface, second.position, second.recommender, second.request_id) == ("", None, "", "")


@pytest.mark.django_db(transaction=True)
def test_the_same_view_posted_by_ten_threads_at_once_is_stored_once(listings):
    # given: a viewer with a slate, ten threads ready to report the same click
    viewer = UserFactory()
    request_id, shown = _home(_signed_in(viewer))
    view = EventInput(action=EventAction.ITEM_VIEW, listing_id=shown[0], request_id=request_id)
    start = threading.Barrier(10)
    results, failures = [], []

    def report():
        try:
            start.wait()
            results.append(client_events_record(user=viewer, session_id="", events=[view]).recorded)
        except Exception as error:  # anything else is a bug the test must show
            failures.append(repr(error))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=report) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert not failures
    assert sorted(results) == [0] * 9 + [1]
    assert Event.objects.filter(action=EventAction.ITEM_VIEW).count() == 1
