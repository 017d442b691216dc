"""Queries, candidates and features of the ranking stage (MercadoLibre §7, Yandex §3-4); Django-free.

A ranking query is a view-item page (a session prefix ending on the item shown, as MercadoLibre's
"recommendation" task) or a homepage (the user's interactions in the 30 days before a time). Its candidates are
the union of the retrieval sources' top lists (content kNN, co-occurrence, V-SKNN, recent popularity) over the
items available at that time, and its labels are what the user touched next, graded view < like / cart / offer <
purchase. The features of a (query, candidate) pair are the sources' scores, interest-unit and user x unit
features, price and freshness (the base set); the ranker adds the 18 SCID coefficients and the two-tower cosine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.base import Query
from recommender.baselines import (
    BaselineRecommender,
    ContentKnn,
    Cooccurrence,
    Popularity,
    SessionKnn,
    history_of,
    index_of,
)
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.sequences import DAY, home_samples, vip_samples

# Relevance grades of what a user touched next (the strongest action on an item counts).
GRADE: dict[int, int] = {
    ACTION_CODE["item_view"]: 1,
    ACTION_CODE["item_like"]: 2,
    ACTION_CODE["item_add_to_cart_tap"]: 2,
    ACTION_CODE["offer_make"]: 2,
    ACTION_CODE["buy_start"]: 3,
    ACTION_CODE["buy_comp"]: 3,
}
SOURCES: tuple[str, ...] = ("content", "cooccurrence", "sknn", "popularity")
BASE_FEATURES: tuple[str, ...] = (
    *(f"{s}_score" for s in SOURCES),
    "current_cosine",  # text cosine with the newest history item (the page's item on a VIP)
    "history_count",  # times the candidate is in the history
    "steps_since_seen",  # history steps since the candidate was last touched (NaN: never)
    "same_leaf_as_last", "same_brand_as_last",
    "unit_ctr", "unit_impressions", "unit_size", "unit_active", "unit_sold_share",  # interest-unit features
    "user_unit_clicks", "user_unit_share",  # user x unit: the history's interactions in the candidate's unit
    "log_price", "price_gap",  # the candidate's log price, and its gap to the history's mean log price
    "age_days",  # freshness: days since the listing was created, at the query's time
    "is_vip", "history_length",
)
# Model scores whose level shifts from query to query: the ranker also sees them per query (`per_query_views`),
# as it sees SCID's coefficients and the two-tower cosine.
RELATIVE_BASE: tuple[str, ...] = (*(f"{s}_score" for s in SOURCES), "current_cosine")
BUY = ACTION_CODE["buy_comp"]


def relative_to_max(values: np.ndarray, group_sizes: np.ndarray) -> np.ndarray:
    """(rows, k) float32: each column minus its maximum over the row's query (consecutive groups of
    `group_sizes` rows); NaN stays NaN, a query whose column is all NaN stays NaN."""
    values = np.asarray(values, dtype=np.float32)
    sizes = np.asarray(group_sizes, dtype=np.int64)
    if values.shape[0] == 0:
        return values.copy()
    starts = (np.cumsum(sizes) - sizes)[sizes > 0]
    best = np.maximum.reduceat(np.where(np.isnan(values), -np.inf, values), starts, axis=0)
    best = np.repeat(best, sizes[sizes > 0], axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(best), values - best, np.nan).astype(np.float32)


def rank_in_query(values: np.ndarray, group_sizes: np.ndarray, bits: int = 20) -> np.ndarray:
    """(rows, k) float32: each value's rank within its query's column, 0 = the best (largest); ties share the
    best rank of their run (candidates with equal scores are not ordered by an arbitrary tie-break); NaN stays
    NaN and counts after every value. Values are compared at `bits` bits of mantissa (relative precision, since
    some sources' scores are ~1e-9): float noise (SCID's incremental state at serving vs the batch features) must
    not reorder equal scores."""
    mantissa, exponent = np.frexp(np.asarray(values, dtype=np.float64))
    values = np.ldexp(np.round(mantissa * 2.0**bits) / 2.0**bits, exponent)
    sizes = np.asarray(group_sizes, dtype=np.int64)
    out = np.full(values.shape, np.nan, dtype=np.float32)
    if values.shape[0] == 0:
        return out
    group = np.repeat(np.arange(len(sizes)), sizes)
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    for j in range(values.shape[1]):
        col = values[:, j]
        key = np.where(np.isnan(col), np.inf, -col)  # descending values, NaN last
        order = np.lexsort((key, group))
        k, g = key[order], group[order]
        new_run = np.ones(len(order), dtype=bool)
        new_run[1:] = (k[1:] != k[:-1]) | (g[1:] != g[:-1])
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(order)), 0))
        ranks = np.empty(len(order), dtype=np.float32)
        ranks[order] = run_start - start[order]
        out[:, j] = np.where(np.isnan(col), np.nan, ranks)
    return out


def per_query_views(values: np.ndarray, group_sizes: np.ndarray, *, relative: bool, rank: bool) -> list[np.ndarray]:
    """The per-query views of model scores the ranker sees besides their values: relative to the query's best
    candidate, and rank within the query (lambdarank compares candidates within a query; trees split on absolute
    values, whose level shifts from query to query)."""
    return ([relative_to_max(values, group_sizes)] if relative else []) + (
        [rank_in_query(values, group_sizes)] if rank else [])


def view_names(names: list[str] | tuple[str, ...], *, relative: bool, rank: bool) -> list[str]:
    """The column names of `per_query_views`, in its order."""
    return ([f"{n}_rel" for n in names] if relative else []) + ([f"{n}_rank" for n in names] if rank else [])


# -- queries ---------------------------------------------------------------------------------------------------
@dataclass
class RankingQueries:
    """Queries with their targets: `target` is the next item, `labels[i]` every item touched within the horizon."""

    queries: list[Query]
    target: np.ndarray  # (q,) int64
    labels: list[dict[int, int]]  # item -> grade
    seen: np.ndarray  # (q,) bool: the target is in the query's history (MercadoLibre's seen / not seen split)

    def __len__(self) -> int:
        return len(self.queries)

    def subset(self, rows: np.ndarray) -> RankingQueries:
        return RankingQueries([self.queries[i] for i in rows], self.target[rows], [self.labels[i] for i in rows],
                              self.seen[rows])


def _future_labels(seqs, target_row: np.ndarray, horizon: int) -> list[dict[int, int]]:
    """Grades of the items in rows target .. target + horizon - 1 of the same sequence."""
    seq_end = np.repeat(seqs.offsets[1:], seqs.lengths())
    out = []
    for row in target_row.tolist():
        labels: dict[int, int] = {}
        for r in range(row, min(row + horizon, int(seq_end[row]))):
            item, grade = int(seqs.item[r]), GRADE.get(int(seqs.action[r]), 1)
            labels[item] = max(labels.get(item, 0), grade)
        out.append(labels)
    return out


def ranking_queries(
    events: EventLog, *, since: float, until: float = np.inf, max_vip: int | None = None,
    max_home: int | None = None, horizon: int = 5, window_days: float = 30.0, seed: int = 0,
) -> RankingQueries:
    """VIP and homepage queries whose target falls in [since, until), at most `max_vip` / `max_home` of each
    (a seeded sample, kept in time order). History is read from all of `events` before the target."""
    rng = np.random.default_rng(seed)
    parts: list[RankingQueries] = []
    for surface, limit in (("vip", max_vip), ("home", max_home)):
        if surface == "vip":
            samples = vip_samples(events, max_history=50)
        else:
            samples = home_samples(events, window_days=window_days, max_history=100, min_history=1)
        seqs = samples.source
        t = seqs.timestamp[samples.target_row]
        keep = (t >= since) & (t < until)
        if surface == "home":  # the homepage after a view of the target is not a recommendation
            keep &= seqs.item[samples.target_row] != seqs.item[np.maximum(samples.end - 1, 0)]
        rows = np.flatnonzero(keep)
        if limit is not None and len(rows) > limit:
            rows = np.sort(rng.choice(rows, size=limit, replace=False))
        start, end, target_row = samples.start[rows], samples.end[rows], samples.target_row[rows]
        queries, seen = [], np.zeros(len(rows), dtype=bool)
        for i, (a, b, r) in enumerate(zip(start.tolist(), end.tolist(), target_row.tolist(), strict=True)):
            history = seqs.item[a:b].tolist()
            seen[i] = int(seqs.item[r]) in history
            queries.append(Query(
                user_id=int(seqs.user[r]), history=history, history_actions=seqs.action[a:b].tolist(),
                history_timestamps=seqs.timestamp[a:b].tolist(), surface=surface,
                current_item=history[-1] if surface == "vip" and history else None,
                timestamp=float(seqs.timestamp[r]),
            ))
        parts.append(RankingQueries(queries, seqs.item[target_row].astype(np.int64),
                                    _future_labels(seqs, target_row, horizon), seen))
    order = np.argsort(np.array([q.timestamp for p in parts for q in p.queries], dtype=np.float64), kind="stable")
    merged = RankingQueries(
        [q for p in parts for q in p.queries], np.concatenate([p.target for p in parts]),
        [lab for p in parts for lab in p.labels], np.concatenate([p.seen for p in parts]),
    )
    return merged.subset(order)


# -- availability ----------------------------------------------------------------------------------------------
class Availability:
    """Whether an item could be recommended at a time: created by then and not bought before (sold once)."""

    def __init__(self, items: ItemTable, events: EventLog) -> None:
        self.item_id = np.sort(items.item_id.astype(np.int64))
        order = np.argsort(items.item_id, kind="stable")
        created = np.asarray(items.created_at, dtype=np.float64)[order]
        self.created = np.where(created > 0, created, -np.inf)
        self.sold_at = np.full(len(self.item_id), np.inf)
        bought = (events.action == BUY) & (events.item >= 0)
        idx = index_of(self.item_id, events.item[bought])
        np.minimum.at(self.sold_at, idx[idx >= 0], events.timestamp[bought][idx >= 0])

    def mask(self, item_ids: np.ndarray, times: np.ndarray) -> np.ndarray:
        """(len(times), len(item_ids)) bool; items unknown to the table count as available."""
        idx = index_of(self.item_id, item_ids)
        safe = np.maximum(idx, 0)
        t = np.asarray(times, dtype=np.float64)[:, None]
        ok = (self.created[safe][None, :] <= t) & (self.sold_at[safe][None, :] > t)
        return ok | (idx < 0)[None, :]


# -- retrieval sources -----------------------------------------------------------------------------------------
class CandidateSources:
    """The four retrieval sources: scores over a shared universe of items, and the union of their top lists."""

    def __init__(self) -> None:
        self.content = ContentKnn()  # also the vectors of the content-similarity features
        self.models: dict[str, BaselineRecommender] = {
            "content": self.content, "cooccurrence": Cooccurrence(), "sknn": SessionKnn(), "popularity": Popularity()}
        self.universe = np.zeros(0, dtype=np.int64)

    def fit(self, dataset: Dataset) -> None:
        for model in self.models.values():
            model.fit(dataset)
        self.universe = np.unique(np.concatenate([m.item_ids for m in self.models.values()])).astype(np.int64)

    def scores(self, queries: list[Query], item_ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """{source: (len(queries), len(item_ids)) float64} (default: the universe); -1 for unknown items."""
        ids = self.universe if item_ids is None else np.asarray(item_ids, dtype=np.int64)
        return {name: np.asarray(model.score_batch(queries, ids), dtype=np.float64)
                for name, model in self.models.items()}

    def retrieve(self, queries: list[Query], available: Availability | None, per_source: int = 40,
                 batch_size: int = 128) -> list[np.ndarray]:
        """Per query: the union of each source's top `per_source` available items, the newest history item left
        out (the page the user is on, or an item just seen), in source order, without duplicates."""
        out: list[np.ndarray] = []
        for s in range(0, len(queries), batch_size):
            batch = queries[s : s + batch_size]
            scores = self.scores(batch)
            times = np.array([q.timestamp if q.timestamp is not None else np.inf for q in batch])
            mask = available.mask(self.universe, times) if available is not None else None
            for b, query in enumerate(batch):
                history = history_of(query)
                last = int(history[-1]) if len(history) else None
                picked: list[int] = []
                for name in SOURCES:
                    row = scores[name][b].copy()
                    if mask is not None:
                        row[~mask[b]] = -np.inf
                    k = min(per_source + 1, len(row))
                    top = np.argpartition(-row, k - 1)[:k] if k else np.zeros(0, np.int64)
                    top = top[np.argsort(-row[top], kind="stable")]
                    picked += [int(i) for i in self.universe[top[np.isfinite(row[top])]] if i != last][:per_source]
                out.append(np.array(list(dict.fromkeys(picked)), dtype=np.int64))
        return out

    def state(self) -> dict:
        return {"universe": self.universe, **{name: m.state() for name, m in self.models.items()}}

    def load_state(self, state: dict) -> None:
        self.universe = np.asarray(state["universe"], dtype=np.int64)
        for name, model in self.models.items():
            model.load_state(state[name])


# -- item and interest-unit facts ------------------------------------------------------------------------------
class ItemFacts:
    """Per-item content facts and per-unit counters, frozen at fit time (units: the listing's interest unit, else
    its product, brand + leaf category, the SPU interest unit's definition)."""

    def __init__(self) -> None:
        self.item_id = np.zeros(0, dtype=np.int64)
        self.log_price = np.zeros(0, dtype=np.float32)
        self.created = np.zeros(0, dtype=np.float64)
        self.leaf = np.zeros(0, dtype=np.int64)
        self.brand = np.zeros(0, dtype=np.int64)
        self.unit = np.zeros(0, dtype=np.int64)  # 0 = none
        self.unit_ids = np.zeros(0, dtype=np.int64)  # sorted
        self.unit_stats = np.zeros((0, 5), dtype=np.float32)  # ctr, impressions, size, active, sold share

    def fit(self, items: ItemTable, events: EventLog) -> None:
        order = np.argsort(items.item_id, kind="stable")
        self.item_id = items.item_id[order].astype(np.int64)
        self.log_price = np.log1p(np.maximum(items.price[order].astype(np.float64), 0)).astype(np.float32)
        self.created = items.created_at[order].astype(np.float64)
        self.leaf = items.category[order, 2].astype(np.int64)
        self.brand = items.brand[order].astype(np.int64)
        iu = items.interest_unit[order] if items.interest_unit is not None else np.zeros(len(order), np.int64)
        self.unit = np.where(iu > 0, iu, -items.product[order]).astype(np.int64)  # products negative: no clash
        self.unit_ids = np.unique(self.unit[self.unit != 0])
        n_units = len(self.unit_ids)

        def per_unit(item_ids: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
            rows = index_of(self.item_id, item_ids)
            units = index_of(self.unit_ids, self.unit[np.maximum(rows, 0)])
            ok = (rows >= 0) & (units >= 0)
            w = None if weights is None else weights[ok]
            return np.bincount(units[ok], weights=w, minlength=n_units).astype(np.float64)

        size = per_unit(self.item_id)
        impression = (events.action == ACTION_CODE["impression"]) & (events.item >= 0)
        impressions = per_unit(events.item[impression])
        clicked = events.clicked[impression].astype(np.float64) if events.clicked is not None else None
        clicks = per_unit(events.item[impression], clicked) if clicked is not None else np.zeros(n_units)
        sold = per_unit(np.unique(events.item[(events.action == BUY) & (events.item >= 0)]))
        ctr = (clicks + 1.0) / (impressions + 20.0)  # smoothed: units with few impressions stay near the prior
        self.unit_stats = np.stack(
            [ctr, np.log1p(impressions), size, np.maximum(size - sold, 0), sold / np.maximum(size, 1)], axis=1
        ).astype(np.float32)

    def rows(self, item_ids: np.ndarray) -> np.ndarray:
        return index_of(self.item_id, item_ids)

    def state(self) -> dict:
        return dict(self.__dict__)

    def load_state(self, state: dict) -> None:
        self.__dict__.update(state)


def base_features(
    queries: list[Query], candidates: list[np.ndarray], source_scores: list[dict[str, np.ndarray]],
    facts: ItemFacts, content: ContentKnn,
) -> np.ndarray:
    """(sum of candidates, len(BASE_FEATURES)) float32; `source_scores[i][s]` holds source s at query i's
    candidates. Unknown items get NaN (LightGBM sends missing values down a learned side)."""
    blocks = []
    for query, cands, scores in zip(queries, candidates, source_scores, strict=True):
        n = len(cands)
        f = np.full((n, len(BASE_FEATURES)), np.nan, dtype=np.float32)
        for j, name in enumerate(SOURCES):
            f[:, j] = scores[name]
        col = len(SOURCES)
        history = history_of(query)
        rows = facts.rows(cands)
        known = rows >= 0
        safe = np.maximum(rows, 0)
        if len(history):
            last = int(history[-1])
            ci, li = index_of(content.item_ids, cands), index_of(content.item_ids, np.array([last]))[0]
            if li >= 0 and content.has_vector[li]:
                ok = (ci >= 0) & content.has_vector[np.maximum(ci, 0)]
                f[ok, col] = content.vectors[ci[ok]] @ content.vectors[li]
            positions = {int(item): p for p, item in enumerate(history.tolist())}
            counts: dict[int, int] = {}
            for item in history.tolist():
                counts[int(item)] = counts.get(int(item), 0) + 1
            f[:, col + 1] = [counts.get(int(c), 0) for c in cands]
            f[:, col + 2] = [len(history) - 1 - positions[int(c)] if int(c) in positions else np.nan for c in cands]
            lr = facts.rows(np.array([last]))[0]
            if lr >= 0:
                f[known, col + 3] = (facts.leaf[safe] == facts.leaf[lr])[known] & (facts.leaf[lr] != 0)
                f[known, col + 4] = (facts.brand[safe] == facts.brand[lr])[known] & (facts.brand[lr] != 0)
        else:
            f[:, col + 1] = 0
        col += 5
        unit_rows = index_of(facts.unit_ids, np.where(known, facts.unit[safe], 0))
        has_unit = unit_rows >= 0
        f[has_unit, col : col + 5] = facts.unit_stats[unit_rows[has_unit]]
        col += 5
        hist_rows = facts.rows(history)
        hist_units = facts.unit[hist_rows[hist_rows >= 0]]
        hist_units = hist_units[hist_units != 0]
        cand_units = np.where(known, facts.unit[safe], 0)
        if len(hist_units):
            units, counts_u = np.unique(hist_units, return_counts=True)
            pos = index_of(units, cand_units)
            clicks = np.where((pos >= 0) & (cand_units != 0), counts_u[np.maximum(pos, 0)], 0)
        else:
            clicks = np.zeros(n)
        f[:, col] = clicks
        f[:, col + 1] = clicks / max(len(history), 1)
        col += 2
        f[known, col] = facts.log_price[safe][known]
        hist_price = facts.log_price[hist_rows[hist_rows >= 0]]
        if len(hist_price):
            f[known, col + 1] = facts.log_price[safe][known] - float(hist_price.mean())
        if query.timestamp is not None:
            f[known, col + 2] = (query.timestamp - facts.created[safe][known]) / DAY
        f[:, col + 3] = float(query.surface == "vip")
        f[:, col + 4] = len(history)
        blocks.append(f)
    return np.concatenate(blocks) if blocks else np.zeros((0, len(BASE_FEATURES)), dtype=np.float32)
