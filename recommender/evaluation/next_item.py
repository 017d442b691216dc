"""The `next-item` protocol (Ludewig & Jannach 2018, session-rec's default evaluation): for every test session and
every position i >= 1, the prefix items[:i] is the query and items[i] the target, ranked among all items seen in
training. Repeated clicks are kept, as session-rec keeps them: on YooChoose a quarter of the targets repeat the
previous item. Ties are ordered like `Recommender.recommend` (stable: the earlier candidate first).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from recommender.base import Query, Recommender
from recommender.data import INTERACTION_CODES, Dataset
from recommender.evaluation.scoring import (
    DEFAULT_KS,
    SCORE_CELLS_PER_BATCH,
    Progress,
    no_progress,
    score_queries,
    target_ranks,
    training_items,
)
from recommender.metrics import catalogue_coverage, metrics_from_ranks
from recommender.sequences import session_sequences


def evaluate_next_item(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Next-item metrics of a fitted `model`: hr@K = recall@K, mrr@K, ndcg@K for each K, coverage@max K, the
    number of predictions / sessions and the scoring time. Targets never seen in training count as misses."""
    progress = progress or no_progress
    ks = tuple(sorted(set(int(k) for k in ks)))
    top_k = ks[-1]
    candidates = training_items(train)
    seqs = session_sequences(test.events, INTERACTION_CODES, min_length=2)
    n_sessions = len(seqs) if max_sessions is None else min(len(seqs), max_sessions)

    # Every (session, position >= 1) pair, in session order.
    segment = seqs.segment_of_rows()[: seqs.offsets[n_sessions]]
    target_row = np.flatnonzero(np.arange(len(segment)) != seqs.offsets[segment]).astype(np.int64)
    session_of = segment[target_row]
    target_col = np.full(len(target_row), -1, dtype=np.int64)
    if len(candidates):
        pos = np.minimum(np.searchsorted(candidates, seqs.item[target_row]), len(candidates) - 1)
        target_col = np.where(candidates[pos] == seqs.item[target_row], pos, -1)

    batch_size = max(1, min(1024, SCORE_CELLS_PER_BATCH // max(len(candidates), 1)))
    ranks = np.empty(len(target_row), dtype=np.float64)
    top_items: set[int] = set()
    started = time.perf_counter()
    batches = range(0, len(target_row), batch_size)
    for begin in progress(batches, total=len(batches), desc=f"{getattr(model, 'name', '')} next-item"):
        rows = target_row[begin : begin + batch_size]
        queries = []
        for row, session in zip(rows, session_of[begin : begin + batch_size], strict=True):
            first = seqs.offsets[session]
            queries.append(
                Query(
                    user_id=int(seqs.user[row]),
                    history=seqs.item[first:row].tolist(),
                    history_actions=seqs.action[first:row].tolist(),
                    history_timestamps=seqs.timestamp[first:row].tolist(),
                    surface="next-item",
                    timestamp=float(seqs.timestamp[row - 1]),
                )
            )
        scores = score_queries(model, queries, candidates)
        ranks[begin : begin + len(rows)] = target_ranks(scores, target_col[begin : begin + len(rows)])
        k = min(top_k, scores.shape[1])
        if k:
            best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            top_items.update(np.unique(candidates[best]).tolist())
    seconds = time.perf_counter() - started

    result: dict[str, Any] = metrics_from_ranks(ranks, ks)
    result[f"coverage@{top_k}"] = catalogue_coverage([list(top_items)], len(candidates))
    result["n_predictions"] = int(len(ranks))
    result["n_sessions"] = int(n_sessions)
    result["n_unknown_targets"] = int((target_col < 0).sum())
    result["score_seconds"] = round(seconds, 3)
    return result
