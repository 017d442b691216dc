"""Team-draft interleaving: the properties of Radlinski et al. (2008), and the labels a served row carries."""

from __future__ import annotations

import random

import pytest

from experiments.interleaving import TEAM_A, TEAM_B, request_outcome, team_draft_interleave
from experiments.models import Experiment
from experiments.selectors import interleave_for
from experiments.stats import sign_test


def _random_lists(rng: random.Random) -> tuple[list[int], list[int], int]:
    pool = list(range(60))
    a = rng.sample(pool, rng.randint(0, 30))
    b = rng.sample(pool, rng.randint(0, 30))
    return a, b, rng.randint(1, 40)


@pytest.mark.parametrize("seed", range(200))
def test_team_draft_properties(seed):
    rng = random.Random(seed)
    a, b, k = _random_lists(rng)
    merged = team_draft_interleave(a, b, k, random.Random(seed + 1000))
    ids, teams = merged.ids, merged.teams
    # no duplicates, at most k, as many as the two lists can give
    assert len(ids) == len(set(ids)) == min(k, len(set(a) | set(b)))
    # each position is credited to a team whose list holds it
    for item, team in zip(ids, teams, strict=True):
        assert item in (a if team == TEAM_A else b)
    # each team's items keep their order in that team's list
    for team, source in ((TEAM_A, a), (TEAM_B, b)):
        drafted = [item for item, t in zip(ids, teams, strict=True) if t == team]
        assert drafted == sorted(drafted, key=source.index)
    # balanced: while both lists still had items to give, team sizes never differ by more than one
    counts = [0, 0]
    for position, team in enumerate(teams):
        counts[team] += 1
        rest_a = [i for i in a if i not in ids[: position + 1]]
        rest_b = [i for i in b if i not in ids[: position + 1]]
        if rest_a and rest_b:
            assert abs(counts[0] - counts[1]) <= 1


def test_team_draft_drafts_each_teams_best_remaining_item():
    a, b = [1, 2, 3, 4], [3, 5, 1, 6]
    merged = team_draft_interleave(a, b, 6, random.Random(0))
    # whoever drafts first, a round gives each team its best item not yet in the row
    for round_start in range(0, len(merged.ids) - 1, 2):
        pair = list(zip(merged.ids[round_start: round_start + 2], merged.teams[round_start: round_start + 2],
                        strict=True))
        assert {team for _, team in pair} == {TEAM_A, TEAM_B}
    assert merged.ids[:2] in ([1, 3], [3, 1])


def test_identical_rankings_interleave_to_themselves_and_first_picks_are_fair():
    ranking = list(range(10))
    firsts = []
    for seed in range(2000):
        merged = team_draft_interleave(ranking, ranking, 10, random.Random(seed))
        assert merged.ids == ranking
        firsts.append(merged.teams[0])
    assert 0.45 < firsts.count(TEAM_A) / len(firsts) < 0.55


def test_a_short_list_lets_the_other_team_fill_the_row():
    merged = team_draft_interleave([1], [2, 3, 4, 5], 4, random.Random(3))
    assert sorted(merged.ids) == [1, 2, 3, 4]
    assert merged.teams.count(TEAM_A) == 1


def test_interleave_for_labels_each_position_and_is_reproducible_from_the_request():
    experiment = Experiment(name="il", kind="interleaving", salt="pepper",
                            arms=[{"name": "pop", "recommender": "popularity"},
                                  {"name": "pw", "recommender": "pwprec"}])
    a, b = [1, 2, 3, 4, 5], [5, 4, 3, 2, 1]
    ids, labels = interleave_for(experiment, viewer_key="u1", request_id="r1", a_ids=a, b_ids=b, k=4)
    assert (ids, labels) == interleave_for(experiment, viewer_key="u1", request_id="r1", a_ids=a, b_ids=b, k=4)
    assert set(labels) == {"il:pop", "il:pw"} and labels.count("il:pop") == 2
    for item, label in zip(ids, labels, strict=True):
        assert item in (a if label == "il:pop" else b)
    # another request flips its own coins
    flips = {tuple(interleave_for(experiment, viewer_key="u1", request_id=f"r{i}", a_ids=a, b_ids=b, k=4)[1])
             for i in range(20)}
    assert len(flips) > 1


def test_request_outcomes_and_the_sign_test():
    assert [request_outcome(2, 1), request_outcome(0, 3), request_outcome(1, 1), request_outcome(0, 0)] == [
        "a", "b", "tie", None]
    assert sign_test(0, 0) is None
    assert sign_test(10, 10) == pytest.approx(1.0)
    assert sign_test(30, 10) < 0.01
    assert sign_test(30, 10) == pytest.approx(sign_test(10, 30))
