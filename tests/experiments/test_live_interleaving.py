"""An interleaving experiment on the live home rows: each response's "for you" row is a team draft of the two arms'
rankings, each shown listing's impression names the arm that drafted it, a click is credited to that arm from the
impression log, and no arm (nor the merged row) ever shows a sold, reserved, removed or own listing."""

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from experiments.results import experiment_results
from experiments.selectors import running_experiments_forget
from experiments.services import experiment_create, experiment_start
from marketplace.models import Event, EventAction, ListingStatus, Page
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from recommender.surfaces.store import slate_get
from tests.factories import UserFactory, listing_with_text_vector

pytestmark = pytest.mark.django_db(transaction=True)  # the viewers' refreshes run at commit (eager tasks)

LABELS = ("homeil:popular", "homeil:content")


@pytest.fixture
def market():
    rng = np.random.default_rng(2)
    listings = [listing_with_text_vector(rng) for _ in range(40)]
    viewers = [UserFactory() for _ in range(8)]
    for n, viewer in enumerate(viewers):
        events_record(user=viewer, session_id=f"s{n}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=listings[(n * 5 + j) % 40].pk, page=Page.VIP)
            for j in range(4)])
    experiment = experiment_create(name="homeil", surface="home_rows", kind="interleaving", arms=[
        {"name": "popular", "recommender": "popularity"}, {"name": "content", "recommender": "content"}])
    experiment = experiment_start(experiment_id=experiment.pk)
    running_experiments_forget()
    return listings, viewers, experiment


def _home(viewer, k=6):
    api = APIClient()
    api.force_authenticate(viewer)
    return api.get(reverse("api-home"), {"k": k}).json()


def test_each_shown_listing_is_logged_with_the_arm_that_drafted_it(market):
    listings, viewers, experiment = market
    for viewer in viewers:
        # when: the viewer asks twice (the first answer may still be the slate from before the experiment)
        _home(viewer)
        payload = _home(viewer)
        # then: the first row is the team draft, whose impressions carry the two arms' labels
        row = payload["rows"][0]
        assert row["surface"] == "home_for_you" and row["recommender"] == "homeil"
        impressions = dict(Event.objects.filter(request_id=payload["request_id"], action=EventAction.IMPRESSION,
                                                surface="home_for_you").values_list("listing_id", "recommender"))
        assert [impressions[item["id"]] for item in row["items"]] and set(impressions.values()) <= set(LABELS)
        # and each listing is credited to an arm whose stored ranking holds it
        rankings = slate_get(f"home:{viewer.pk}").extra["interleave"]
        for item in row["items"]:
            assert item["id"] in rankings[LABELS.index(impressions[item["id"]])]


def test_a_click_is_credited_to_its_team_and_decides_the_request(market):
    listings, viewers, experiment = market
    viewer = viewers[0]
    _home(viewer)
    payload = _home(viewer)
    request_id = payload["request_id"]
    shown = Event.objects.filter(request_id=request_id, action=EventAction.IMPRESSION, recommender=LABELS[1])
    clicked = shown.values_list("listing_id", flat=True).first()
    assert clicked is not None, "the content arm drafted none of the row"
    # when: the viewer follows the link of a listing the content arm drafted
    client = Client()
    client.force_login(viewer)
    assert client.get(reverse("listing-detail", args=[clicked]), {"rid": request_id}).status_code == 200
    # then: the click carries the content arm's label, and the request counts as a win for it
    click = Event.objects.get(request_id=request_id, action=EventAction.ITEM_VIEW, listing_id=clicked)
    assert click.recommender == LABELS[1]
    results = experiment_results(experiment=experiment)
    assert results.preference.wins_b == 1 and results.preference.wins_a == 0
    assert [arm.counts["clicks"] for arm in results.arms] == [0, 1]


def test_no_arm_and_no_merged_row_shows_a_sold_reserved_removed_or_own_listing(market):
    listings, viewers, experiment = market
    viewer = viewers[1]
    _home(viewer)
    rankings = slate_get(f"home:{viewer.pk}").extra["interleave"]
    # given: a listing from each arm's ranking becomes unavailable in each way after the slate was stored
    candidates = list(dict.fromkeys([*rankings[0][:4], *rankings[1][:4]]))
    sold, reserved, removed, own = candidates[:4]
    listing_buy(listing_id=sold, buyer=UserFactory())
    type(listings[0]).objects.filter(pk=reserved).update(status=ListingStatus.RESERVED)
    type(listings[0]).objects.filter(pk=removed).update(status=ListingStatus.REMOVED)
    type(listings[0]).objects.filter(pk=own).update(seller=viewer)
    for _ in range(5):
        payload = _home(viewer, k=12)
        shown = {item["id"] for row in payload["rows"] for item in row["items"]}
        assert not shown & {sold, reserved, removed, own}
        logged = set(Event.objects.filter(request_id=payload["request_id"]).values_list("listing_id", flat=True))
        assert not logged & {sold, reserved, removed, own}
