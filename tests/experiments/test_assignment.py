"""Sticky, deterministic assignment; split proportions; the running experiment of a surface; validation."""

from __future__ import annotations

import pytest

from experiments import config
from experiments.assignment import viewer_key
from experiments.models import Experiment, ExperimentState
from experiments.selectors import arm_for, running_experiment
from experiments.services import (
    EXPERIMENT_NOT_DRAFT,
    EXPERIMENT_NOT_RUNNING,
    EXPERIMENT_SURFACE_BUSY,
    experiment_create,
    experiment_start,
    experiment_stop,
)
from marketplace.errors import ApplicationError
from marketplace.viewers import session_id_for
from recommender.models import ModelVersion
from tests.factories import ExperimentFactory

ARMS = [{"name": "a", "recommender": "popularity"}, {"name": "b", "recommender": "content"},
        {"name": "c", "recommender": "pwprec"}]


def _keys(n: int) -> list[str]:
    """Half signed-in viewers, half anonymous visits (the stored session-id hashes)."""
    return [viewer_key(user_id=i, session_id="") if i % 2 else session_id_for(f"session-key-{i}") for i in range(n)]


def test_viewer_key_is_the_user_else_the_stored_session_id():
    assert viewer_key(user_id=7, session_id="abc") == "u7"
    assert viewer_key(user_id=None, session_id="abc") == "abc"
    assert viewer_key(user_id=None, session_id="") == ""


def test_assignment_is_sticky_and_deterministic():
    # given the same experiment, built twice (as two processes would)
    first = Experiment(name="sticky", surface="home_rows", arms=ARMS, salt="s1")
    second = Experiment(name="sticky", surface="home_rows", arms=ARMS, salt="s1")
    keys = _keys(500)
    # then every viewer gets the same arm on every call
    arms = [arm_for(first, key) for key in keys]
    assert arms == [arm_for(first, key) for key in keys] == [arm_for(second, key) for key in keys]
    assert {arm.name for arm in arms} == {"a", "b", "c"}
    # and a new salt re-randomises (about 2/3 of viewers move with three equal arms)
    resalted = Experiment(name="sticky", arms=ARMS, salt="s2")
    moved = sum(arm_for(resalted, key) != arm for key, arm in zip(keys, arms, strict=True))
    assert 0.5 * len(keys) < moved < 0.8 * len(keys)


def test_split_follows_the_weights_within_two_points():
    experiment = Experiment(name="split", surface="home_rows", arms=ARMS, weights=[20, 30, 50], salt="split-salt")
    keys = _keys(10_000)
    counts = {"a": 0, "b": 0, "c": 0}
    for key in keys:
        counts[arm_for(experiment, key).name] += 1
    for name, share in zip("abc", [0.2, 0.3, 0.5], strict=True):
        assert abs(counts[name] / len(keys) - share) < 0.02, counts


def test_no_arm_without_a_viewer_key_or_for_interleaving():
    ab = Experiment(name="ab", arms=ARMS[:2], salt="x")
    interleaving = Experiment(name="il", kind="interleaving", arms=ARMS[:2], salt="x")
    assert arm_for(ab, "") is None
    assert arm_for(interleaving, "u1") is None


@pytest.mark.django_db
def test_running_experiment_is_read_once_then_cached(django_assert_num_queries, django_capture_on_commit_callbacks):
    experiment = ExperimentFactory(surface="item_rows")
    assert running_experiment("item_rows") is None
    with django_capture_on_commit_callbacks(execute=True):
        experiment_start(experiment_id=experiment.pk)
    # one query for every surface, then none while fresh
    with django_assert_num_queries(1):
        assert running_experiment("item_rows").pk == experiment.pk
        assert running_experiment("home_rows") is None
    with django_assert_num_queries(0):
        assert running_experiment("item_rows").pk == experiment.pk
    with django_capture_on_commit_callbacks(execute=True):
        experiment_stop(experiment_id=experiment.pk)
    assert running_experiment("item_rows") is None


@pytest.mark.django_db
def test_start_and_stop_follow_the_states():
    experiment = ExperimentFactory()
    started = experiment_start(experiment_id=experiment.pk)
    assert started.state == ExperimentState.RUNNING and started.started_at is not None
    with pytest.raises(ApplicationError) as again:
        experiment_start(experiment_id=experiment.pk)
    assert again.value.message == EXPERIMENT_NOT_DRAFT.format(name=experiment.name, state="running")
    # a second experiment on the same surface waits for the first
    rival = ExperimentFactory()
    with pytest.raises(ApplicationError) as busy:
        experiment_start(experiment_id=rival.pk)
    assert busy.value.message == EXPERIMENT_SURFACE_BUSY.format(other=experiment.name, surface="Home rows")
    stopped = experiment_stop(experiment_id=experiment.pk)
    assert stopped.state == ExperimentState.STOPPED and stopped.stopped_at >= stopped.started_at
    with pytest.raises(ApplicationError) as restart:
        experiment_start(experiment_id=experiment.pk)
    assert restart.value.message == EXPERIMENT_NOT_DRAFT.format(name=experiment.name, state="stopped")
    with pytest.raises(ApplicationError) as stop_again:
        experiment_stop(experiment_id=experiment.pk)
    assert stop_again.value.message == EXPERIMENT_NOT_RUNNING.format(name=experiment.name, state="stopped")
    assert experiment_start(experiment_id=rival.pk).state == ExperimentState.RUNNING


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "Bad Name"}, config.EXPERIMENT_NAME_INVALID.format(name="Bad Name")),
    ({"arms": ARMS[:1]}, config.EXPERIMENT_ARMS_TOO_FEW),
    ({"arms": {"a": "b"}}, config.EXPERIMENT_ARMS_INVALID.format(why="this is not a list")),
    ({"kind": "interleaving", "arms": ARMS}, config.EXPERIMENT_INTERLEAVING_TWO_ARMS.format(count=3)),
    ({"kind": "interleaving", "weights": [1, 1]}, config.EXPERIMENT_WEIGHTS_INTERLEAVING),
    ({"arms": [ARMS[0], {**ARMS[1], "name": "a"}]}, config.EXPERIMENT_ARM_NAME_DUPLICATE.format(name="a")),
    ({"arms": [ARMS[0], {"name": "b", "recommender": "PW PREC"}]},
     config.EXPERIMENT_RECOMMENDER_INVALID.format(arm="b", recommender="PW PREC")),
    ({"weights": [1, 2, 3]}, config.EXPERIMENT_WEIGHTS_INVALID.format(arms=2, weights=[1, 2, 3])),
    ({"weights": [1, 0]}, config.EXPERIMENT_WEIGHTS_INVALID.format(arms=2, weights=[1, 0])),
    ({"primary_metric": "preference"}, config.EXPERIMENT_METRIC_INTERLEAVING_ONLY),
    ({"kind": "interleaving", "layout": "page"}, config.EXPERIMENT_LAYOUT_INTERLEAVING),
    ({"surface": "item_rows", "layout": "row"}, config.EXPERIMENT_LAYOUT_HOME_ONLY),
])
@pytest.mark.django_db
def test_an_invalid_experiment_is_refused_with_a_clear_message(fields, message):
    arguments = {"name": "valid", "surface": "home_rows", "arms": ARMS[:2], **fields}
    with pytest.raises(ApplicationError) as refused:
        experiment_create(**arguments)
    assert refused.value.message == message


@pytest.mark.django_db
def test_a_label_longer_than_the_event_log_keeps_is_refused():
    name = "a-rather-long-experiment-name"  # 29 characters; with ":treatment" 39; with ":treatment-b" 41
    assert experiment_create(name=name, surface="home_rows", arms=[ARMS[0], {"name": "treatment",
                                                                             "recommender": "x"}]).pk
    with pytest.raises(ApplicationError) as refused:
        experiment_create(name=name + "2", surface="home_rows",
                          arms=[ARMS[0], {"name": "treatment-b", "recommender": "x"}])
    assert refused.value.message == config.EXPERIMENT_LABEL_TOO_LONG.format(
        label=f"{name}2:treatment-b", length=42, limit=40)


@pytest.mark.django_db
def test_an_arm_pinned_to_a_model_version_needs_that_version_active():
    version = ModelVersion.objects.create(name="pwprec", checkpoint="pwprec/v.pt", is_active=True)
    pinned = [ARMS[0], {"name": "b", "recommender": f"pwprec@{version.pk}"}]
    assert experiment_create(name="pinned", surface="home_rows", arms=pinned).arm_list[1].version == version.pk
    # a version that is not the active one would be served by the active one's vectors: refused, with the way out
    older = ModelVersion.objects.create(name="pwprec", checkpoint="pwprec/old.pt")
    stale = [ARMS[0], {"name": "b", "recommender": f"pwprec@{older.pk}"}]
    with pytest.raises(ApplicationError) as refused:
        experiment_create(name="stale", surface="home_rows", arms=stale)
    assert refused.value.message == config.EXPERIMENT_VERSION_NOT_SERVED.format(arm="b", version=older.pk,
                                                                                model="pwprec")
    wrong = [ARMS[0], {"name": "b", "recommender": f"mercatran@{version.pk}"}]
    with pytest.raises(ApplicationError) as refused:
        experiment_create(name="wrong", surface="home_rows", arms=wrong)
    assert refused.value.message == config.EXPERIMENT_VERSION_UNKNOWN.format(arm="b", version=version.pk,
                                                                             model="mercatran")
