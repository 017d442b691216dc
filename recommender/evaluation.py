"""Offline evaluation: four protocols, several models at once, a time split, and the report files.

- `next-item` (Ludewig & Jannach 2018, session-rec's default evaluation): for every test session and every
  position i >= 1, the prefix items[:i] is the query and items[i] the target, ranked among all items seen in
  training. Repeated clicks are kept, as session-rec keeps them: on YooChoose a quarter of the targets repeat
  the previous item.
- `vip` (PWPRec 4.3.1, view-item page): within each test session, every viewed item is predicted from the
  session's interactions before it (a re-view of the item just shown is skipped).
- `home` (PWPRec 4.3.2, homepage): every test-period interaction is predicted from the same user's interactions
  in the 30 days before it, across sessions and across the train / test boundary.
- `ctr` (IU4Rec 5.1): each request's impressions are scored with `score(query, shown items)` and compared with
  their click labels: AUC over all impressions, GAUC per user.

`vip` and `home` rank over the items available at the target's time by default (created by then and not bought
before; `candidates="active"`), or over every training item (`candidates="training"`). Ties are ordered like
`Recommender.recommend` (stable: the earlier candidate first). Django-free: `recommender.dataset_db` builds the
database's `Dataset`, `recommender.services` runs this for the commands.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE, INTERACTION_CODES, Dataset, EventLog
from recommender.metrics import auc, catalogue_coverage, gauc, metrics_from_ranks
from recommender.sequences import DAY, home_samples, impression_groups, session_sequences, vip_samples

DEFAULT_KS: tuple[int, ...] = (1, 5, 10, 20)
SCORE_CELLS_PER_BATCH = 2_000_000  # queries x candidates scored at once: bounds memory, keeps BLAS busy
# rerank: recommender.ranker_eval; multistep: recommender.mercatran_eval (MerRec Table 5)
PROTOCOLS: tuple[str, ...] = ("next-item", "vip", "home", "ctr", "rerank", "multistep")
CANDIDATE_MODES: tuple[str, ...] = ("active", "training")
HOME_WINDOW_DAYS = 30.0  # PWPRec 4.3.2: the user's interactions in the 30 days before the target
# EventLog surface codes -> Query.surface names (0 = unknown is asked as the homepage).
SURFACE_NAMES: dict[int, str] = {0: "home", 1: "home", 2: "vip", 3: "iu", 4: "search", 5: "cart"}
BUY_COMP = ACTION_CODE["buy_comp"]

# Each model's primary protocol and metric: `train` activates a version only when it beats the best baseline
# there. A model class may override with `primary_protocol` / `primary_metric` attributes.
PRIMARY_METRICS: dict[str, tuple[str, str]] = {
    "popularity": ("vip", "recall@20"),
    "cooccurrence": ("vip", "recall@20"),
    "sknn": ("vip", "recall@20"),
    "content": ("vip", "recall@20"),
    "pwprec": ("vip", "recall@20"),
    "pwprec_gru": ("vip", "recall@20"),
    "pwprec_sasrec": ("vip", "recall@20"),
    "mercatran": ("multistep", "recall@20"),
    "mercatran_v1": ("multistep", "recall@20"),
    "dnn": ("ctr", "auc"),
    "din": ("ctr", "auc"),
    "iu_boosted": ("ctr", "auc"),
    "scid": ("ctr", "auc"),
    "ranking_two_tower": ("ctr", "auc"),
    "ranker": ("ctr", "auc"),
    "ranker_base": ("ctr", "auc"),
}
DEFAULT_PRIMARY: tuple[str, str] = ("vip", "recall@20")


def primary_metric(name: str, model_class: type | None = None) -> tuple[str, str]:
    """(protocol, metric) a model is judged by: its class attributes, else `PRIMARY_METRICS`, else vip recall@20."""
    protocol = getattr(model_class, "primary_protocol", None)
    metric = getattr(model_class, "primary_metric", None)
    if isinstance(protocol, str) and isinstance(metric, str):
        return protocol, metric
    return PRIMARY_METRICS.get(name, DEFAULT_PRIMARY)


# `progress(iterable, total=..., desc=...)` wraps a loop (tqdm fits); the default shows nothing.
Progress = Callable[..., Iterable]


def _no_progress(iterable: Iterable, **_: Any) -> Iterable:
    return iterable


def training_items(train: Dataset) -> np.ndarray:
    """Every item id with an interaction in the training events: the candidate set."""
    events = train.events
    codes = np.fromiter(INTERACTION_CODES, dtype=np.int64)
    return np.unique(events.item[(events.item >= 0) & np.isin(events.action, codes)]).astype(np.int64)


def score_queries(model: Recommender, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
    """(len(queries), len(candidates)) scores, through the model's `score_batch` when it has one."""
    batch = getattr(model, "score_batch", None)
    if callable(batch):
        return np.asarray(batch(queries, candidates), dtype=np.float64)
    return np.stack([np.asarray(model.score(q, candidates), dtype=np.float64) for q in queries])


def target_ranks(scores: np.ndarray, target_col: np.ndarray) -> np.ndarray:
    """1-based rank of each row's target column under a stable descending sort; inf where the column is -1."""
    rows = np.arange(scores.shape[0])
    known = target_col >= 0
    target_score = scores[rows, np.where(known, target_col, 0)][:, None]
    cols = np.arange(scores.shape[1])[None, :]
    ahead = (scores > target_score) | ((scores == target_score) & (cols < target_col[:, None]))
    ranks = ahead.sum(axis=1).astype(np.float64) + 1.0
    return np.where(known, ranks, np.inf)


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
    progress = progress or _no_progress
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


# -- time split and shared pieces of the db protocols ---------------------------------------------------------
def time_split_dataset(
    dataset: Dataset, *, test_fraction: float = 0.2, test_days: float | None = None
) -> tuple[Dataset, Dataset, float]:
    """(train, test, split time): test holds the events at or after the split, which is `test_days` before the
    last event, else the start of the last `test_fraction` of the time span. Both keep the whole item table."""
    events = dataset.events
    if len(events) < 2:
        raise ValueError(f"dataset {dataset.name!r} has {len(events)} events; a time split needs at least 2")
    first, last = float(events.timestamp.min()), float(events.timestamp.max())
    if test_days is not None:
        if test_days <= 0:
            raise ValueError("test_days must be positive")
        split = last - test_days * DAY
    else:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError("test_fraction must be between 0 and 1")
        split = first + (1.0 - test_fraction) * (last - first)
    test_mask = events.timestamp >= split
    if test_mask.all() or not test_mask.any():
        raise ValueError(
            f"the split at {split:.0f} leaves an empty {'train' if test_mask.all() else 'test'} part "
            f"(events span {(last - first) / DAY:.1f} days)"
        )

    def part(mask: np.ndarray, suffix: str) -> Dataset:
        return Dataset(events=events.select(mask), items=dataset.items, name=f"{dataset.name}-{suffix}",
                       unit_features=dataset.unit_features)

    return part(~test_mask, "train"), part(test_mask, "test"), split


def concat_events(first: EventLog, second: EventLog) -> EventLog:
    """Rows of `first` then `second`; an optional column missing on one side is filled with its 'unknown'
    value (`clicked` is dropped instead, so labels are rebuilt from request ids)."""

    def column(name: str, fill: Any, dtype: Any) -> np.ndarray | None:
        a, b = getattr(first, name), getattr(second, name)
        if a is None and b is None:
            return None
        a = np.full(len(first), fill, dtype=dtype) if a is None else a
        b = np.full(len(second), fill, dtype=dtype) if b is None else b
        return np.concatenate([a, b]).astype(dtype)

    clicked = None
    if first.clicked is not None and second.clicked is not None:
        clicked = np.concatenate([first.clicked, second.clicked]).astype(bool)
    return EventLog(
        user=np.concatenate([first.user, second.user]).astype(np.int64),
        session=np.concatenate([first.session, second.session]).astype(np.int64),
        item=np.concatenate([first.item, second.item]).astype(np.int64),
        action=np.concatenate([first.action, second.action]).astype(np.int8),
        timestamp=np.concatenate([first.timestamp, second.timestamp]).astype(np.float64),
        surface=column("surface", 0, np.int8),
        position=column("position", -1, np.int16),
        request=column("request", -1, np.int64),
        clicked=clicked,
    )


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
        progress or _no_progress, f"{model.name} vip",
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
        progress or _no_progress, f"{model.name} home",
    )
    result["n_users"] = int(len(np.unique(source.user[target_row])))
    return result


# -- ctr: impressions with click labels (IU4Rec 5.1) --------------------------------------------------------
def _impression_count(events: EventLog) -> int:
    return int(((events.action == ACTION_CODE["impression"]) & (events.item >= 0)).sum())


def evaluate_ctr(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    max_groups: int | None = None,
    max_history: int = 50,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """AUC over every test impression and GAUC over users (IU4Rec eq. 8), each request's shown items scored
    with `model.score(query, items)`; the query holds the user's interactions before the request."""
    if _impression_count(test.events) == 0:
        raise ValueError("the ctr protocol needs impressions in the test events; this data set has none")
    progress = progress or _no_progress
    events = concat_events(train.events, test.events)
    groups = impression_groups(events, max_history=max_history)
    test_start = float(test.events.timestamp.min())
    chosen = np.flatnonzero(groups.timestamp >= test_start)
    if max_groups is not None:
        chosen = chosen[:max_groups]
    history = groups.history
    scores = np.zeros(len(groups.item), dtype=np.float64)
    scored = np.zeros(len(groups.item), dtype=bool)
    started = time.perf_counter()
    for g in progress(chosen, total=len(chosen), desc=f"{model.name} ctr"):
        a, b = int(groups.history_start[g]), int(groups.history_end[g])
        first, last = int(groups.offsets[g]), int(groups.offsets[g + 1])
        query = Query(
            user_id=int(groups.user[g]),
            history=history.item[a:b].tolist(),
            history_actions=history.action[a:b].tolist(),
            history_timestamps=history.timestamp[a:b].tolist(),
            surface=SURFACE_NAMES.get(int(groups.surface[first]), "home"),
            timestamp=float(groups.timestamp[g]),
        )
        scores[first:last] = np.asarray(model.score(query, groups.item[first:last]), dtype=np.float64)
        scored[first:last] = True
    seconds = time.perf_counter() - started
    labels, users = groups.label[scored], groups.row_user()[scored]
    return {
        "auc": _finite(auc(labels, scores[scored])),
        "gauc": _finite(gauc(users, labels, scores[scored])),
        "n_impressions": int(scored.sum()),
        "n_clicks": int(labels.sum()),
        "n_groups": int(len(chosen)),
        "n_users": int(len(np.unique(users))),
        "score_seconds": round(seconds, 3),
    }


def _finite(value: float) -> float | None:
    """NaN (an AUC with one class only) as None, so metrics.json stays valid JSON."""
    return None if value is None or math.isnan(value) else float(value)


def evaluate_model(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    protocol: str = "next-item",
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    candidates: str = "active",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """One fitted model's metrics under `protocol` (`max_sessions` limits request groups for `ctr`)."""
    if protocol == "next-item":
        return evaluate_next_item(model, train, test, ks=ks, max_sessions=max_sessions, progress=progress)
    if protocol == "vip":
        return evaluate_vip(model, train, test, ks=ks, max_sessions=max_sessions, candidates=candidates,
                            progress=progress)
    if protocol == "home":
        return evaluate_home(model, train, test, ks=ks, max_sessions=max_sessions, candidates=candidates,
                             progress=progress)
    if protocol == "ctr":
        return evaluate_ctr(model, train, test, max_groups=max_sessions, progress=progress)
    if protocol == "rerank":  # the ranking stage's own protocol (MercadoLibre / Yandex), `max_sessions` VIP queries
        from recommender.ranker_eval import evaluate_rerank

        return evaluate_rerank(model, train, test, max_queries=max_sessions)
    if protocol == "multistep":  # MerRec Table 5 (recommender.mercatran_eval): 4 steps, 3 granularities
        from recommender.mercatran_eval import evaluate_table5

        return evaluate_table5(model, train, test, ks=tuple(ks), max_sessions=max_sessions)
    raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")


def evaluate_models(
    models: dict[str, Recommender],
    train: Dataset,
    test: Dataset,
    protocol: str = "next-item",
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    fit: bool = True,
    candidates: str = "active",
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """{name: metrics} for each model, fitted on `train` first unless `fit` is False (then `fit_seconds` is 0)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    if protocol == "ctr" and _impression_count(test.events) == 0:
        raise ValueError("the ctr protocol needs impressions in the test events; this data set has none")
    if candidates not in CANDIDATE_MODES:
        raise ValueError(f"unknown candidate mode {candidates!r}; known: {', '.join(CANDIDATE_MODES)}")
    results: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        started = time.perf_counter()
        if fit:
            model.fit(train)
        fit_seconds = time.perf_counter() - started
        metrics = evaluate_model(model, train, test, protocol=protocol, ks=ks, max_sessions=max_sessions,
                                 candidates=candidates, progress=progress)
        metrics["fit_seconds"] = round(fit_seconds, 3)
        results[name] = metrics
    return results


def dataset_sizes(dataset: Dataset) -> dict[str, int]:
    """Events, sessions, users and items of a dataset, for the report."""
    events = dataset.events
    return {
        "events": len(events),
        "sessions": int(len(np.unique(events.session))),
        "users": int(len(np.unique(events.user))),
        "items": int(len(np.unique(events.item[events.item >= 0]))),
    }


def _metric_columns(models: dict[str, dict[str, Any]]) -> list[str]:
    """Numeric columns in a readable order: recall, mrr, ndcg by K, the other metrics, counts, timings. hr@K is
    left out where it equals recall@K for every model (one target per query)."""
    names: list[str] = []
    for metrics in models.values():
        for key, value in metrics.items():
            if key not in names and isinstance(value, int | float) and not isinstance(value, bool):
                names.append(key)

    def same_as_recall(key: str) -> bool:
        recall = "recall@" + key.partition("@")[2]
        return key.startswith("hr@") and all(m.get(key) == m.get(recall) for m in models.values())

    def order(key: str) -> tuple[int, int, str]:
        family, _, k = key.partition("@")
        rank = {"recall": 0, "hr": 1, "mrr": 2, "ndcg": 3, "auc": 4, "gauc": 5, "coverage": 6}.get(family, 7)
        if key.startswith("n_"):
            rank = 8
        elif key.endswith("seconds"):
            rank = 9
        return (rank, int(k) if k.isdigit() else 0, key)

    return sorted((n for n in names if not same_as_recall(n)), key=order)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def report_context_lines(result: dict[str, Any]) -> list[str]:
    """The bullet lines every report starts with: data sizes per part, wall time, the run's notes."""
    lines = [f"- {part}: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
             for part, sizes in (result.get("sizes") or {}).items()]
    if result.get("seconds") is not None:
        lines.append(f"- total wall time: {result['seconds']:.1f} s")
    return lines + [f"- {note}" for note in result.get("notes") or []]


def write_report(out_dir: str | Path, result: dict[str, Any]) -> dict[str, Path]:
    """Write `metrics.json` ({"dataset", "protocol", "models"} only), `report.md` and `recall_at_k.png` (`auc.png`
    when no model has recall@K, as under the ctr protocol).

    `result` holds "dataset", "protocol", "models" ({name: metrics}) and optionally "sizes" ({part: {events,
    ...}}), "seconds" (total wall time) and "notes" (a list of lines); the optional keys go to report.md only.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    models: dict[str, dict[str, Any]] = result["models"]
    paths = {"metrics": out / "metrics.json", "report": out / "report.md", "plot": out / "recall_at_k.png"}

    shaped = {"dataset": result["dataset"], "protocol": result["protocol"], "models": models}
    paths["metrics"].write_text(json.dumps(shaped, indent=2, sort_keys=False) + "\n")

    columns = _metric_columns(models)
    lines = [
        f"# Offline evaluation: {result['dataset']}",
        "",
        f"- protocol: {result['protocol']}",
        *report_context_lines(result),
    ]
    lines += ["", "| model | " + " | ".join(columns) + " |", "| --- | " + " | ".join("---" for _ in columns) + " |"]
    for name, metrics in models.items():
        lines.append(f"| {name} | " + " | ".join(_cell(metrics.get(c, "")) for c in columns) + " |")
    lines.append("")
    paths["report"].write_text("\n".join(lines))

    title = f"{result['dataset']} ({result['protocol']})"
    if any(key.startswith("recall@") for metrics in models.values() for key in metrics):
        _plot_recall(models, paths["plot"], title=title)
    else:  # ctr: no ranked lists, a bar per model and AUC-family metric instead
        paths["plot"] = out / "auc.png"
        _plot_auc(models, paths["plot"], title=title)
    if result["protocol"] == "multistep":  # report.md in Table 5's layout instead of one very wide table
        from recommender.mercatran_eval import write_table5_report

        paths.update(write_table5_report(out, result))
    return paths


def _plot_recall(models: dict[str, dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, metrics in models.items():
        points = sorted(
            (int(key.split("@")[1]), float(value))
            for key, value in metrics.items()
            if key.startswith("recall@") and key.split("@")[1].isdigit()
        )
        if points:
            ax.plot([k for k, _ in points], [v for _, v in points], marker="o", label=name)
    ax.set_xlabel("K")
    ax.set_ylabel("recall@K")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if models:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_auc(models: dict[str, dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("auc", "gauc")
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.8 / len(metrics)
    positions = np.arange(len(models))
    for m, metric in enumerate(metrics):
        values = [models[name].get(metric) for name in models]
        ax.bar(positions + m * width, [v if isinstance(v, int | float) else 0.0 for v in values], width, label=metric)
    ax.set_xticks(positions + width * (len(metrics) - 1) / 2, list(models))
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set_ylim(0.0, 1.0)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
