"""The baselines every model must beat before it is served (DESIGN.md section 6).

- `popularity`: recent popularity, interactions counted over the last days of the training window.
- `cooccurrence`: item-to-item co-occurrence within sessions, scored from the query's recent history.
- `sknn`: V-SKNN (Ludewig & Jannach 2018, "Evaluation of session-based recommendation algorithms"), scoring
  as the session-rec implementation (`VMContextKNN` with its defaults) does.
- `content`: content kNN over the items' text vectors.

Every baseline keeps a sorted vocabulary of the item ids it has seen, falls back to popularity order for an
empty (or entirely unknown) history, breaks ties by popularity, and scores unknown candidates below every known
one. Scores are float64; the model's own scores are non-negative, the tie-break adds less than 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Query, Recommender, register
from recommender.data import INTERACTION_CODES, Dataset, EventLog
from recommender.sequences import DAY, session_sequences

UNKNOWN_SCORE = -1.0  # below every known item: the models' scores are >= 0
TIE_BREAK = 1e-7  # popularity's share of a score: orders items the model itself cannot tell apart
FALLBACK_WINDOW_DAYS = 30.0


# -- shared pieces -------------------------------------------------------------------------------------------
def index_of(vocabulary: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Dense index of each id in the sorted `vocabulary`, -1 for ids it does not hold."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(vocabulary) == 0:
        return np.full(ids.shape, -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(vocabulary, ids), len(vocabulary) - 1)
    return np.where(vocabulary[pos] == ids, pos, -1).astype(np.int64)


def interaction_rows(events: EventLog) -> np.ndarray:
    """Rows that express interest in an item (the six MerRec actions, not impressions or searches)."""
    codes = np.fromiter(INTERACTION_CODES, dtype=np.int64)
    return np.flatnonzero((events.item >= 0) & np.isin(events.action, codes))


def recent_popularity(
    events: EventLog, vocabulary: np.ndarray, window_days: float | None, half_life_days: float | None = None
) -> np.ndarray:
    """(len(vocabulary),) interaction counts over the last `window_days` of the log (None: all of it), each
    weighted 0.5 ** (age / half_life_days) when a half-life is given."""
    rows = interaction_rows(events)
    counts = np.zeros(len(vocabulary), dtype=np.float64)
    if len(rows) == 0:
        return counts
    ts = events.timestamp[rows]
    end = float(ts.max())
    if window_days is not None:
        rows = rows[ts >= end - window_days * DAY]
        ts = events.timestamp[rows]
    weights = np.ones(len(rows)) if half_life_days is None else 0.5 ** ((end - ts) / (half_life_days * DAY))
    idx = index_of(vocabulary, events.item[rows])
    known = idx >= 0
    return np.bincount(idx[known], weights=weights[known], minlength=len(vocabulary)).astype(np.float64)


def history_of(query: Query, max_history: int | None = None) -> np.ndarray:
    """The query's interaction history (oldest first), impressions and searches dropped, the page's current
    item appended when it is not already the last entry."""
    items = np.asarray(query.history, dtype=np.int64)
    if len(query.history_actions) == len(items) and len(items):
        codes = np.fromiter(INTERACTION_CODES, dtype=np.int64)
        items = items[np.isin(np.asarray(query.history_actions, dtype=np.int64), codes)]
    items = items[items >= 0]
    if query.current_item is not None and (len(items) == 0 or items[-1] != query.current_item):
        items = np.r_[items, np.int64(query.current_item)]
    if max_history is not None:
        items = items[-max_history:]
    return items


def _data_window(events: EventLog) -> dict[str, Any]:
    if len(events) == 0:
        return {"events": 0}
    return {"start": float(events.timestamp.min()), "end": float(events.timestamp.max()), "events": len(events)}


class BaselineRecommender(Recommender):
    """Shared vocabulary, popularity fallback and candidate lookup; subclasses give `item_scores`."""

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.item_ids = np.zeros(0, dtype=np.int64)  # (n,) sorted vocabulary
        self.popularity = np.zeros(0, dtype=np.float64)  # (n,)

    # Subclasses: dense (n,) non-negative scores over the vocabulary, or None to use popularity alone.
    def item_scores(self, query: Query) -> np.ndarray | None:
        return None

    def _fit_vocabulary(self, dataset: Dataset, extra_ids: np.ndarray | None = None) -> None:
        events = dataset.events
        ids = events.item[interaction_rows(events)]
        if extra_ids is not None:
            ids = np.r_[ids, extra_ids]
        self.item_ids = np.unique(ids).astype(np.int64)
        self.popularity = recent_popularity(events, self.item_ids, FALLBACK_WINDOW_DAYS)
        self.data_window = _data_window(events)

    def _tie_break(self) -> np.ndarray:
        top = float(self.popularity.max()) if len(self.popularity) else 0.0
        return self.popularity / (top + 1.0) * TIE_BREAK

    def _at_candidates(self, model_scores: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
        """Final scores for candidates at vocabulary positions `idx` (-1 unknown); `model_scores` has shape
        (..., len(idx)), already taken at the candidates, or is None for popularity alone."""
        if len(self.item_ids) == 0:
            return np.full(idx.shape if model_scores is None else model_scores.shape, UNKNOWN_SCORE)
        known = idx >= 0
        scores = self._tie_break()[np.where(known, idx, 0)]
        if model_scores is not None:
            scores = scores + model_scores
        return np.where(known, scores, UNKNOWN_SCORE)

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        idx = index_of(self.item_ids, np.asarray(candidates, dtype=np.int64))
        dense = self.item_scores(query)
        return self._at_candidates(None if dense is None else dense[np.where(idx >= 0, idx, 0)], idx)

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        """(len(queries), len(candidates)) scores; the same as stacking `score` over the queries."""
        candidates = np.asarray(candidates, dtype=np.int64)
        if not queries:
            return np.zeros((0, len(candidates)))
        return np.stack([self.score(query, candidates) for query in queries])

    def state(self) -> dict[str, Any]:
        return {"item_ids": self.item_ids, "popularity": self.popularity}

    def load_state(self, state: dict[str, Any]) -> None:
        self.item_ids = np.asarray(state["item_ids"], dtype=np.int64)
        self.popularity = np.asarray(state["popularity"], dtype=np.float64)


# -- popularity ------------------------------------------------------------------------------------------------
@dataclass
class PopularityConfig:
    window_days: float | None = 30.0  # count interactions in the last N days of the training window; None = all
    half_life_days: float | None = None  # time decay: an interaction's weight halves every N days; None = none


@register("popularity", kind="baseline")
class Popularity(BaselineRecommender):
    """Recent popularity: the same order for everyone; all-time counts break ties within the window."""

    name = "popularity"
    config_class = PopularityConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.recent = np.zeros(0, dtype=np.float64)  # (n,) windowed, possibly decayed counts

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        self._fit_vocabulary(dataset)
        self.popularity = recent_popularity(dataset.events, self.item_ids, None)  # tie-break: all time
        self.recent = recent_popularity(
            dataset.events, self.item_ids, self.config.window_days, self.config.half_life_days
        )
        return {"items": len(self.item_ids), "items_in_window": int((self.recent > 0).sum())}

    def item_scores(self, query: Query) -> np.ndarray | None:
        return self.recent

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        row = self.score(Query(), candidates)
        return np.broadcast_to(row, (len(queries), len(row))).copy()

    def state(self) -> dict[str, Any]:
        return {**super().state(), "recent": self.recent}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.recent = np.asarray(state["recent"], dtype=np.float64)


# -- item co-occurrence ------------------------------------------------------------------------------------------
@dataclass
class CooccurrenceConfig:
    window: int | None = 10  # pair items at most this many positions apart in a session; None = whole session
    directed: bool = True  # count only pairs where the second item follows the first (sequential rules)
    distance_weight: bool = True  # weight a pair 1 / (positions apart), as session-rec's sequential rules
    include_repeats: bool = True  # a re-click of the same item counts as a pair (the item predicts itself)
    history_decay: float = 0.5  # weight of the history item k steps before the newest: decay ** k
    max_history: int = 10  # the newest N history items are read


def session_pairs(
    events: EventLog, window: int | None, directed: bool, distance_weight: bool, include_repeats: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, weight) of every item pair within a session at most `window` apart; pairs of the same
    item only with `include_repeats`."""
    seqs = session_sequences(events, INTERACTION_CODES, min_length=2)
    n = len(seqs.item)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    seq_end = np.repeat(seqs.offsets[1:], seqs.lengths())
    remaining = seq_end - np.arange(n) - 1  # rows after each row in its session
    max_distance = int(remaining.max()) if window is None else min(window, int(remaining.max()))
    firsts, seconds, weights = [], [], []
    rows = np.arange(n)
    for distance in range(1, max_distance + 1):
        rows = rows[remaining[rows] >= distance]  # shrinks as the distance grows: total work = number of pairs
        a, b = seqs.item[rows], seqs.item[rows + distance]
        differ = np.ones(len(a), dtype=bool) if include_repeats else a != b
        firsts.append(a[differ])
        seconds.append(b[differ])
        weights.append(np.full(int(differ.sum()), 1.0 / distance if distance_weight else 1.0))
    first, second, weight = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(weights)
    if not directed:
        first, second, weight = np.r_[first, second], np.r_[second, first], np.r_[weight, weight]
    return first, second, weight


@register("cooccurrence", kind="baseline")
class Cooccurrence(BaselineRecommender):
    """score(c) = sum over the newest history items h of decay ** age(h) * C[h, c], C the pair counts."""

    name = "cooccurrence"
    config_class = CooccurrenceConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.matrix = sparse.csr_matrix((0, 0))  # (n, n) float64: C[i, j]

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        self._fit_vocabulary(dataset)
        cfg = self.config
        first, second, weight = session_pairs(
            dataset.events, cfg.window, cfg.directed, cfg.distance_weight, cfg.include_repeats
        )
        n = len(self.item_ids)
        rows, cols = index_of(self.item_ids, first), index_of(self.item_ids, second)
        self.matrix = sparse.csr_matrix((weight, (rows, cols)), shape=(n, n))
        self.matrix.sum_duplicates()
        return {"items": n, "pairs": int(self.matrix.nnz)}

    def _query_weights(self, queries: list[Query]) -> sparse.csr_matrix:
        """(len(queries), n) recency weights of each query's history items (repeats add up)."""
        rows, cols, vals = [], [], []
        for q, query in enumerate(queries):
            idx = index_of(self.item_ids, history_of(query, self.config.max_history))
            age = np.arange(len(idx))[::-1]
            known = idx >= 0
            rows.append(np.full(int(known.sum()), q))
            cols.append(idx[known])
            vals.append(self.config.history_decay ** age[known])
        return sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(queries), len(self.item_ids)),
        )

    def item_scores(self, query: Query) -> np.ndarray | None:
        weights = self._query_weights([query])
        if weights.nnz == 0:
            return None
        return np.asarray((weights @ self.matrix).todense()).ravel()

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        idx = index_of(self.item_ids, np.asarray(candidates, dtype=np.int64))
        scores = np.zeros((len(queries), len(idx)))
        known = idx >= 0
        if queries and known.any():
            weights = self._query_weights(queries)  # (b, n)
            scores[:, known] = (weights @ self.matrix[:, idx[known]]).toarray()
        return self._at_candidates(scores, idx)

    def state(self) -> dict[str, Any]:
        m = self.matrix
        return {**super().state(), "indptr": m.indptr, "indices": m.indices, "data": m.data}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        n = len(self.item_ids)
        self.matrix = sparse.csr_matrix((state["data"], state["indices"], state["indptr"]), shape=(n, n))


# -- V-SKNN ------------------------------------------------------------------------------------------------------
@dataclass
class SknnConfig:
    k: int = 100  # neighbour sessions whose items are scored
    sample_size: int = 500  # the most recent sessions sharing an item with the query are the neighbour pool
    similarity: str = "vec"  # "vec": shared items' position weights summed / query length (V-SKNN); "cosine"
    score_decay: str = "div"  # a neighbour counts 1 / (steps back to the newest item it shares); "same": 1
    max_history: int | None = None  # read only the newest N history items (session-rec's last_n_clicks)


def gather_ranges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions of CSR rows `rows` and, for each, which of `rows` it came from."""
    starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
    owner = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.r_[0, np.cumsum(lengths)[:-1]] if len(rows) else np.zeros(0, np.int64)
    positions = np.arange(int(lengths.sum())) - np.repeat(offsets, lengths) + np.repeat(starts, lengths)
    return positions.astype(np.int64), owner


@register("sknn", kind="baseline")
class SessionKnn(BaselineRecommender):
    """V-SKNN: the query session is a vector whose weights decay linearly with position (newest = 1); the most
    recent training sessions sharing an item form a pool, the k most similar of them vote for their items."""

    name = "sknn"
    config_class = SknnConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.session_indptr = np.zeros(1, dtype=np.int64)  # (s + 1,) session -> its distinct items
        self.session_items = np.zeros(0, dtype=np.int64)  # (nnz,) vocabulary positions
        self.session_time = np.zeros(0, dtype=np.float64)  # (s,) the session's last event
        self.item_indptr = np.zeros(1, dtype=np.int64)  # (n + 1,) item -> sessions holding it
        self.item_sessions = np.zeros(0, dtype=np.int64)  # (nnz,)

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        self._fit_vocabulary(dataset)
        seqs = session_sequences(dataset.events, INTERACTION_CODES)
        n = len(self.item_ids)
        incidence = sparse.csr_matrix(
            (np.ones(len(seqs.item)), (seqs.segment_of_rows(), index_of(self.item_ids, seqs.item))),
            shape=(len(seqs), n),
        )
        incidence.sum_duplicates()
        incidence.sort_indices()
        by_item = incidence.tocsc()
        by_item.sort_indices()
        self.session_indptr, self.session_items = incidence.indptr.astype(np.int64), incidence.indices.astype(np.int64)
        self.item_indptr, self.item_sessions = by_item.indptr.astype(np.int64), by_item.indices.astype(np.int64)
        last = seqs.offsets[1:] - 1
        self.session_time = seqs.timestamp[last] if len(seqs) else np.zeros(0)
        return {"items": n, "sessions": len(seqs)}

    def item_scores(self, query: Query) -> np.ndarray | None:
        cfg = self.config
        idx = index_of(self.item_ids, history_of(query, cfg.max_history))
        idx = idx[idx >= 0]
        length = len(idx)
        if length == 0:
            return None
        # Each distinct item keeps its newest position p (1-based): weight p / length, steps back length - p + 1.
        reversed_idx = idx[::-1]
        distinct, first_from_end = np.unique(reversed_idx, return_index=True)
        position = length - first_from_end
        weight = position / length
        step = first_from_end + 1

        # The pool: every session holding a history item, cut to the `sample_size` most recent.
        flat, owner = gather_ranges(self.item_indptr, distinct)
        sessions, inverse = np.unique(self.item_sessions[flat], return_inverse=True)
        dot = np.bincount(inverse, weights=weight[owner], minlength=len(sessions))
        newest_step = np.full(len(sessions), np.iinfo(np.int64).max)
        np.minimum.at(newest_step, inverse, step[owner])
        if len(sessions) > cfg.sample_size:
            recent = np.argsort(-self.session_time[sessions], kind="stable")[: cfg.sample_size]
            sessions, dot, newest_step = sessions[recent], dot[recent], newest_step[recent]
        if cfg.similarity == "cosine":
            neighbour_length = np.diff(self.session_indptr)[sessions]
            similarity = dot / np.sqrt(len(distinct) * neighbour_length)
        else:
            similarity = dot / len(distinct)

        # The k most similar vote for their items; ties (to 1e-9, so summation order cannot matter) go to the
        # more recent session.
        order = np.lexsort((-self.session_time[sessions], -np.round(similarity, 9)))[: cfg.k]
        vote = similarity[order]
        if cfg.score_decay == "div":
            vote = vote / newest_step[order]
        flat, owner = gather_ranges(self.session_indptr, sessions[order])
        return np.bincount(self.session_items[flat], weights=vote[owner], minlength=len(self.item_ids))

    def state(self) -> dict[str, Any]:
        return {
            **super().state(),
            "session_indptr": self.session_indptr,
            "session_items": self.session_items,
            "session_time": self.session_time,
            "item_indptr": self.item_indptr,
            "item_sessions": self.item_sessions,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.session_indptr = np.asarray(state["session_indptr"], dtype=np.int64)
        self.session_items = np.asarray(state["session_items"], dtype=np.int64)
        self.session_time = np.asarray(state["session_time"], dtype=np.float64)
        self.item_indptr = np.asarray(state["item_indptr"], dtype=np.int64)
        self.item_sessions = np.asarray(state["item_sessions"], dtype=np.int64)


# -- content kNN ----------------------------------------------------------------------------------------------------
@dataclass
class ContentConfig:
    max_history: int = 20  # the newest N history items with a text vector form the profile


@register("content", kind="baseline")
class ContentKnn(BaselineRecommender):
    """Cosine between each candidate's text vector and the mean of the history's vectors (shifted to [0, 2]);
    items without a vector get popularity order below them, and without any text it is plain popularity."""

    name = "content"
    config_class = ContentConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.vectors = np.zeros((0, 0), dtype=np.float32)  # (n, d) l2-normalised, zero rows where no text
        self.has_vector = np.zeros(0, dtype=bool)  # (n,)

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        items = dataset.items
        self._fit_vocabulary(dataset, extra_ids=items.item_id if items.text_vector is not None else None)
        n = len(self.item_ids)
        if items.text_vector is None or len(items) == 0:
            self.vectors = np.zeros((n, 0), dtype=np.float32)
            self.has_vector = np.zeros(n, dtype=bool)
            return {"items": n, "items_with_text": 0}
        source = np.asarray(items.text_vector, dtype=np.float32)
        norms = np.linalg.norm(source, axis=1)
        rows = index_of(self.item_ids, items.item_id)
        self.vectors = np.zeros((n, source.shape[1]), dtype=np.float32)
        self.vectors[rows] = source / np.where(norms > 0, norms, 1.0)[:, None]
        self.has_vector = np.zeros(n, dtype=bool)
        self.has_vector[rows] = norms > 0
        return {"items": n, "items_with_text": int(self.has_vector.sum())}

    def _profile(self, query: Query) -> np.ndarray | None:
        if not self.has_vector.any():
            return None
        idx = index_of(self.item_ids, history_of(query))
        idx = idx[idx >= 0]
        idx = idx[self.has_vector[idx]][-self.config.max_history :]
        if len(idx) == 0:
            return None
        profile = self.vectors[idx].mean(axis=0)
        norm = float(np.linalg.norm(profile))
        return profile / norm if norm > 0 else None

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        return self.score_batch([query], candidates)[0]

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        idx = index_of(self.item_ids, np.asarray(candidates, dtype=np.int64))
        profiles = [self._profile(query) for query in queries]
        scores = np.zeros((len(queries), len(idx)))
        with_profile = [q for q, p in enumerate(profiles) if p is not None]
        if with_profile:
            safe = np.where(idx >= 0, idx, 0)
            matrix = np.stack([p for p in profiles if p is not None])  # (b', d), the rows of with_profile
            similarity = (matrix @ self.vectors.T)[:, safe].astype(np.float64)  # (b', c) via the whole vocabulary
            scores[with_profile] = np.where(self.has_vector[safe], 1.0 + similarity, 0.0)
        return self._at_candidates(scores, idx)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "vectors": self.vectors, "has_vector": self.has_vector}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.vectors = np.asarray(state["vectors"], dtype=np.float32)
        self.has_vector = np.asarray(state["has_vector"], dtype=bool)
