"""Results on synthetic event logs: intervals that find a real difference and cover a null one, credit rules."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.models import ExperimentState
from experiments.results import experiment_results
from experiments.selectors import arm_for
from experiments.services import experiment_start
from marketplace.models import Event, EventAction, Page
from marketplace.viewers import session_id_for
from tests.experiments.synthetic import log_ab, log_interleaved
from tests.factories import ExperimentFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings():
    return [ListingFactory() for _ in range(30)]


def _started(**fields):
    experiment = ExperimentFactory(**fields)
    return experiment_start(experiment_id=experiment.pk)


def test_when_arm_b_clicks_more_its_ctr_lift_excludes_zero(listings):
    experiment = _started(salt="ab-more")
    log_ab(experiment, listings, viewers=500, click_rates={"control": 0.05, "treatment": 0.12}, seed=1)
    results = experiment_results(experiment=experiment)
    control, treatment = results.arms
    assert control.viewers + treatment.viewers == 500
    assert results.sample_ratio_p > 0.01  # the 50/50 split held
    assert control.impressions == control.viewers * 15 and treatment.impressions == treatment.viewers * 15
    ctr = treatment.metrics["clicks_per_impression"]
    assert ctr.low < ctr.estimate < ctr.high
    assert 0.09 < ctr.estimate < 0.15 and 0.03 < control.metrics["clicks_per_impression"].estimate < 0.07
    lift = treatment.lift["clicks_per_impression"]
    assert lift.low > 0 and not lift.covers(0)
    assert treatment.lift["clicks_per_viewer"].low > 0
    assert "clicks_per_impression" not in control.lift
    # nothing downstream was logged: zero, with a degenerate interval at zero
    assert treatment.counts["purchases"] == 0 and treatment.metrics["purchases_per_viewer"].estimate == 0


def test_when_the_arms_click_alike_the_lift_interval_covers_zero(listings):
    experiment = _started(salt="ab-same")
    log_ab(experiment, listings, viewers=500, click_rates={"control": 0.08, "treatment": 0.08}, seed=2)
    results = experiment_results(experiment=experiment)
    assert results.arms[1].lift["clicks_per_impression"].covers(0)
    assert results.arms[1].lift["clicks_per_viewer"].covers(0)


def test_results_are_reproducible_under_the_seed(listings):
    experiment = _started(salt="ab-seed")
    log_ab(experiment, listings, viewers=100, click_rates={"control": 0.1, "treatment": 0.1}, seed=3)
    first = experiment_results(experiment=experiment, resamples=300, seed=5).as_dict()
    again = experiment_results(experiment=experiment, resamples=300, seed=5).as_dict()
    assert first["arms"] == again["arms"]


def test_interleaving_preference_with_the_sign_test(listings):
    better = _started(kind="interleaving", salt="il-better", arms=[{"name": "a", "recommender": "popularity"},
                                                                   {"name": "b", "recommender": "pwprec"}])
    log_interleaved(better, listings, viewers=300, click_rates={"a": 0.05, "b": 0.15}, seed=4)
    preference = experiment_results(experiment=better).preference
    assert preference.requests == 300 * 4
    assert preference.wins_b > 2 * preference.wins_a
    assert preference.p_value < 0.001
    assert preference.preference.low > 0


def test_interleaving_with_equal_arms_shows_no_preference(listings):
    same = _started(surface="item_rows", kind="interleaving", salt="il-same",
                    arms=[{"name": "a", "recommender": "popularity"}, {"name": "b", "recommender": "pwprec"}])
    log_interleaved(same, listings, viewers=300, click_rates={"a": 0.1, "b": 0.1}, seed=6)
    results = experiment_results(experiment=same)
    preference = results.preference
    assert preference.clicked == preference.wins_a + preference.wins_b + preference.ties > 100
    assert preference.p_value > 0.05
    assert preference.preference.covers(0)
    # each team is credited with about half the positions
    a, b = results.arms
    assert abs(a.impressions - b.impressions) <= 300 * 4  # at most one per response
    assert a.viewers == b.viewers == 300


def test_credit_rules_for_clicks_carts_offers_and_purchases(listings):
    # given a running experiment that started an hour ago, and one signed-in viewer
    experiment = _started(salt="credit", arms=[{"name": "solo", "recommender": "popularity"},
                                               {"name": "other", "recommender": "content"}], weights=[1, 1e-9])
    now = timezone.now()
    experiment.started_at = now - timedelta(hours=1)
    experiment.save(update_fields=["started_at"])
    shopper, bystander = UserFactory(), UserFactory()
    shown, unshown = listings[0], listings[1]
    label = f"{experiment.name}:solo"

    def event(user, listing, action, minutes, request_id=""):
        return Event(user=user, session_id="", listing=listing, action=action, page=Page.VIP, recommender=label,
                     request_id=request_id, created_at=now - timedelta(hours=1) + timedelta(minutes=minutes))

    Event.objects.bulk_create([
        event(shopper, listings[2], EventAction.OFFER_MAKE, 1),  # before it was shown: no credit
        event(shopper, shown, EventAction.OFFER_MAKE, 1),  # before it was shown: no credit
        event(shopper, shown, EventAction.IMPRESSION, 5, "r1"),
        event(shopper, listings[2], EventAction.IMPRESSION, 5, "r1"),
        event(shopper, shown, EventAction.ITEM_VIEW, 6, "r1"),  # a click
        event(shopper, shown, EventAction.ITEM_VIEW, 7, "r1"),  # the same click reloaded: counted once
        event(shopper, unshown, EventAction.ITEM_VIEW, 7, "r1"),  # a view of a listing r1 did not show
        event(shopper, shown, EventAction.ITEM_VIEW, 8, "r2"),  # another request's view
        event(bystander, shown, EventAction.ITEM_VIEW, 8, "r1"),  # someone else's view under the same request id
        event(shopper, shown, EventAction.ITEM_ADD_TO_CART_TAP, 9),  # after it was shown: credited
        event(shopper, unshown, EventAction.ITEM_ADD_TO_CART_TAP, 9),  # never shown: no credit
        event(bystander, shown, EventAction.ITEM_ADD_TO_CART_TAP, 9),  # not shown to them: no credit
        event(shopper, listings[2], EventAction.OFFER_MAKE, 10),  # after it was shown: credited
        event(shopper, shown, EventAction.BUY_COMP, 20),  # within the window: credited
        event(shopper, listings[2], EventAction.BUY_COMP, 200),  # after the window (stopped below): no credit
    ])
    experiment.state = ExperimentState.STOPPED
    experiment.stopped_at = now
    experiment.save(update_fields=["state", "stopped_at"])

    # when
    solo = experiment_results(experiment=experiment).arms[0]

    # then
    assert solo.viewers == 1 and solo.impressions == 2
    assert solo.counts == {"clicks": 1, "carts": 1, "offers": 1, "purchases": 1}
    assert solo.metrics["clicks_per_impression"].estimate == 0.5
    assert solo.requests == 1 and solo.clicked_requests == 1  # r2 showed nothing of this experiment's
    assert solo.metrics["request_ctr"].estimate == 1.0
    assert solo.metrics["purchases_per_viewer"].estimate == 1.0


def test_request_ctr_and_ctr_per_impression_can_disagree_on_which_arm_is_ahead(listings):
    # given a long page (24 listings a response) that gets a click on 60% of its responses, and a short one (6
    # listings) that gets one on 35%: the long page wins per page view but loses per listing logged
    experiment = _started(salt="pages", arms=[{"name": "short", "recommender": "popularity"},
                                              {"name": "long", "recommender": "pwprec"}])
    rng = random.Random(11)
    now = timezone.now()
    events = []
    for v in range(300):
        viewer = session_id_for(f"pages-viewer-{v}")
        arm = arm_for(experiment, viewer)
        size, rate = (24, 0.6) if arm.name == "long" else (6, 0.35)
        for r in range(3):
            request_id = f"v{v}r{r}"
            shown = rng.sample(listings, size)
            events += [Event(session_id=viewer, listing=listing, action=EventAction.IMPRESSION, page=Page.HOME,
                             position=p, recommender=arm.label(experiment.name), request_id=request_id,
                             created_at=now) for p, listing in enumerate(shown)]
            if rng.random() < rate:
                events.append(Event(session_id=viewer, listing=rng.choice(shown[:6]), action=EventAction.ITEM_VIEW,
                                    page=Page.VIP, recommender=arm.label(experiment.name), request_id=request_id,
                                    created_at=now))
    Event.objects.bulk_create(events)

    # when
    short, long = experiment_results(experiment=experiment).arms

    # then
    assert short.requests == 3 * short.viewers and long.requests == 3 * long.viewers
    assert long.clicked_requests == long.counts["clicks"]  # one click per clicked response
    assert 0.5 < long.metrics["request_ctr"].estimate < 0.7 and 0.25 < short.metrics["request_ctr"].estimate < 0.45
    assert long.lift["request_ctr"].low > 0  # ahead per page view
    assert long.lift["clicks_per_impression"].high < 0  # behind per impression: the dilution


def test_a_draft_has_no_results(listings):
    draft = ExperimentFactory()
    results = experiment_results(experiment=draft)
    assert results.window_start is None and results.preference is None
    assert [arm.viewers for arm in results.arms] == [0, 0]
