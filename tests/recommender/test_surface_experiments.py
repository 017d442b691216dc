"""An A/B experiment on the home rows: each signed-in viewer's rows come from their arm and carry its label, the
arm is the same on every request, no arm ever shows a sold or own listing, and the results read the arms back; in
the one-row layout each viewer gets their arm's ranking as one top row above everyone's popular row."""

import numpy as np
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from experiments.results import experiment_results
from experiments.selectors import running_experiments_forget
from experiments.services import experiment_create, experiment_start
from marketplace.models import EventAction, Page
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from tests.factories import UserFactory, listing_with_text_vector

pytestmark = pytest.mark.django_db(transaction=True)  # the viewers' refreshes run at commit (eager tasks)


@pytest.fixture
def market():
    rng = np.random.default_rng(1)
    listings = [listing_with_text_vector(rng) for _ in range(40)]
    viewers = [UserFactory() for _ in range(12)]
    for n, viewer in enumerate(viewers):
        events_record(user=viewer, session_id=f"s{n}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=listings[(n * 3 + j) % 40].pk, page=Page.VIP)
            for j in range(4)])
    return listings, viewers


def test_an_ab_experiment_on_the_home_rows_serves_each_viewer_their_arm(market):
    listings, viewers = market
    # given: content kNN rows against the popular row alone, started after the viewers' slates were computed
    experiment = experiment_create(name="homeab", surface="home_rows", arms=[
        {"name": "control", "recommender": "popularity"}, {"name": "treatment", "recommender": "content"}])
    experiment = experiment_start(experiment_id=experiment.pk)
    running_experiments_forget()
    own = listings[0]
    own.seller = viewers[0]
    own.save(update_fields=["seller"])
    sold = listings[5]
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    # when: every viewer asks for the homepage twice
    arms: dict[int, set[str]] = {}
    for viewer in viewers:
        api = APIClient()
        api.force_authenticate(viewer)
        for _ in range(2):
            payload = api.get(reverse("api-home"), {"k": 6}).json()
            arms.setdefault(viewer.pk, set()).update(row["recommender"] for row in payload["rows"])
            shown = {item["id"] for row in payload["rows"] for item in row["items"]}
            # then: whatever the arm, no sold listing and none of the viewer's own
            assert sold.pk not in shown and not (viewer == viewers[0] and own.pk in shown)
    # then: one arm per viewer on every request (the experiment staled the slates computed before it), both arms
    # used, and the treatment's viewers get personal rows where the control's get the popular row only
    assert all(len(labels) == 1 for labels in arms.values()), arms
    assert {next(iter(labels)) for labels in arms.values()} == {"homeab:control", "homeab:treatment"}
    # and the results read the impressions back per arm
    results = experiment_results(experiment=experiment)
    assert all(arm.impressions > 0 for arm in results.arms)


def test_an_ab_experiment_in_the_one_row_layout_shows_the_arms_ranking_as_one_row(market):
    listings, viewers = market
    # given: the same pair in the layout an interleaving experiment shows
    experiment = experiment_create(name="homerow", surface="home_rows", layout="row", arms=[
        {"name": "control", "recommender": "popularity"}, {"name": "treatment", "recommender": "content"}])
    experiment = experiment_start(experiment_id=experiment.pk)
    running_experiments_forget()
    sold = listings[7]
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    # when: every viewer asks for the homepage twice
    arms: dict[int, set[str]] = {}
    first_rows: dict[str, list[list[int]]] = {}
    for viewer in viewers:
        api = APIClient()
        api.force_authenticate(viewer)
        for _ in range(2):
            rows = api.get(reverse("api-home"), {"k": 6}).json()["rows"]
            # then: one experiment row on top, the popular row below it unlabelled, as under interleaving
            assert [row["recommender"] for row in rows[1:]] == ["popularity"], rows
            arms.setdefault(viewer.pk, set()).add(rows[0]["recommender"])
            first_rows.setdefault(rows[0]["recommender"], []).append([item["id"] for item in rows[0]["items"]])
            assert sold.pk not in {item["id"] for row in rows for item in row["items"]}
    # then: sticky arms, both used; the control's row is the popular row's listings, the treatment's are personal
    assert all(len(labels) == 1 for labels in arms.values()), arms
    assert set(first_rows) == {"homerow:control", "homerow:treatment"}
    assert len({tuple(ids) for ids in first_rows["homerow:control"]}) == 1
    assert len({tuple(ids) for ids in first_rows["homerow:treatment"]}) > 1
    results = experiment_results(experiment=experiment)
    assert all(arm.impressions > 0 for arm in results.arms)
    assert results.as_dict()["layout"] == "row"
