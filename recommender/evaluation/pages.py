"""The page protocols of PWPRec 4.3, the storefront's two main surfaces.

- `vip` (4.3.1, view-item page): within each test session, every viewed item is predicted from the session's
  interactions before it (a re-view of the item just shown is skipped).
- `home` (4.3.2, homepage): every test-period interaction is predicted from the same user's interactions in the
  30 days before it, across sessions and across the train / test boundary.

Both rank over the items available at the target's time by default (created by then and not bought before;
`candidates="active"`), or over every training item (`candidates="training"`). Ties are ordered like
`Recommender.recommend` (stable: the earlier candidate first).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE, Dataset
from recommender.evaluation.scoring import (
    DEFAULT_KS,
    SCORE_CELLS_PER_BATCH,
    Progress,
    no_progress,
    score_queries,
    target_ranks,
    training_items,
)
from recommender.evaluation.split import concat_events
from recommender.metrics import catalogue_coverage, metrics_from_ranks
from recommender.sequences import home_samples, vip_samples

CANDIDATE_MODES: tuple[str, ...] = ("active", "training")
HOME_WINDOW_DAYS = 30.0  # PWPRec 4.3.2: the user's interactions in the 30 days before the target
BUY_COMP = ACTION_CODE["buy_comp"]


@dataclass
class CandidatePool:
    """The items a ranking protocol ranks over, and the time window in which each may be recommended."""

    item_id: np.ndarray  # (c,) int64, sorted
    available_from: np.ndarray  # (c,) float64: created at (-inf when unknown)
    available_until: np.ndarray  # (c,) float64: first purchase (inf when never bought)

    def __len__(self) -> int:
        return int(self.item_id.shape[0])

    def column_of(self, items: np.ndarray) -> np.ndarray:
        """Column of each item id in the pool, -1 for items outside it."""
        items = np.asarray(items, dtype=np.int64)
        if len(self.item_id) == 0:
            return np.full(items.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.item_id, items), len(self.item_id) - 1)
        return np.where(self.item_id[pos] == items, pos, -1).astype(np.int64)

    def available(self, times: np.ndarray) -> np.ndarray | None:
        """(len(times), c) bool: which items may be shown at each time; None when all always may."""
        if np.isneginf(self.available_from).all() and np.isposinf(self.available_until).all():
            return None
        t = np.asarray(times, dtype=np.float64)[:, None]
        return (self.available_from[None, :] <= t) & (t <= self.available_until[None, :])


def candidate_pool(train: Dataset, test: Dataset, mode: str = "active") -> CandidatePool:
    """`training`: every item with a training interaction, always available. `active`: those plus every item
    of the item table, each available from its creation until its first purchase in the logs."""
    if mode not in CANDIDATE_MODES:
        raise ValueError(f"unknown candidate mode {mode!r}; known: {', '.join(CANDIDATE_MODES)}")
    trained = training_items(train)
    if mode == "training":
        n = len(trained)
        return CandidatePool(trained, np.full(n, -np.inf), np.full(n, np.inf))
    items = train.items
    ids = np.unique(np.r_[trained, items.item_id.astype(np.int64)])
    pool = CandidatePool(ids, np.full(len(ids), -np.inf), np.full(len(ids), np.inf))
    if len(items):
        cols = pool.column_of(items.item_id)
        created = np.asarray(items.created_at, dtype=np.float64)
        pool.available_from[cols] = np.where(created > 0, created, -np.inf)
    for events in (train.events, test.events):
        bought = (events.action == BUY_COMP) & (events.item >= 0)
        cols = pool.column_of(events.item[bought])
        known = cols >= 0
        np.minimum.at(pool.available_until, cols[known], events.timestamp[bought][known])
    return pool


def _rank_targets(
    model: Recommender,
    make_queries: Callable[[np.ndarray], list[Query]],
    targets: np.ndarray,
    times: np.ndarray,
    pool: CandidatePool,
    ks: tuple[int, ...],
    progress: Progress,
    desc: str,
) -> dict[str, Any]:
    """Rank each target among the pool's items available at its time; metrics as `evaluate_next_item`."""
    top_k = ks[-1]
    target_col = pool.column_of(targets)
    batch_size = max(1, min(1024, SCORE_CELLS_PER_BATCH // max(len(pool), 1)))
    ranks = np.full(len(targets), np.inf)
    top_items: set[int] = set()
    started = time.perf_counter()
    batches = range(0, len(targets), batch_size)
    for begin in progress(batches, total=len(batches), desc=desc):
        index = np.arange(begin, min(begin + batch_size, len(targets)))
        scores = score_queries(model, make_queries(index), pool.item_id)
        cols = target_col[index]
        available = pool.available(times[index])
        if available is not None:
            scores = np.array(scores, dtype=np.float64)  # writable, owned: masked in place below
            np.copyto(scores, -np.inf, where=~available)
            rows = np.arange(len(index))
            cols = np.where((cols >= 0) & available[rows, np.maximum(cols, 0)], cols, -1)
            target_col[index] = cols
        ranks[index] = target_ranks(scores, cols)
        k = min(top_k, scores.shape[1])
        if k:
            best = np.argpartition(scores, scores.shape[1] - k, axis=1)[:, -k:]
            picked = np.take_along_axis(scores, best, axis=1) > -np.inf
            top_items.update(np.unique(pool.item_id[best[picked]]).tolist())
    seconds = time.perf_counter() - started
    result: dict[str, Any] = metrics_from_ranks(ranks, ks)
    result[f"coverage@{top_k}"] = catalogue_coverage([list(top_items)], len(pool))
    result["n_predictions"] = int(len(ranks))
    result["n_unknown_targets"] = int((target_col < 0).sum())
    result["n_candidates"] = int(len(pool))
    result["score_seconds"] = round(seconds, 3)
    return result


def _first_sessions(session_ids: np.ndarray, max_sessions: int | None) -> np.ndarray:
    """(n,) bool: rows whose session is among the `max_sessions` smallest session ids (all when None)."""
    if max_sessions is None:
        return np.ones(len(session_ids), dtype=bool)
    kept = np.unique(session_ids)[:max_sessions]
    return np.isin(session_ids, kept)


# -- vip: the view-item page (PWPRec 4.3.1) -----------------------------------------------------------------
def evaluate_vip(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    candidates: str = "active",
    max_history: int = 50,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Within each test session, every viewed item predicted from the session's interactions before it (the
    page the user is on is the last of them). Metrics as `evaluate_next_item`, plus the pool size."""
    ks = tuple(sorted(set(int(k) for k in ks)))
    samples = vip_samples(test.events, max_history=max_history)
    keep = np.flatnonzero(_first_sessions(samples.source.session[samples.target_row], max_sessions))
    source = samples.source
    start, end, target_row = samples.start[keep], samples.end[keep], samples.target_row[keep]

    def make_queries(index: np.ndarray) -> list[Query]:
        queries = []
        for i in index:
            a, b = int(start[i]), int(end[i])
            history = source.item[a:b].tolist()
            queries.append(Query(
                user_id=int(source.user[b]),
                history=history,
                history_actions=source.action[a:b].tolist(),
                history_timestamps=source.timestamp[a:b].tolist(),
                surface="vip",
                current_item=history[-1] if history else None,
                timestamp=float(source.timestamp[b - 1]) if b > a else float(source.timestamp[b]),
            ))
        return queries

    pool = candidate_pool(train, test, candidates)
    result = _rank_targets(
        model, make_queries, source.item[target_row], source.timestamp[target_row], pool, ks,
        progress or no_progress, f"{model.name} vip",
    )
    result["n_sessions"] = int(len(np.unique(source.session[target_row])))
    return result


# -- home: the homepage (PWPRec 4.3.2) ----------------------------------------------------------------------
def evaluate_home(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    candidates: str = "active",
    window_days: float = HOME_WINDOW_DAYS,
    max_history: int = 100,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Every test-period interaction predicted from the user's interactions in the `window_days` before it
    (training events included). Targets without history, or repeating the user's latest item, are skipped."""
    ks = tuple(sorted(set(int(k) for k in ks)))
    events = concat_events(train.events, test.events)
    samples = home_samples(events, window_days=window_days, max_history=max_history, min_history=1)
    source = samples.source
    from_test = source.source_row[samples.target_row] >= len(train.events)
    repeat = source.item[samples.target_row] == source.item[samples.end - 1]
    keep = np.flatnonzero(from_test & ~repeat)
    keep = keep[_first_sessions(source.session[samples.target_row[keep]], max_sessions)]
    start, end, target_row = samples.start[keep], samples.end[keep], samples.target_row[keep]

    def make_queries(index: np.ndarray) -> list[Query]:
        return [
            Query(
                user_id=int(source.user[target_row[i]]),
                history=source.item[start[i] : end[i]].tolist(),
                history_actions=source.action[start[i] : end[i]].tolist(),
                history_timestamps=source.timestamp[start[i] : end[i]].tolist(),
                surface="home",
                timestamp=float(source.timestamp[target_row[i]]),
            )
            for i in index
        ]

    pool = candidate_pool(train, test, candidates)
    result = _rank_targets(
        model, make_queries, source.item[target_row], source.timestamp[target_row], pool, ks,
        progress or no_progress, f"{model.name} home",
    )
    result["n_users"] = int(len(np.unique(source.user[target_row])))
    return result

