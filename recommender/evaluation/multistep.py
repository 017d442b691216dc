"""The `multistep` protocol: multi-step offline evaluation in the layout of MerRec's Table 5 (section 4.2.8).

Each evaluated user sequence is split into its last `n_steps` interactions (the truth for steps 1..n) and up to
`max_history` interactions before them (the model's input). The model's step-s vector retrieves the top K of a
pool of listings (by default the listings of all true next items, as the paper indexes "the last 4 interactions
in the sequences"), and is scored against the true step-s item at three granularities: the item itself, its
category (the most specific one) and its brand. A model with fewer vectors than steps (Mercatran V1) reuses its
last vector for the later steps. Beyond accuracy: distinct categories in the top K and the share of recommended
listings created after a given time, for each step's list and for the merged row a storefront would show. The
Table 5 report is `recommender.evaluation.report.write_table5_report`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from recommender.base import Query
from recommender.data import Dataset, EventLog
from recommender.nets.mercatran.samples import concat_logs, interaction_log
from recommender.nets.mercatran.tokenizer import most_specific_category
from recommender.sequences import user_sequences

LEVELS = ("item", "category", "brand")


def merge_rows(lists: np.ndarray, k: int) -> list[int]:
    """Round-robin merge of per-step ranked lists (S, K) into one de-duplicated row of at most k entries."""
    merged: list[int] = []
    seen: set[int] = set()
    for position in range(lists.shape[1]):
        for step in range(lists.shape[0]):
            value = int(lists[step, position])
            if value not in seen:
                seen.add(value)
                merged.append(value)
                if len(merged) == k:
                    return merged
    return merged


def _dcg_of_matches(matches: np.ndarray, k: int, n_relevant: np.ndarray) -> np.ndarray:
    """Binary-relevance nDCG@k per row: matches (B, >=k) bool, n_relevant (B,) relevant items in the pool."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))  # (k,)
    dcg = (matches[:, :k] * discounts).sum(axis=1)
    ideal_count = np.minimum(n_relevant, k)
    idcg = np.cumsum(np.r_[0.0, discounts])[ideal_count]
    return np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 0.0)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """(B, k) column indices of the k best scores per row, best first (ties: the earlier column); when there
    are fewer than k columns the last one is repeated."""
    n = min(k, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.lexsort((part, -np.take_along_axis(scores, part, axis=1)), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    return np.concatenate([top, np.repeat(top[:, -1:], k - n, axis=1)], axis=1) if n < k else top


def _user_vectors(model: Any, histories: list[np.ndarray], actions: list[np.ndarray]) -> np.ndarray:
    """(B, S', d) float32: a batched `user_vectors_batch` when the model has one, else one query at a time."""
    if model.has_user_vectors_batch:
        return np.asarray(model.user_vectors_batch(histories, actions), dtype=np.float32)
    return np.stack([
        np.asarray(model.user_vectors(Query(history=h.tolist(), history_actions=a.tolist())), dtype=np.float32)
        for h, a in zip(histories, actions, strict=True)
    ])  # fmt: skip


def _top_by_vectors(
    users: np.ndarray, pool_vectors: np.ndarray, n_steps: int, k: int, pool_ids: np.ndarray,
    histories: list[np.ndarray] | None,
) -> np.ndarray:
    """(B, n_steps, k) pool indices: step s searches with the user's vector s (the last one when fewer)."""
    top = np.zeros((len(users), n_steps, k), dtype=np.int64)
    for start in range(0, len(users), 1024):
        chunk = slice(start, start + 1024)
        for s in range(n_steps):
            scores = users[chunk, min(s, users.shape[1] - 1)] @ pool_vectors.T  # (b, P)
            if histories is not None:
                for j, h in enumerate(histories[chunk]):
                    scores[j, np.isin(pool_ids, h)] = -np.inf
            top[chunk, s] = _top_k(scores, k)
    return top


def _scores(model: Any, histories: list[np.ndarray], actions: list[np.ndarray], pool_ids: np.ndarray) -> np.ndarray:
    """(B, P) float64 `score_batch` of every pool item for every history, 256 histories at a time."""
    queries = [Query(history=h.tolist(), history_actions=a.tolist(), surface="home")
               for h, a in zip(histories, actions, strict=True)]
    return np.concatenate([
        np.asarray(model.score_batch(queries[i : i + 256], pool_ids), dtype=np.float64)
        for i in range(0, len(queries), 256)
    ]) if queries else np.zeros((0, len(pool_ids)))  # fmt: skip


def evaluate_multistep(
    model: Any,
    test: Dataset,
    *,
    context: EventLog | None = None,
    ks: Sequence[int] = (5, 20),
    n_steps: int = 4,
    max_history: int = 22,
    min_history: int = 1,
    max_sequences: int | None = None,
    pool: np.ndarray | None = None,
    created_after: float | None = None,
    exclude_history: bool = False,
    seed: int = 0,
) -> dict[str, float]:
    """Table 5 metrics for a model with `user_vectors` / `item_vectors` (a batched `user_vectors_batch` is used
    when present; the model is first given the content of `test.items` through `catalog_extend`).

    `test.items` must describe every listing of the pool and the histories. `context` holds earlier events
    (e.g. the training period) that histories may reach back into; the true next items always come from
    `test.events`. Keys: `step{s}/recall@K`, `step{s}/ndcg@K` (item level; step 1 also as plain `recall@K`),
    `step{s}/{category,brand}/{recall,ndcg}@K`, `step{s}/diversity@K` and `diversity@K` (distinct categories in
    the top K of a step / of the merged row), `merged/recall@K` (share of the n true items in the merged row),
    `new_items@K` (share of the merged row created after `created_after`), `sequences`, `pool`.
    """
    items = test.items
    model.catalog_extend(items)
    log = interaction_log(test.events if context is None else concat_logs(context, test.events))
    test_start = float(test.events.timestamp.min()) if len(test.events) else np.inf
    seqs = user_sequences(log, min_length=n_steps + min_history)
    ends = seqs.offsets[1:]
    first_target = ends - n_steps
    keep = seqs.timestamp[first_target] >= test_start
    # Every target and history item must have content.
    row_of = items.row_of()
    known = np.array([int(i) in row_of for i in seqs.item], dtype=bool) if len(seqs.item) else np.zeros(0, bool)
    target_rows_flat = first_target[:, None] + np.arange(n_steps)[None, :]
    keep &= known[target_rows_flat].all(axis=1)
    index = np.flatnonzero(keep)
    if max_sequences is not None and len(index) > max_sequences:
        index = np.sort(np.random.default_rng(seed).choice(index, size=max_sequences, replace=False))
    if len(index) == 0:
        return {"sequences": 0.0}

    histories, actions = [], []
    for i in index:
        start = max(int(seqs.offsets[i]), int(first_target[i]) - max_history)
        rows = np.arange(start, int(first_target[i]))
        rows = rows[known[rows]]
        histories.append(seqs.item[rows])
        actions.append(seqs.action[rows].astype(np.int64))
    truth_ids = seqs.item[target_rows_flat[index]]  # (B, S)

    # The pool and its attributes.
    pool_ids = np.unique(truth_ids) if pool is None else np.unique(np.asarray(pool, dtype=np.int64))
    pool_ids = np.array([p for p in pool_ids if int(p) in row_of], dtype=np.int64)
    pool_rows = np.array([row_of[int(p)] for p in pool_ids], dtype=np.int64)
    pool_items = items.subset(pool_rows)
    pool_category = most_specific_category(pool_items)
    pool_brand = np.asarray(pool_items.brand, dtype=np.int64)
    truth_rows = np.vectorize(row_of.__getitem__, otypes=[np.int64])(truth_ids)
    truth_category = most_specific_category(items)[truth_rows]  # (B, S)
    truth_brand = np.asarray(items.brand, dtype=np.int64)[truth_rows]  # (B, S)

    k_max = max(ks)
    item_vectors = getattr(model, "item_vectors", None)
    pool_vectors = None if item_vectors is None else item_vectors(pool_items)
    if pool_vectors is not None:
        users = _user_vectors(model, histories, actions)  # (B, S', d)
        top = _top_by_vectors(users, np.asarray(pool_vectors, dtype=np.float32), n_steps, k_max,
                              pool_ids, histories if exclude_history else None)
    else:  # a model without vectors (the baselines): its one ranking of the pool stands for every step
        scores = _scores(model, histories, actions, pool_ids)  # (B, P)
        if exclude_history:
            for j, h in enumerate(histories):
                scores[j, np.isin(pool_ids, h)] = -np.inf
        top = np.repeat(_top_k(scores, k_max)[:, None], n_steps, axis=1)

    category_count = dict(zip(*np.unique(pool_category, return_counts=True), strict=True))
    brand_count = dict(zip(*np.unique(pool_brand, return_counts=True), strict=True))
    metrics: dict[str, float] = {"sequences": float(len(index)), "pool": float(len(pool_ids))}
    for s in range(n_steps):
        step = f"step{s + 1}"
        retrieved = top[:, s]  # (B, K)
        levels = {
            "item": (pool_ids[retrieved] == truth_ids[:, s, None], np.ones(len(index), np.int64), None),
            "category": (
                pool_category[retrieved] == truth_category[:, s, None],
                np.array([category_count.get(c, 0) for c in truth_category[:, s]]),
                truth_category[:, s] != 0,
            ),
            "brand": (
                pool_brand[retrieved] == truth_brand[:, s, None],
                np.array([brand_count.get(b, 0) for b in truth_brand[:, s]]),
                truth_brand[:, s] != 0,
            ),
        }
        for level, (matches, n_relevant, valid) in levels.items():
            prefix = step if level == "item" else f"{step}/{level}"
            scored = slice(None) if valid is None else valid
            for k in ks:
                recall = matches[scored, :k].any(axis=1)
                ndcg = _dcg_of_matches(matches[scored], k, n_relevant[scored])
                metrics[f"{prefix}/recall@{k}"] = float(recall.mean()) if recall.size else 0.0
                metrics[f"{prefix}/ndcg@{k}"] = float(ndcg.mean()) if ndcg.size else 0.0
        for k in ks:
            metrics[f"{step}/diversity@{k}"] = float(
                np.mean([len(np.unique(c)) for c in pool_category[retrieved[:, :k]]])
            )
    for k in ks:
        metrics[f"recall@{k}"] = metrics[f"step1/recall@{k}"]
        metrics[f"ndcg@{k}"] = metrics[f"step1/ndcg@{k}"]
        merged = [np.array(merge_rows(top[b], k)) for b in range(len(index))]
        metrics[f"diversity@{k}"] = float(np.mean([len(np.unique(pool_category[m])) for m in merged]))
        metrics[f"merged/recall@{k}"] = float(
            np.mean([np.isin(truth_ids[b], pool_ids[m]).mean() for b, m in enumerate(merged)])
        )
        if created_after is not None:
            fresh = np.asarray(pool_items.created_at, dtype=np.float64) > created_after
            metrics[f"new_items@{k}"] = float(np.mean([fresh[m].mean() for m in merged]))
    return metrics


def evaluate_table5(
    model: Any, train: Dataset, test: Dataset, ks: Sequence[int] = (5, 20), max_sessions: int | None = None
) -> dict[str, float]:
    """The `multistep` protocol of `evaluate`: `evaluate_multistep` on the test period, histories reaching back
    into the training events, `new_items@K` counting listings created after the last training event, and at
    most `max_sessions` sequences (a fixed random sample)."""
    started = time.perf_counter()
    ks = sorted({int(k) for k in ks} | {5, 20})
    created_after = float(train.events.timestamp.max()) if len(train.events) else None
    metrics = evaluate_multistep(model, test, context=train.events, ks=ks, max_sequences=max_sessions,
                                 created_after=created_after)
    metrics["n_predictions"] = int(metrics.get("sequences", 0))
    metrics["score_seconds"] = round(time.perf_counter() - started, 3)
    return metrics
