"""The report command, the admin (list, start / stop, results with plots) and the read API."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from experiments.models import Experiment, ExperimentState
from experiments.services import experiment_start
from tests.experiments.synthetic import log_ab, log_interleaved
from tests.factories import ExperimentFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

INTERLEAVED_ARMS = [{"name": "pop", "recommender": "popularity"}, {"name": "pw", "recommender": "pwprec"}]


@pytest.fixture
def listings():
    return [ListingFactory() for _ in range(15)]


@pytest.fixture
def ab(listings) -> Experiment:
    experiment = experiment_start(experiment_id=ExperimentFactory(name="home-ab", salt="cmd").pk)
    log_ab(experiment, listings, viewers=80, click_rates={"control": 0.05, "treatment": 0.2}, seed=7)
    return experiment


@pytest.fixture
def interleaved(listings) -> Experiment:
    experiment = experiment_start(experiment_id=ExperimentFactory(
        name="item-il", surface="item_rows", kind="interleaving", arms=INTERLEAVED_ARMS, salt="cmd-il",
        primary_metric="preference").pk)
    log_interleaved(experiment, listings, viewers=60, click_rates={"pop": 0.05, "pw": 0.2}, seed=8)
    return experiment


def _report(*args: str) -> str:
    out = io.StringIO()
    call_command("experiment_report", *args, "--resamples", "200", stdout=out)
    return out.getvalue()


def test_report_prints_each_arm_with_intervals_and_the_lift(ab):
    text = _report("home-ab")
    assert "arm control (popularity)" in text and "arm treatment (pwprec)" in text
    assert "* Request CTR (page views with a click)" in text  # the primary metric (the default) is starred
    assert "   CTR (clicks per impression)" in text  # a secondary row
    assert "responses (" in text and "penalises an arm that shows more rows" in text
    assert "vs control:" in text and "[" in text
    assert "bootstrap over viewers (200 resamples, seed 20)" in text
    assert "viewers per arm vs the split (50%, 50%): chi-square p = " in text


def test_report_of_an_interleaving_experiment_gives_the_sign_test(interleaved):
    text = _report("item-il")
    assert "interleaving: 240 responses" in text
    assert "sign test p = " in text and "preference for pw over pop" in text


def test_report_as_json_and_of_an_unknown_experiment(ab):
    assert '"experiment": "home-ab"' in _report("home-ab", "--json")
    with pytest.raises(CommandError, match="No experiment 'nope'"):
        _report("nope")


def test_admin_lists_experiments_and_shows_results_with_plots(admin_client, ab, interleaved):
    listing = admin_client.get("/admin/experiments/experiment/").content.decode()
    assert "home-ab" in listing and "item-il" in listing and "control=popularity (50%)" in listing
    page = admin_client.get(f"/admin/experiments/experiment/{ab.pk}/results/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="experiment-chart"') == 10  # 9 metrics, the primary metric's difference from the control
    assert 'class="whisker"' in html and "difference from control" in html
    html = admin_client.get(f"/admin/experiments/experiment/{interleaved.pk}/results/").content.decode()
    assert "Interleaving preference" in html and "Sign test p =" in html
    assert "Preference for pw over pop" in html


def test_admin_start_and_stop_actions(admin_client):
    experiment = ExperimentFactory(name="by-admin")
    changelist = "/admin/experiments/experiment/"
    admin_client.post(changelist, {"action": "start", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    assert experiment.state == ExperimentState.RUNNING
    # a started experiment's arms can no longer be edited (viewers would change arms mid-way)
    form = admin_client.get(f"{changelist}{experiment.pk}/change/").content.decode()
    assert 'name="arms"' not in form
    admin_client.post(changelist, {"action": "stop", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    assert experiment.state == ExperimentState.STOPPED
    # stopping again is refused with the service's message
    page = admin_client.post(changelist, {"action": "stop", "_selected_action": [experiment.pk]}, follow=True)
    assert "only a running experiment stops" in page.content.decode()


def test_starting_on_a_surface_that_serves_no_arms_warns(admin_client):
    experiment = ExperimentFactory(name="on-units", surface="unit_cards")
    page = admin_client.post("/admin/experiments/experiment/", {"action": "start", "_selected_action": [experiment.pk]},
                             follow=True).content.decode()
    assert "On-units is running, but the interest-unit cards do not serve" in page


def test_admin_add_form_shows_a_validation_error(admin_client):
    page = admin_client.post("/admin/experiments/experiment/add/", {
        "name": "bad", "surface": "home_rows", "kind": "interleaving", "salt": "s", "primary_metric": "preference",
        "arms": '[{"name": "a", "recommender": "popularity"}]', "weights": "[]",
    })
    assert page.status_code == 200
    assert "An interleaving experiment compares exactly two arms; it has 1." in page.content.decode()
    assert not Experiment.objects.filter(name="bad").exists()


def test_results_page_is_for_staff_only(client, ab):
    client.force_login(UserFactory())
    page = client.get(f"/admin/experiments/experiment/{ab.pk}/results/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_api_lists_experiments_and_their_results_for_staff(client, admin_client, ab):
    assert client.get("/api/experiments/").status_code == 403
    listed = admin_client.get("/api/experiments/").json()
    assert [e["name"] for e in listed] == ["home-ab"] and "salt" not in listed[0]
    results = admin_client.get("/api/experiments/home-ab/results/").json()
    assert [arm["name"] for arm in results["arms"]] == ["control", "treatment"]
    ctr = results["arms"][1]["metrics"]["clicks_per_impression"]
    assert ctr["low"] <= ctr["estimate"] <= ctr["high"]
    assert results["arms"][1]["lift"]["clicks_per_impression"]["low"] is not None
    assert admin_client.get("/api/experiments/nope/results/").status_code == 404
