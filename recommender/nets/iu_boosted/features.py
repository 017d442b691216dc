"""IU-Boosted's input features (numpy only): item columns looked up by listing id, the IU-level statistics of
section 4.2.1 (point in time for training: `unit_day_table`), and the user x target text similarities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.nets.content_tower import Vocabulary

IMPRESSION = ACTION_CODE["impression"]
CLICK = ACTION_CODE["item_view"]
DAY = 86400.0
ITEM_COLUMNS: tuple[str, ...] = ("item", "product", "c2", "brand", "condition")  # categorical item fields
UNIT_NONE, UNIT_UNKNOWN = 0, 1  # dense unit indices: no interest unit / a unit not seen in training
# The stored unit counters (interest_units.services.stats) and their windows, in the layout of
# recommender.dataset_db.UNIT_FEATURES: each counter per window, then each window's clicks / impressions.
UNIT_COUNTER_ACTIONS: tuple[str, ...] = ("impression", "item_view", "item_like", "item_add_to_cart_tap", "offer_make",
                                         "buy_comp")
UNIT_WINDOWS: tuple[int, ...] = (1, 7, 30)


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


class CTRFeaturizer:
    """Vocabularies and normalisations learned on the training data; maps raw ids / counts to model inputs.

    Dense unit indices: 0 = the listing has no interest unit, 1 = a unit unseen in training, k + 2 = known unit k.
    Unit feature vectors: (F + 1,) float32, the F statistics signed-log1p-scaled and standardised, then a flag
    that is 1 when the unit has statistics at all.
    """

    def __init__(
        self,
        vocabularies: dict[str, Vocabulary] | None = None,
        price_mean: float = 0.0,
        price_std: float = 1.0,
        unit_mean: np.ndarray | None = None,
        unit_std: np.ndarray | None = None,
        log_unit_features: bool = True,
        unit_columns: np.ndarray | None = None,
    ) -> None:
        self.vocabularies = vocabularies or {name: Vocabulary() for name in (*ITEM_COLUMNS, "unit")}
        self.price_mean = price_mean
        self.price_std = price_std
        self.unit_mean = np.zeros(0, dtype=np.float32) if unit_mean is None else np.asarray(unit_mean, np.float32)
        self.unit_std = np.ones(0, dtype=np.float32) if unit_std is None else np.asarray(unit_std, np.float32)
        self.log_unit_features = log_unit_features
        # the columns of the stored counters' layout the model reads (None: all)
        self.unit_columns = None if unit_columns is None else np.asarray(unit_columns, np.int64)

    def select_unit_columns(self, stats: np.ndarray) -> np.ndarray:
        """(..., F_stored) statistics in the stored layout -> (..., F) the columns the model reads."""
        stats = np.asarray(stats)
        if self.unit_columns is None:
            return stats
        if stats.shape[-1] <= self.unit_columns.max():  # shorter vectors are zero-padded
            stats = np.concatenate(
                [stats, np.zeros((*stats.shape[:-1], self.unit_columns.max() + 1 - stats.shape[-1]), stats.dtype)], -1
            )
        return stats[..., self.unit_columns]

    @property
    def unit_dim(self) -> int:
        """Width of a unit feature vector: F statistics + the has-statistics flag."""
        return int(self.unit_mean.shape[0]) + 1

    @classmethod
    def fit(
        cls,
        dataset: Dataset,
        min_count: int = 2,
        max_items: int | None = None,
        log_unit_features: bool = True,
        item_min_count: int | None = None,
        unit_stats: np.ndarray | None = None,
        unit_columns: np.ndarray | None = None,
    ) -> CTRFeaturizer:
        """Vocabularies over the items the events touch (counted per event), so rare values train the OOV bucket.
        `unit_stats` (k, F): the unit statistics the model trains on (default: `dataset.unit_features`'s), whose
        mean / std standardise them."""
        events = dataset.events
        touched = events.item[(events.item >= 0) & ((events.action == IMPRESSION) | (events.action == CLICK))]
        raw = _raw_item_columns(dataset.items, touched)
        vocabularies = {name: Vocabulary.fit(raw[name], min_count=min_count) for name in (*ITEM_COLUMNS[1:], "unit")}
        item_count = min_count if item_min_count is None else item_min_count
        vocabularies["item"] = Vocabulary.fit(raw["item"], min_count=item_count, max_size=max_items)
        log_price = np.log1p(np.maximum(raw["price"].astype(np.float64), 0.0))
        std = float(log_price.std()) if len(log_price) else 1.0
        stats = _unit_matrix(dataset.unit_features) if unit_stats is None else np.asarray(unit_stats, np.float64)
        if unit_columns is not None and stats.shape[1]:
            stats = cls(unit_columns=unit_columns).select_unit_columns(stats)
        if log_unit_features:
            stats = _signed_log1p(stats)
        unit_mean = stats.mean(axis=0) if len(stats) else np.zeros(stats.shape[1], np.float32)
        unit_std = stats.std(axis=0) if len(stats) else np.ones(stats.shape[1], np.float32)
        unit_std = np.where(unit_std > 1e-6, unit_std, 1.0)
        return cls(
            vocabularies,
            float(log_price.mean()) if len(log_price) else 0.0,
            std if std > 1e-6 else 1.0,
            unit_mean.astype(np.float32),
            unit_std.astype(np.float32),
            log_unit_features,
            unit_columns,
        )

    def sizes(self) -> dict[str, int]:
        """Embedding table sizes (units get one extra row: 0 none, 1 unknown)."""
        out = {name: len(self.vocabularies[name]) for name in ITEM_COLUMNS}
        out["unit"] = len(self.vocabularies["unit"]) + 1
        return out

    def encode_items(self, items: ItemTable, item_ids: np.ndarray) -> dict[str, np.ndarray]:
        """Model inputs of listings `item_ids` (n,) looked up in `items`; ids absent from the table are all-OOV.

        Returns int64 (n,) arrays for ITEM_COLUMNS and "unit" (dense), "unit_raw" (the raw unit id, 0 = none) and
        float32 (n,) "price" (standardised log price).
        """
        raw = _raw_item_columns(items, item_ids)
        out = {name: self.vocabularies[name].lookup(raw[name]) for name in ITEM_COLUMNS}
        out["unit"] = self.unit_index(raw["unit"])
        out["unit_raw"] = raw["unit"]
        log_price = np.log1p(np.maximum(raw["price"].astype(np.float64), 0.0))
        price = (log_price - self.price_mean) / self.price_std
        out["price"] = np.where(raw["known"], price, 0.0).astype(np.float32)
        return out

    def unit_index(self, raw_units: np.ndarray) -> np.ndarray:
        raw_units = np.asarray(raw_units, dtype=np.int64)
        known = self.vocabularies["unit"].lookup(raw_units)  # 0 = unknown or none
        return np.where(raw_units == 0, UNIT_NONE, np.where(known > 0, known + 1, UNIT_UNKNOWN)).astype(np.int64)

    def scale_unit_stats(self, stats: np.ndarray, present: np.ndarray) -> np.ndarray:
        """(..., F) raw statistics and (...,) bool "has statistics" -> (..., F + 1) float32 model inputs."""
        f = self.unit_dim - 1
        stats = self.select_unit_columns(np.asarray(stats, dtype=np.float64))[..., :f]
        if self.log_unit_features:
            stats = _signed_log1p(stats)
        out = np.zeros((*present.shape, f + 1), dtype=np.float32)
        out[..., :f] = np.where(present[..., None], (stats - self.unit_mean) / self.unit_std, 0.0)
        out[..., f] = present
        return out

    def unit_vectors(self, raw_units: np.ndarray, unit_features: dict[int, np.ndarray]) -> np.ndarray:
        """(n, F + 1) float32 feature vectors of raw unit ids; zeros for no unit or a unit without statistics."""
        raw_units = np.asarray(raw_units, dtype=np.int64)
        f = self.unit_dim - 1
        out = np.zeros((len(raw_units), f + 1), dtype=np.float32)
        for row, unit in enumerate(raw_units.tolist()):
            vector = unit_features.get(unit) if unit != 0 else None
            if vector is None:
                continue
            vector = self.select_unit_columns(np.asarray(vector, dtype=np.float32).ravel())[:f]
            stats = np.zeros(f, dtype=np.float32)
            stats[: len(vector)] = vector
            if self.log_unit_features:
                stats = _signed_log1p(stats)
            out[row, :f] = (stats - self.unit_mean) / self.unit_std
            out[row, f] = 1.0
        return out

    def state(self) -> dict[str, Any]:
        return {
            "vocabularies": {name: vocab.state() for name, vocab in self.vocabularies.items()},
            "price_mean": self.price_mean,
            "price_std": self.price_std,
            "unit_mean": self.unit_mean.copy(),
            "unit_std": self.unit_std.copy(),
            "log_unit_features": self.log_unit_features,
            "unit_columns": None if self.unit_columns is None else self.unit_columns.copy(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CTRFeaturizer:
        vocabularies = {name: Vocabulary.from_state(s) for name, s in state["vocabularies"].items()}
        return cls(
            vocabularies,
            float(state["price_mean"]),
            float(state["price_std"]),
            state["unit_mean"],
            state["unit_std"],
            bool(state["log_unit_features"]),
            state.get("unit_columns"),
        )


def _raw_item_columns(items: ItemTable, item_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Raw feature columns of `item_ids` (n,) looked up in `items` by id; missing ids get zeros, known=False."""
    item_ids = np.asarray(item_ids, dtype=np.int64)
    table_ids = np.asarray(items.item_id, dtype=np.int64)
    already_sorted = len(table_ids) < 2 or bool(np.all(table_ids[1:] > table_ids[:-1]))  # the model's catalog is
    order = np.arange(len(table_ids)) if already_sorted else np.argsort(table_ids, kind="stable")
    sorted_ids = table_ids[order]
    if len(sorted_ids):
        pos = np.minimum(np.searchsorted(sorted_ids, item_ids), len(sorted_ids) - 1)
        known = sorted_ids[pos] == item_ids
        rows = order[pos]
    else:
        known = np.zeros(len(item_ids), dtype=bool)
        rows = np.zeros(len(item_ids), dtype=np.int64)

    def column(values: np.ndarray | None, dtype: type) -> np.ndarray:
        if values is None or len(values) == 0:
            return np.zeros(len(item_ids), dtype=dtype)
        return np.where(known, np.asarray(values)[rows], 0).astype(dtype)

    category = np.asarray(items.category, dtype=np.int64).reshape(len(items), 3)
    return {
        "item": np.where(known, item_ids, 0).astype(np.int64),
        "product": column(items.product, np.int64),
        "c2": column(category[:, 2], np.int64),
        "brand": column(items.brand, np.int64),
        "condition": column(items.condition, np.int64),
        "price": column(items.price, np.float32),
        "unit": column(items.interest_unit, np.int64),
        "known": known,
    }


def _unit_matrix(unit_features: dict[int, np.ndarray]) -> np.ndarray:
    """(n_units, F) float64 of every unit's statistics, shorter vectors zero-padded to the longest."""
    vectors = [np.asarray(v, dtype=np.float64).ravel() for v in unit_features.values()]
    f = max((len(v) for v in vectors), default=0)
    out = np.zeros((len(vectors), f), dtype=np.float64)
    for row, vector in enumerate(vectors):
        out[row, : len(vector)] = vector
    return out


@dataclass
class UnitDayTable:
    """Point-in-time unit statistics: `stats[d, j]` holds unit `units[j]`'s statistics as of the start of UTC day
    `first_day + d` (counted from the events of the days before it only), in the layout of the stored counters
    (`unit_features_from_db(as_of=that day)`); `present[d, j]`: the unit had events in the 30 days before."""

    first_day: int  # days since the epoch of row 0
    units: np.ndarray  # (u,) int64 raw unit ids, sorted
    stats: np.ndarray  # (D, u, F) float32
    present: np.ndarray  # (D, u) bool

    def day_rows(self, timestamps: np.ndarray) -> np.ndarray:
        """(n,) int64 row of each timestamp's day (clipped to the table)."""
        days = np.floor(np.asarray(timestamps, np.float64) / DAY).astype(np.int64) - self.first_day
        return np.clip(days, 0, max(len(self.stats) - 1, 0))


def unit_day_table(events: EventLog, items: ItemTable) -> UnitDayTable:
    """The stored unit counters recomputed from `events` day by day: each event of UNIT_COUNTER_ACTIONS on a listing
    counts for the listing's interest unit on its UTC day (as interest_units.services.stats counts them), and a
    day's row sums the 1 / 7 / 30 days before it (cumulative sums, no loop over events or days), so a training
    impression never sees its own day's clicks."""
    codes = np.array([ACTION_CODE[a] for a in UNIT_COUNTER_ACTIONS])
    keep = (events.item >= 0) & np.isin(events.action, codes)
    unit = _raw_item_columns(items, events.item[keep])["unit"]
    day = np.floor(events.timestamp[keep] / DAY).astype(np.int64)
    position = np.zeros(max(ACTION_CODE.values()) + 1, dtype=np.int64)
    position[codes] = np.arange(len(codes))
    counter = position[events.action[keep]]  # index in UNIT_COUNTER_ACTIONS
    has_unit = unit != 0
    unit, day, counter = unit[has_unit], day[has_unit], counter[has_unit]
    n_f = len(UNIT_WINDOWS) * (len(codes) + 1)
    if len(unit) == 0:
        return UnitDayTable(0, np.zeros(0, np.int64), np.zeros((1, 0, n_f), np.float32), np.zeros((1, 0), bool))
    units, unit_col = np.unique(unit, return_inverse=True)
    first = int(day.min())
    n_days = int(day.max()) - first + 2  # + the day after the last event (statistics as of its end)
    counts = np.zeros((n_days, len(units), len(codes)), dtype=np.float64)
    np.add.at(counts, (day - first, unit_col.ravel(), counter), 1.0)
    before = np.concatenate([np.zeros((1, *counts.shape[1:])), np.cumsum(counts, axis=0)])  # [d] = days < d
    rows = np.arange(n_days)
    windows = np.stack([before[rows] - before[np.maximum(rows - w, 0)] for w in UNIT_WINDOWS], axis=2)  # (D,u,W,C)
    impressions = windows[..., UNIT_COUNTER_ACTIONS.index("impression")]
    clicks = windows[..., UNIT_COUNTER_ACTIONS.index("item_view")]
    ctr = np.where(impressions > 0, clicks / np.maximum(impressions, 1.0), 0.0)  # (D, u, W)
    stats = np.concatenate([windows.reshape(n_days, len(units), -1), ctr], axis=2).astype(np.float32)
    present = windows[:, :, UNIT_WINDOWS.index(max(UNIT_WINDOWS))].sum(axis=2) > 0
    return UnitDayTable(first, units.astype(np.int64), stats, present)


def unit_columns(windows: tuple[int, ...]) -> np.ndarray:
    """Columns of the stored counters' layout (UNIT_WINDOWS x UNIT_COUNTER_ACTIONS, then each window's CTR) that
    hold `windows`' counters and CTRs."""
    n_c = len(UNIT_COUNTER_ACTIONS)
    rows = [UNIT_WINDOWS.index(w) for w in sorted(windows)]
    counters = [r * n_c + k for r in rows for k in range(n_c)]
    return np.array(counters + [len(UNIT_WINDOWS) * n_c + r for r in rows], dtype=np.int64)


CONTENT_FEATURES = 4  # content_similarity's columns
CONTENT_PROFILE_CLICKS = 20  # the newest clicks whose mean text vector is the user's profile (as content kNN's)


def content_similarity(
    items: ItemTable,
    target_ids: np.ndarray,
    click_ids: np.ndarray,
    hist_start: np.ndarray,
    hist_end: np.ndarray,
    chunk: int = 256,
) -> np.ndarray:
    """(n, CONTENT_FEATURES) float32 user x target content features: the cosine of the target's text vector to
    the mean vector of the newest CONTENT_PROFILE_CLICKS history clicks (the content-kNN score), the largest and
    the newest click's cosine, and 1 when the target and some click have a vector (all 0 otherwise). History of
    impression i: `click_ids[hist_start[i]:hist_end[i]]`, oldest first. Chunks of similar history length."""
    n = len(target_ids)
    out = np.zeros((n, CONTENT_FEATURES), dtype=np.float32)
    if items.text_vector is None or len(items) == 0 or n == 0:
        return out
    # Rows of the vectors some target or click needs (+1; row 0 = no vector), l2-normalised once.
    table_ids = np.asarray(items.item_id, dtype=np.int64)
    order = np.argsort(table_ids, kind="stable")

    def rows_of(ids: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(table_ids[order], ids), len(order) - 1)
        return np.where(table_ids[order][pos] == ids, order[pos], -1)

    target_rows, click_rows = rows_of(np.asarray(target_ids, np.int64)), rows_of(np.asarray(click_ids, np.int64))
    used, inverse = np.unique(np.r_[target_rows, click_rows, -1], return_inverse=True)
    vectors = np.asarray(items.text_vector[np.maximum(used, 0)], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    vectors = np.where(((norms > 0) & (used >= 0))[:, None], vectors / np.maximum(norms, 1e-12)[:, None], 0.0)
    vectors = vectors.astype(np.float32)
    has = np.linalg.norm(vectors, axis=1) > 0
    target_v, click_v = inverse[:n], inverse[n : n + len(click_rows)]
    lengths = hist_end - hist_start
    # One viewer's candidates (serving) share one history: its vectors are gathered once for all of them.
    shared = bool(np.all(hist_start == hist_start[0]) and np.all(hist_end == hist_end[0]))
    by_length = np.argsort(lengths, kind="stable")
    groups = [np.arange(n)] if shared else [by_length[i : i + chunk] for i in range(0, n, chunk)]
    for rows in groups:
        own = rows[:1] if shared else rows  # the H (1 or B) histories
        width = int(lengths[own].max())
        if width == 0:
            continue
        steps = np.arange(width)
        valid = steps[None, :] < lengths[own, None]  # (H, L)
        pos = np.where(valid, hist_start[own, None] + steps[None, :], 0)
        slot = np.where(valid, click_v[pos], inverse[-1])  # (H, L) vector rows
        mask = valid & has[slot]
        clicks = vectors[slot]  # (H, L, d)
        target = vectors[target_v[rows]]  # (B, d)
        if shared:
            cosine = target @ clicks[0].T  # (B, L); 0 where no vector
        else:
            cosine = np.einsum("bld,bd->bl", clicks, target)
        recent = mask & (steps[None, :] >= lengths[own, None] - CONTENT_PROFILE_CLICKS)
        profile = np.einsum("hl,hld->hd", recent.astype(np.float32), clicks)
        profile /= np.maximum(np.linalg.norm(profile, axis=1, keepdims=True), 1e-12)
        newest = np.broadcast_to(np.maximum(lengths[own] - 1, 0)[:, None], (len(rows), 1))
        defined = mask.any(axis=1) & has[target_v[rows]]  # (B,)
        out[rows, 0] = (profile * target).sum(axis=1)
        out[rows, 1] = np.where(mask, cosine, -1.0).max(axis=1)
        out[rows, 2] = np.take_along_axis(cosine, newest, axis=1)[:, 0]
        out[rows, 3] = 1.0
        out[rows] *= defined[:, None]
    return out
