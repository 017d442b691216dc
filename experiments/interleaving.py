"""Team-draft interleaving (Radlinski, Kurup and Joachims, "How does clickthrough data reflect retrieval quality?",
CIKM 2008, Algorithm 2): two rankings merged into one row, each position credited to the team that drafted it.

Like captains picking players, the team with fewer picks so far (a coin flip when even) adds its highest-ranked
item not already in the row. Each team's items keep their relative order, team sizes never differ by more than
one while both lists have items left, and a click on a position counts for its team. Per response, the team with
more clicks wins; over many responses a sign test says whether one arm wins more often than chance.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

TEAM_A, TEAM_B = 0, 1  # indices into the experiment's two arms


@dataclass(frozen=True)
class Interleaved:
    ids: list[int]  # the merged row, best first
    teams: list[int]  # teams[i] is TEAM_A or TEAM_B: who drafted ids[i]

    def team_of(self) -> dict[int, int]:
        return dict(zip(self.ids, self.teams, strict=True))


def team_draft_interleave(a_ids: Sequence[int], b_ids: Sequence[int], k: int, rng: random.Random) -> Interleaved:
    """Merge two rankings into at most `k` distinct ids by team draft. When one list runs out, the other team
    drafts the rest (so a short list never blocks the row)."""
    ids: list[int] = []
    teams: list[int] = []
    taken: set[int] = set()
    picks = [0, 0]
    cursors = [0, 0]
    lists = (list(a_ids), list(b_ids))

    def next_free(team: int) -> int | None:
        ranking = lists[team]
        while cursors[team] < len(ranking) and ranking[cursors[team]] in taken:
            cursors[team] += 1
        return ranking[cursors[team]] if cursors[team] < len(ranking) else None

    while len(ids) < k:
        heads = (next_free(TEAM_A), next_free(TEAM_B))
        if heads[TEAM_A] is None and heads[TEAM_B] is None:
            break
        if heads[TEAM_A] is None:
            team = TEAM_B
        elif heads[TEAM_B] is None:
            team = TEAM_A
        elif picks[TEAM_A] != picks[TEAM_B]:
            team = TEAM_A if picks[TEAM_A] < picks[TEAM_B] else TEAM_B
        else:
            team = TEAM_A if rng.random() < 0.5 else TEAM_B
        item = heads[team]
        assert item is not None
        ids.append(item)
        teams.append(team)
        taken.add(item)
        picks[team] += 1
    return Interleaved(ids=ids, teams=teams)


def request_outcome(clicks_a: int, clicks_b: int) -> str | None:
    """One response's verdict: "a" or "b" (the team with more credited clicks wins), "tie" (clicked, but evenly),
    or None for a response nobody clicked (no evidence either way)."""
    if clicks_a == clicks_b:
        return "tie" if clicks_a else None
    return "a" if clicks_a > clicks_b else "b"
