"""Serving follows the evidence: per serving slot, the contender that wins on the slot's validation data serves it.
`train` stores the choice (ties go to the baseline), activates a version only when it wins a slot (or is forced),
the surfaces read the choice, and a new choice stales the slates computed under the old one."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import Event, EventAction, Listing
from recommender.models import ModelVersion, SurfaceChoice
from recommender.services import evaluation_data_from_db, model_train
from recommender.services import training as training_service
from recommender.services.surface_choices import slot_decisions_make, surface_choices_store
from recommender.serving import loading
from recommender.serving.slots import SLOTS, slot_source, slot_winner, slots_of_model
from recommender.surfaces.candidates import ViewerHistory
from recommender.surfaces.compute import home_compute, item_compute, item_for_viewer_compute
from recommender.surfaces.store import slate_is_stale
from recommender.surfaces.types import StoredSlate
from tests.factories import UserFactory
from tests.recommender.served import listings_with_text_vectors


# -- the decision rule ------------------------------------------------------------------------------------------------
def test_the_best_measured_contender_wins_and_a_tie_goes_to_the_baseline():
    slot = SLOTS["vip_for_you"]
    assert slot_winner(slot, {"cooccurrence": 0.30, "content": 0.10, "pwprec": 0.31}) == "pwprec"
    assert slot_winner(slot, {"cooccurrence": 0.30, "content": 0.10, "pwprec": 0.30}) == "cooccurrence"
    assert slot_winner(slot, {"cooccurrence": None, "content": 0.10, "pwprec": None}) == "content"
    assert slot_winner(slot, {"cooccurrence": None, "content": None, "pwprec": None}) is None


def test_forcing_makes_the_model_win_every_slot_and_says_so():
    values = {"home_for_you": {"popularity": 0.5, "content": 0.4, "pwprec": 0.1},
              "vip_for_you": {"cooccurrence": 0.5, "content": 0.4, "pwprec": 0.1}}
    honest = slot_decisions_make(name="pwprec", values_by_slot=values)
    forced = slot_decisions_make(name="pwprec", values_by_slot=values, force=True)
    assert [(d.winner, d.forced) for d in honest] == [("popularity", False), ("cooccurrence", False)]
    assert [(d.winner, d.measured_winner, d.forced) for d in forced] == [
        ("pwprec", "popularity", True), ("pwprec", "cooccurrence", True)]


def test_slots_name_only_contenders_a_surface_can_serve():
    assert {slot.name for slot in slots_of_model("pwprec")} == {"home_for_you", "vip_for_you"}
    assert [slot.name for slot in slots_of_model("mercatran")] == ["home_next_up"]
    assert not any("sknn" in slot.contenders for slot in SLOTS.values())
    # a chosen model that no longer serves falls back to today's rule (None); a chosen baseline always serves
    assert slot_source(SLOTS["vip_for_you"], "pwprec", served=set()) is None
    assert slot_source(SLOTS["vip_for_you"], "pwprec", served={"pwprec"}) == "pwprec"
    assert slot_source(SLOTS["vip_for_you"], "cooccurrence", served={"pwprec"}) == "cooccurrence"


# -- the database -----------------------------------------------------------------------------------------------------
@pytest.fixture
def shop(db, tmp_path, settings):
    """40 listings with text vectors; 12 shoppers who each browse 5 listings of their own neighbourhood every day
    for 6 days (a time split leaves test sessions with history before them)."""
    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    start = timezone.now() - timedelta(days=7)
    listings = listings_with_text_vectors(40)
    Listing.objects.update(created_at=start - timedelta(days=30))  # on sale for the whole log
    users = [UserFactory() for _ in range(12)]
    rows = []
    for day in range(6):
        for u, user in enumerate(users):
            for step in range(5):
                rows.append(Event(user=user, session_id=f"s{day}-{u}", listing=listings[(u * 3 + day + step) % 40],
                                  action=EventAction.ITEM_VIEW, page="vip",
                                  created_at=start + timedelta(days=day, minutes=u * 10 + step)))
    Event.objects.bulk_create(rows)
    yield listings, users
    loading.served_models_forget()


def _backfill_now(name: str) -> None:
    loading.item_vectors_store(name=name)


def _train_pwprec(tmp_path, *, force: bool = False):
    return model_train(name="pwprec", force=force, epochs=1, out_dir=tmp_path, resume=False,
                       vectors_backfill=_backfill_now)


def _with_slot_values(monkeypatch, values: dict[str, dict[str, float | None]]) -> None:
    """`train` measures these values instead of evaluating (the decision is what is tested)."""
    monkeypatch.setattr(training_service, "_slot_values", lambda **kwargs: values)


def _viewer_pages(listings, user) -> tuple[StoredSlate, StoredSlate | None]:
    loading.user_vectors_refresh(user_id=user.pk)
    history = ViewerHistory.read(user.pk)
    base = item_compute(listing=listings[0])
    return home_compute(history=history), item_for_viewer_compute(listing_id=listings[0].pk, history=history,
                                                                  base=base)


def _labels(slate: StoredSlate, surface: str) -> set[str]:
    return {row.recommender for row in slate.rows if row.surface == surface}


def test_a_model_that_wins_home_but_loses_vip_serves_home_rows_only(shop, tmp_path, monkeypatch):
    listings, users = shop
    _with_slot_values(monkeypatch, {"home_for_you": {"popularity": 0.1, "content": 0.2, "pwprec": 0.3},
                                    "vip_for_you": {"cooccurrence": 0.5, "content": 0.2, "pwprec": 0.4}})
    # when
    result = _train_pwprec(tmp_path)
    # then: active, chosen for the home rows only
    assert result.activated and result.won_slots == ["home_for_you"]
    choices = {c.slot: c for c in SurfaceChoice.objects.all()}
    assert (choices["home_for_you"].winner, choices["home_for_you"].version_id) == ("pwprec", result.version.pk)
    assert (choices["vip_for_you"].winner, choices["vip_for_you"].version_id) == ("cooccurrence", None)
    home, item = _viewer_pages(listings, users[0])
    assert _labels(home, "home_for_you") == {"pwprec"}
    assert home.extra["choices"] == {"home_for_you": "pwprec", "home_next_up": None}
    assert item is not None and "vip_for_you" not in {row.surface for row in item.rows}
    assert {row.surface for row in item.rows} >= {"vip_similar", "vip_cooccurrence"}


def test_forced_then_outscored_everywhere_the_baselines_serve_while_the_old_version_stays_active(
        shop, tmp_path, monkeypatch):
    listings, users = shop
    losing = {"home_for_you": {"popularity": 0.1, "content": 0.3, "pwprec": 0.2},
              "vip_for_you": {"cooccurrence": 0.5, "content": 0.2, "pwprec": 0.4}}
    _with_slot_values(monkeypatch, losing)
    # given: a forced version, which serves both its slots (recorded as forced), and the command says so
    out = StringIO()
    call_command("train", "pwprec", "--force", "--epochs", "1", "--out-dir", str(tmp_path), "--no-progress",
                 "--no-resume", stdout=out, stderr=StringIO())
    forced = ModelVersion.objects.get(name="pwprec")
    assert forced.is_active
    assert {(c.slot, c.winner, c.forced) for c in SurfaceChoice.objects.all()} == {
        ("home_for_you", "pwprec", True), ("vip_for_you", "pwprec", True)}
    text = out.getvalue()
    assert "serving slots (* serves it):" in text
    assert "home_for_you  home recall@20: popularity 0.1000, content 0.3000, *pwprec 0.2000 (forced)" in text
    assert f"#{forced.pk} is now active (forced), serving home_for_you, vip_for_you" in text
    home, item = _viewer_pages(listings, users[0])
    assert _labels(home, "home_for_you") == {"pwprec"} and item is not None
    assert item.rows[0].surface == "vip_for_you" and item.rows[0].recommender == "pwprec"
    # when: a new version loses every slot
    result = _train_pwprec(tmp_path)
    # then: it stays inactive, the forced one still serves, and the pages are the winning baselines'
    assert not result.activated and result.won_slots == []
    forced.refresh_from_db()
    assert forced.is_active
    assert {c.slot: c.winner for c in SurfaceChoice.objects.all()} == {"home_for_you": "content",
                                                                      "vip_for_you": "cooccurrence"}
    home, item = _viewer_pages(listings, users[0])
    assert _labels(home, "home_for_you") == {"content"}
    assert item is not None and "vip_for_you" not in {row.surface for row in item.rows}
    assert home.versions.get("pwprec") == forced.pk  # computed under the served version: not stale for it


def test_popularity_chosen_for_the_home_rows_leaves_only_the_shared_row(shop, tmp_path, monkeypatch):
    listings, users = shop
    _with_slot_values(monkeypatch, {"home_for_you": {"popularity": 0.4, "content": 0.3, "pwprec": 0.2},
                                    "vip_for_you": {"cooccurrence": 0.1, "content": 0.2, "pwprec": 0.4}})
    result = _train_pwprec(tmp_path)
    assert result.activated and result.won_slots == ["vip_for_you"]
    home, item = _viewer_pages(listings, users[0])
    assert _labels(home, "home_for_you") == set()  # no personal "for you" rows: the popular row stands for them
    assert _labels(home, "home_next_up") == {"cooccurrence"}
    assert item is not None and item.rows[0].recommender == "pwprec"


def test_train_stores_the_best_measured_contender_per_slot(shop, tmp_path):
    # a real training and real evaluations on the test database's events
    result = _train_pwprec(tmp_path)
    version = ModelVersion.objects.get(pk=result.version.pk)
    choices = {c.slot: c for c in SurfaceChoice.objects.all()}
    assert set(choices) == {"home_for_you", "vip_for_you"}
    for slot_name, choice in choices.items():
        slot = SLOTS[slot_name]
        assert set(choice.values) == set(slot.contenders) and (choice.protocol, choice.metric) == (slot.protocol,
                                                                                                   slot.metric)
        measured = {name: value for name, value in choice.values.items() if value is not None}
        best = max(measured.values())
        assert best > 0  # the shop's loops are learnable: a real comparison, not a tie of zeros
        # the argmax of the stored values; a tie goes to the baseline
        tied = [name for name in slot.contenders if measured.get(name) == best]
        assert choice.winner == tied[0] and not choice.forced
        assert version.metrics["slots"][slot_name]["winner"] == choice.winner
    assert version.is_active == ("pwprec" in {c.winner for c in choices.values()})
    assert "home" in version.metrics and "vip" in version.metrics  # the model's own metrics on each protocol


def test_the_next_up_slot_can_be_measured_for_its_baselines(shop):
    data = evaluation_data_from_db(action="train")
    slot = SLOTS["home_next_up"]
    values = training_service.baseline_metrics(data=data, protocol=slot.protocol, metric=slot.metric,
                                               names=slot.baselines)
    assert set(values) == {"popularity", "cooccurrence"} and all(v is not None for v in values.values())


# -- reading choices and stale slates ---------------------------------------------------------------------------------
def _decide(slot: str, values: dict[str, float | None]) -> None:
    version = ModelVersion.objects.create(name="pwprec", metrics={})
    surface_choices_store(decisions=slot_decisions_make(name="pwprec", values_by_slot={slot: values}),
                          version=version, dataset="db", data_window={})


@pytest.mark.django_db
def test_choices_are_read_with_the_active_versions_in_one_query():
    _decide("home_for_you", {"popularity": 0.1, "content": 0.3, "pwprec": 0.2})
    ModelVersion.objects.create(name="popularity", checkpoint="p.pt", is_active=True, metrics={})
    loading.served_models_forget()
    with CaptureQueriesContext(connection) as captured:
        choices = loading.served_choices()
        active = loading._versions_active(max_age=loading.ACTIVE_CHECK_SECONDS)
    assert choices == {"home_for_you": "content"} and set(active) == {"popularity"}
    assert len(captured.captured_queries) == 1


@pytest.mark.django_db
def test_a_new_choice_stales_the_slates_computed_under_the_old_one():
    # given: a home slate computed with no choice for its slots, then one under a choice
    now = timezone.now().timestamp()
    before = StoredSlate(extra={"choices": {"home_for_you": None, "home_next_up": None}}, computed_at=now)
    unrelated = StoredSlate(computed_at=now)  # a listing's shared slate does not depend on a choice
    assert not slate_is_stale(before, max_age=60, now=now)
    # when
    _decide("home_for_you", {"popularity": 0.1, "content": 0.3, "pwprec": 0.2})
    # then
    assert slate_is_stale(before, max_age=60, now=now)
    assert not slate_is_stale(unrelated, max_age=60, now=now)
    after = StoredSlate(extra={"choices": {"home_for_you": "content", "home_next_up": None}}, computed_at=now)
    assert not slate_is_stale(after, max_age=60, now=now)
    # the same winner decided again changes nothing the slate shows: still fresh
    _decide("home_for_you", {"popularity": 0.1, "content": 0.4, "pwprec": 0.2})
    assert not slate_is_stale(after, max_age=60, now=now)
    _decide("home_for_you", {"popularity": 0.5, "content": 0.4, "pwprec": 0.2})
    assert slate_is_stale(after, max_age=60, now=now)


@pytest.mark.django_db
def test_the_admin_shows_why_a_slot_serves_what_it_serves(admin_client):
    _decide("vip_for_you", {"cooccurrence": 0.25, "content": 0.125, "pwprec": 0.5})
    page = admin_client.get("/admin/recommender/surfacechoice/").content.decode()
    assert "vip_for_you" in page and "vip recall@20" in page
    assert "0.5000" in page and "cooccurrence 0.2500" in page  # the winner's value, the runner-up
    assert admin_client.get("/admin/recommender/surfacechoice/add/").status_code == 403


def test_the_beat_retrains_every_model_of_a_slot(monkeypatch):
    from recommender import tasks

    queued: list[str] = []
    stamped: list[bool] = []

    def apply_async(args, kwargs):
        queued.append(args[0])
        stamped.append(kwargs.get("queued_at") is not None)  # a duplicate message then trains nothing

    monkeypatch.setattr(tasks.model_train, "apply_async", apply_async)
    assert tasks.slot_models_retrain() == queued == ["mercatran", "pwprec"]
    assert all(stamped)
    entry = django_settings.CELERY_BEAT_SCHEDULE["recommender-slot-models-retrain"]
    assert entry["task"] == "recommender.tasks.slot_models_retrain" and entry["schedule"] == 24 * 60 * 60
