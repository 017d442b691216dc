"""IU-Boosted Network: a CTR ranker that reads interest units, with its DNN and DIN bases as configurations.

Paper: "IU4Rec: Interest Unit-Based Product Organization and Recommendation for E-Commerce Platform" (Xianyu).
- DIN base (section 3.2): embeddings of the target item, multi-head target attention (eq. 1: the target item is the
  query, the click sequence the keys and values) over the user's item clicks of the last 30 days (at most 150),
  an MLP 512/256/128 (5.1.4), the log loss of eq. 2. `use_attention=False` replaces the attention by sum pooling:
  the DNN baseline of Table 2.
- IU-Boosted (section 4.2, `use_units=True`): DIN plus
  (4.2.1) IU-level features of the target's interest unit (statistics accumulated over every listing the unit ever
  held, so a listing posted a minute ago inherits them; a training impression reads them as of the start of its
  day, `unit_day_table`) and user x IU cross features;
  (4.2.2, eq. 3-6) the hierarchical IU click sequence: the IUs of the clicked items, each carrying up to 5 of the
  user's clicks in it; E(IU) = [IU id, IU side features, item-level target attention over its clicks];
  an IU-level target attention pools the sequence;
  (4.2.3) attention between the target's IU id and the IU ids of the clicked items.
- Shared by all three (`content_sim`, ours): user x target text similarities (cosine of the target's text vector to
  the user's recent clicks: the content-kNN signal), so Table 2 compares the three on the same inputs.

Choices of ours: the unit the network reads is the listing's SPU unit (4.1, one brand / leaf product; `unit_kind`),
not its looser semantic unit. The clicks' keys / values are projected once and shared by the item attention, the
attention inside each IU and the IU-id attention (the IU attentions have their own queries), which keeps IU-Boosted
about 2x DIN's cost on CPU; every attention has a learned zero-value "null" slot, so when no click matches the target
the pooled vector shrinks instead of being forced onto the least bad click. Padding is exact: masked positions get
exactly zero weight, and an all-padding history pools to a zero vector (never NaN). Every categorical column has
an out-of-vocabulary bucket and item ids need `item_min_count` training events, so new listings (the
limited-stock setting: single items sell and vanish) are scored from their content and their unit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.metrics import auc
from recommender.nets.content_tower import Vocabulary
from recommender.nets.training import Monitor, Trainer, TrainingConfig, seed_everything, time_cutoff

IMPRESSION = ACTION_CODE["impression"]
CLICK = ACTION_CODE["item_view"]
DAY = 86400.0
ITEM_COLUMNS: tuple[str, ...] = ("item", "product", "c2", "brand", "condition")  # categorical item fields
UNIT_MODULES = ("unit_embedding", "inner_attention", "unit_attention", "unit_id_attention")  # the IU components
UNIT_NONE, UNIT_UNKNOWN = 0, 1  # dense unit indices: no interest unit / a unit not seen in training
# The stored unit counters (interest_units.services.stats) and their windows, in the layout of
# recommender.dataset_db.UNIT_FEATURES: each counter per window, then each window's clicks / impressions.
UNIT_COUNTER_ACTIONS: tuple[str, ...] = ("impression", "item_view", "item_like", "item_add_to_cart_tap", "offer_make",
                                         "buy_comp")
UNIT_WINDOWS: tuple[int, ...] = (1, 7, 30)


# -- features --------------------------------------------------------------------------------------------------
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


# -- samples and batches ---------------------------------------------------------------------------------------
@dataclass
class CTRBatch:
    """One minibatch of impressions as tensors. B impressions, L history positions (the longest history in the
    batch, at most `max_history`), U interest units in the hierarchical sequence, K clicks per unit (<= 5),
    F1 = unit feature width (statistics + has-statistics flag). Item fields are dense vocabulary indices (0 = OOV);
    unit fields are dense unit indices (0 none, 1 unknown). Padded positions hold index 0 / zeros and mask False.
    """

    label: torch.Tensor  # (B,) float32: 1 = clicked
    target_item: torch.Tensor  # (B,) int64 item-id index
    target_product: torch.Tensor  # (B,) int64
    target_c2: torch.Tensor  # (B,) int64
    target_brand: torch.Tensor  # (B,) int64
    target_condition: torch.Tensor  # (B,) int64
    target_price: torch.Tensor  # (B,) float32 standardised log price (0 when unknown)
    target_unit: torch.Tensor  # (B,) int64 dense unit index of the target's interest unit
    target_unit_features: torch.Tensor  # (B, F1) float32 IU-level statistics of the target's unit (4.2.1)
    cross_features: torch.Tensor  # (B, 2) float32 user x target-IU: log1p(clicks in it), share of clicks in it
    content: torch.Tensor  # (B, C) float32 user x target text similarities (C = CONTENT_FEATURES or 0)
    hist_item: torch.Tensor  # (B, L) int64 clicked items, oldest first
    hist_product: torch.Tensor  # (B, L) int64
    hist_c2: torch.Tensor  # (B, L) int64
    hist_brand: torch.Tensor  # (B, L) int64
    hist_condition: torch.Tensor  # (B, L) int64
    hist_price: torch.Tensor  # (B, L) float32
    hist_unit: torch.Tensor  # (B, L) int64 dense unit index of each clicked item
    hist_mask: torch.Tensor  # (B, L) bool: True = a real click
    unit_seq_unit: torch.Tensor  # (B, U) int64 IUs of the history, most recently clicked first (4.2.2)
    unit_seq_features: torch.Tensor  # (B, U, F1) float32 their IU-level statistics
    unit_seq_count: torch.Tensor  # (B, U) float32 log1p(the user's clicks in the unit within the history)
    unit_seq_mask: torch.Tensor  # (B, U) bool
    unit_item_pos: torch.Tensor  # (B, U, K) int64 positions along L of the unit's clicks, most recent first
    unit_item_mask: torch.Tensor  # (B, U, K) bool

    def to(self, device: str | torch.device) -> CTRBatch:
        return CTRBatch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def __len__(self) -> int:
        return int(self.label.shape[0])


@dataclass
class CTRSamples:
    """Impressions as compact numpy arrays; `batch(rows)` materialises a padded `CTRBatch`.

    Each impression's history is the range [hist_start, hist_end) of the click table (clicks sorted by user, then
    time); row 0 of every click_* / unit_* table is padding.
    """

    user: np.ndarray  # (n,) int64 raw user ids (GAUC groups)
    request: np.ndarray  # (n,) int64 request ids (-1 unknown)
    timestamp: np.ndarray  # (n,) float64
    item_id: np.ndarray  # (n,) int64 raw target listing ids
    label: np.ndarray  # (n,) float32
    target: dict[str, np.ndarray]  # ITEM_COLUMNS + "unit" (n,) int64, "price" (n,) float32, "unit_row" (n,) int64
    in_unit: np.ndarray  # (n,) bool: the target belongs to an interest unit (Table 2's "Interest Unit" split)
    hist_start: np.ndarray  # (n,) int64 into the click table
    hist_end: np.ndarray  # (n,) int64, exclusive
    clicks: dict[str, np.ndarray]  # ITEM_COLUMNS + "unit" + "price" + "unit_row", (c + 1,) each, row 0 padding
    unit_table: np.ndarray  # (D, u + 1, F1) float32 feature vectors of the units referenced on D days, row 0 = no unit
    unit_index: np.ndarray  # (u + 1,) int64 dense unit index of each unit_table row
    unit_day: np.ndarray  # (n,) int64 the day of unit_table each impression reads (0 when D = 1)
    content: np.ndarray  # (n, C) float32 text similarities of the target to the history (C = 0: not computed)
    max_units: int = 30
    max_unit_items: int = 5

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def select(self, rows: np.ndarray) -> CTRSamples:
        """A subset of impressions (sharing the click and unit tables)."""

        def pick(column: np.ndarray) -> np.ndarray:
            return column[rows]

        return CTRSamples(
            user=pick(self.user),
            request=pick(self.request),
            timestamp=pick(self.timestamp),
            item_id=pick(self.item_id),
            label=pick(self.label),
            target={k: pick(v) for k, v in self.target.items()},
            in_unit=pick(self.in_unit),
            hist_start=pick(self.hist_start),
            hist_end=pick(self.hist_end),
            clicks=self.clicks,
            unit_table=self.unit_table,
            unit_index=self.unit_index,
            unit_day=pick(self.unit_day),
            content=pick(self.content),
            max_units=self.max_units,
            max_unit_items=self.max_unit_items,
        )

    def batch(self, rows: np.ndarray, device: str | torch.device = "cpu") -> CTRBatch:
        rows = np.asarray(rows, dtype=np.int64)
        b = len(rows)
        start, end = self.hist_start[rows], self.hist_end[rows]
        lengths = end - start  # (B,)
        width = max(int(lengths.max()) if b else 0, 1)
        steps = np.arange(width)
        mask = steps[None, :] < lengths[:, None]  # (B, L)
        pos = np.where(mask, start[:, None] + steps[None, :] + 1, 0)  # (B, L) rows of the click table (+1: padding)
        hist = {name: self.clicks[name][pos] for name in (*ITEM_COLUMNS, "unit", "price", "unit_row")}

        # Hierarchical IU sequence: group the (row, position) pairs of clicks that have a unit by (row, unit).
        unit_row = hist["unit_row"]  # (B, L) local unit row, 0 = no unit
        r, p = np.nonzero(mask & (unit_row > 0))
        u = unit_row[r, p]
        order = np.lexsort((-p, u, r))  # by row, unit, most recent first
        r, p, u = r[order], p[order], u[order]
        new_group = np.r_[True, (r[1:] != r[:-1]) | (u[1:] != u[:-1])] if len(r) else np.zeros(0, bool)
        group = np.cumsum(new_group) - 1  # (M,) group id of each click
        group_start = np.flatnonzero(new_group)
        rank_in_group = np.arange(len(r)) - group_start[group] if len(r) else np.zeros(0, np.int64)
        g_row, g_unit, g_last = r[group_start], u[group_start], p[group_start]  # per group; last = latest position
        g_count = np.diff(np.r_[group_start, len(r)])
        g_order = np.lexsort((-g_last, g_row))  # groups of each row, most recent first
        g_row_sorted = g_row[g_order]
        first_of_row = np.r_[True, g_row_sorted[1:] != g_row_sorted[:-1]] if len(g_order) else np.zeros(0, bool)
        row_first_index = np.maximum.accumulate(np.where(first_of_row, np.arange(len(g_order)), 0))
        g_rank = np.empty(len(g_order), dtype=np.int64)
        g_rank[g_order] = np.arange(len(g_order)) - row_first_index
        keep_group = g_rank < self.max_units
        n_units = max(int(g_rank[keep_group].max()) + 1 if keep_group.any() else 0, 1)
        n_items = max(min(int(g_count.max()) if len(g_count) else 0, self.max_unit_items), 1)

        seq_unit_row = np.zeros((b, n_units), dtype=np.int64)
        seq_count = np.zeros((b, n_units), dtype=np.float32)
        seq_mask = np.zeros((b, n_units), dtype=bool)
        gk = np.flatnonzero(keep_group)
        seq_unit_row[g_row[gk], g_rank[gk]] = g_unit[gk]
        seq_count[g_row[gk], g_rank[gk]] = np.log1p(g_count[gk])
        seq_mask[g_row[gk], g_rank[gk]] = True
        item_pos = np.zeros((b, n_units, n_items), dtype=np.int64)
        item_mask = np.zeros((b, n_units, n_items), dtype=bool)
        keep_click = keep_group[group] & (rank_in_group < n_items)
        item_pos[r[keep_click], g_rank[group[keep_click]], rank_in_group[keep_click]] = p[keep_click]
        item_mask[r[keep_click], g_rank[group[keep_click]], rank_in_group[keep_click]] = True

        # User x target-IU cross features (4.2.1 (2)).
        target_unit_row = self.target["unit_row"][rows]
        day = self.unit_day[rows]  # (B,)
        same = mask & (unit_row == target_unit_row[:, None]) & (target_unit_row[:, None] > 0)
        n_same = same.sum(axis=1).astype(np.float32)
        cross = np.stack([np.log1p(n_same), n_same / np.maximum(lengths, 1)], axis=1).astype(np.float32)

        def t(array: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(array), device=device)

        return CTRBatch(
            label=t(self.label[rows]),
            target_item=t(self.target["item"][rows]),
            target_product=t(self.target["product"][rows]),
            target_c2=t(self.target["c2"][rows]),
            target_brand=t(self.target["brand"][rows]),
            target_condition=t(self.target["condition"][rows]),
            target_price=t(self.target["price"][rows]),
            target_unit=t(self.target["unit"][rows]),
            target_unit_features=t(self.unit_table[day, target_unit_row]),
            cross_features=t(cross),
            content=t(self.content[rows]),
            hist_item=t(hist["item"]),
            hist_product=t(hist["product"]),
            hist_c2=t(hist["c2"]),
            hist_brand=t(hist["brand"]),
            hist_condition=t(hist["condition"]),
            hist_price=t(hist["price"]),
            hist_unit=t(hist["unit"]),
            hist_mask=t(mask),
            unit_seq_unit=t(self.unit_index[seq_unit_row]),
            unit_seq_features=t(self.unit_table[day[:, None], seq_unit_row]),
            unit_seq_count=t(seq_count),
            unit_seq_mask=t(seq_mask),
            unit_item_pos=t(item_pos),
            unit_item_mask=t(item_mask),
        )


def _click_events(events: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, timestamp) of item_view events with a listing."""
    keep = (events.action == CLICK) & (events.item >= 0)
    return events.user[keep].astype(np.int64), events.item[keep].astype(np.int64), events.timestamp[keep]


def merge_click_history(*logs: EventLog | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clicks of several logs (e.g. the training log and the test log), exact duplicates dropped."""
    parts = [_click_events(log) for log in logs if log is not None]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    user = np.concatenate([p[0] for p in parts])
    item = np.concatenate([p[1] for p in parts])
    ts = np.concatenate([p[2] for p in parts]).astype(np.float64)
    if len(parts) > 1 and len(user):
        table = np.rec.fromarrays([user, item, ts])
        _, first = np.unique(table, return_index=True)
        first = np.sort(first)
        user, item, ts = user[first], item[first], ts[first]
    return user, item, ts


def _history_ranges(
    click_user: np.ndarray, click_ts: np.ndarray, user: np.ndarray, ts: np.ndarray, window: float, max_history: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Click table order (by user, then time) and, per query, [start, end) of the user's clicks in
    [ts - window, ts) (strictly before), the last `max_history` of them. One merged sort, no Python loop."""
    order = np.lexsort((click_ts, click_user))
    c, n = len(click_user), len(user)
    all_user = np.concatenate([click_user[order], user, user])
    all_ts = np.concatenate([click_ts[order], ts, ts - window])
    kind = np.r_[np.ones(c, np.int8), np.zeros(2 * n, np.int8)]  # queries sort before clicks at the same time
    merged = np.lexsort((kind, all_ts, all_user))
    is_click = kind[merged] == 1
    clicks_before = np.cumsum(is_click) - is_click  # clicks strictly before each merged position
    count = np.empty(c + 2 * n, dtype=np.int64)
    count[merged] = clicks_before
    end, start = count[c : c + n], count[c + n :]
    start = np.maximum(start, end - max_history)
    return order, start, end


def build_ctr_samples(
    dataset: Dataset,
    featurizer: CTRFeaturizer,
    *,
    history: EventLog | tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    max_history: int = 150,
    window_days: float = 30.0,
    max_units: int = 30,
    max_unit_items: int = 5,
    unit_days: UnitDayTable | None = None,
    content: bool = False,
) -> CTRSamples:
    """Impression events of `dataset` (with `clicked` labels) -> samples. Each impression's history is the user's
    item_view clicks strictly before it within `window_days` (the last `max_history`), taken from `history` (an
    EventLog or `merge_click_history` output; default: the dataset's own events). Targets and clicked items take
    their features and `interest_unit` from `dataset.items`, unit statistics from `dataset.unit_features` (one vector
    per unit, e.g. as of the split), or with `unit_days` as of the start of each impression's day (training)."""
    events = dataset.events
    if events.clicked is None:
        raise ValueError("impressions need `clicked` labels to build CTR samples")
    imp = np.flatnonzero((events.action == IMPRESSION) & (events.item >= 0))
    user = events.user[imp].astype(np.int64)
    ts = events.timestamp[imp].astype(np.float64)
    item_id = events.item[imp].astype(np.int64)
    if history is None:
        history = events
    click_user, click_item, click_ts = history if isinstance(history, tuple) else _click_events(history)
    order, start, end = _history_ranges(click_user, click_ts, user, ts, window_days * DAY, max_history)
    request = events.request[imp].astype(np.int64) if events.request is not None else np.full(len(imp), -1)
    return _assemble_samples(
        featurizer,
        dataset.items,
        dataset.unit_features,
        user=user,
        request=request,
        timestamp=ts,
        item_id=item_id,
        label=events.clicked[imp].astype(np.float32),
        click_item=click_item[order],
        hist_start=start,
        hist_end=end,
        max_units=max_units,
        max_unit_items=max_unit_items,
        unit_days=unit_days,
        content=content,
    )


def _assemble_samples(
    featurizer: CTRFeaturizer,
    items: ItemTable,
    unit_features: dict[int, np.ndarray],
    *,
    user: np.ndarray,
    request: np.ndarray,
    timestamp: np.ndarray,
    item_id: np.ndarray,
    label: np.ndarray,
    click_item: np.ndarray,
    hist_start: np.ndarray,
    hist_end: np.ndarray,
    max_units: int,
    max_unit_items: int,
    unit_days: UnitDayTable | None = None,
    content: bool = False,
) -> CTRSamples:
    """Encodes targets and the click table (only the clicks some history uses) into a `CTRSamples`. Unit
    statistics: `unit_features` for every impression, or with `unit_days` those as of each impression's day.
    `content`: also the target's text similarities to the history (`content_similarity`)."""
    # Keep only the clicks some impression reads, re-indexing the ranges.
    used = np.zeros(len(click_item) + 1, dtype=np.int64)
    np.add.at(used, hist_start, 1)
    np.add.at(used, hist_end, -1)
    keep = np.cumsum(used)[:-1] > 0
    new_index: np.ndarray = np.cumsum(keep) - keep  # clicks kept before each original index
    new_index = np.r_[new_index, keep.sum()]
    hist_start, hist_end = new_index[hist_start], new_index[hist_end]
    click_item = click_item[keep]

    target = featurizer.encode_items(items, item_id)
    clicks = featurizer.encode_items(items, click_item)
    similarity = (
        content_similarity(items, item_id, click_item, hist_start, hist_end)
        if content
        else np.zeros((len(item_id), 0), np.float32)
    )
    raw_units = np.unique(np.r_[target["unit_raw"], clicks["unit_raw"]])
    raw_units = raw_units[raw_units != 0]
    if unit_days is None:
        table = featurizer.unit_vectors(raw_units, unit_features)[None]  # (1, u, F1)
        unit_day = np.zeros(len(user), dtype=np.int64)
    else:
        unit_day = unit_days.day_rows(timestamp)
        days = np.unique(unit_day)  # only the days some impression reads
        unit_day = np.searchsorted(days, unit_day)
        known = unit_days.units
        stats = np.zeros((len(days), len(raw_units), unit_days.stats.shape[2]), np.float32)
        present = np.zeros((len(days), len(raw_units)), bool)
        if len(known):
            pos = np.minimum(np.searchsorted(known, raw_units), len(known) - 1)
            found = known[pos] == raw_units  # units without events in the table have no statistics
            stats[:, found] = unit_days.stats[days][:, pos[found]]
            present[:, found] = unit_days.present[days][:, pos[found]]
        table = featurizer.scale_unit_stats(stats, present)  # (D, u, F1)
    unit_table = np.concatenate([np.zeros((len(table), 1, featurizer.unit_dim), np.float32), table], axis=1)

    def unit_row(raw: np.ndarray) -> np.ndarray:
        if len(raw_units) == 0:
            return np.zeros(len(raw), dtype=np.int64)
        pos = np.minimum(np.searchsorted(raw_units, raw), len(raw_units) - 1)
        return np.where((raw != 0) & (raw_units[pos] == raw), pos + 1, 0).astype(np.int64)

    target["unit_row"] = unit_row(target.pop("unit_raw"))
    clicks["unit_row"] = unit_row(clicks.pop("unit_raw"))
    clicks = {name: np.r_[np.zeros(1, values.dtype), values] for name, values in clicks.items()}  # row 0 padding
    return CTRSamples(
        user=user,
        request=request,
        timestamp=timestamp,
        item_id=item_id,
        label=label,
        target=target,
        in_unit=target["unit_row"] > 0,
        hist_start=hist_start.astype(np.int64),
        hist_end=hist_end.astype(np.int64),
        clicks=clicks,
        unit_table=unit_table,
        unit_index=np.r_[UNIT_NONE, featurizer.unit_index(raw_units)].astype(np.int64),
        unit_day=unit_day,
        content=similarity,
        max_units=max_units,
        max_unit_items=max_unit_items,
    )


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


# -- network ---------------------------------------------------------------------------------------------------
@dataclass
class IUBoostedConfig(TrainingConfig):
    use_attention: bool = True  # DIN's multi-head target attention over the item clicks (False: sum pooling = DNN)
    use_units: bool = True  # IU-level features, hierarchical IU click sequence and IU attention (section 4.2)
    unit_kind: str = "spu"  # which interest unit the model reads: "spu" (the SPU unit: one brand / leaf product,
    # 4.1) or "semantic" (the listing's primary unit: its semantic unit, else its SPU unit). Demo Table 2, seed 0:
    # IU-Boosted with SPU units AUC 0.6376 vs 0.6326 with semantic ones (docs/evaluation/iu_boosted/README.md)
    unit_stats: bool = False  # the unit's statistics (4.2.1 (1)) as an input, point in time in training
    # (unit_day_table). Off: even so they cost AUC on the demo data (Table-2 run, without / with: 0.5864 / 0.5761;
    # with content_sim 0.6356 / 0.6255, 1 / 7-day windows 0.6306); the unit id and the IU click sequence carry the unit.
    unit_windows: tuple[int, ...] = (1, 7)  # windows (days) of the statistics read, with their CTRs; training
    # impressions of days whose longest window is cut short by the start of the data get none (the 30-day counts of
    # a 30-day log double between training and the split)
    content_sim: bool = True  # user x target text similarities (content_similarity) into the shared base's MLP,
    # for DNN, DIN and IU-Boosted alike (demo Table-2 run, AUC without / with: DIN 0.5747 / 0.6362, IU-Boosted
    # 0.5864 / 0.6356)
    embed_dim: int = 16  # embedding size of each categorical field (item id, product, c2, brand, condition, IU id)
    attention_dim: int = 128  # hidden units of every attention layer (5.1.4)
    heads: int = 4  # heads of the multi-head target attention
    null_slot: bool = True  # attention may put its mass on a learned zero-value slot ("no click matches");
    # neutral on the synthetic market (DIN, 2 epochs: 0.641 with, 0.644 without)
    mlp: tuple[int, ...] = (512, 256, 128)  # hidden layers of the prediction MLP (5.1.4)
    dropout: float = 0.1  # dropout after each MLP layer
    item_id_dropout: float = 0.0  # training-time share of item ids replaced by the OOV bucket (new-listing practice)
    max_history: int = 150  # clicks kept per impression, the most recent (5.1.4)
    window_days: float = 30.0  # history window before the impression (5.1.4)
    max_units: int = 30  # IUs in the hierarchical sequence, the most recently clicked
    max_unit_items: int = 5  # clicks kept inside each IU of the sequence (5.1.4)
    min_count: int = 2  # vocabulary of side features: values seen fewer times in training events share the OOV bucket
    item_min_count: int = 20  # the same for item ids: single-stock listings rarely gather enough events, and
    # memorising a few impressions per id overfits (synthetic market, test AUC at 1 vs 20: DIN 0.664 vs 0.711)
    max_items: int = 1_000_000  # cap on the item-id vocabulary (most frequent kept)
    log_unit_features: bool = True  # signed log1p of unit statistics before standardising
    batch_size: int = 256  # small batches: ~100k impressions give ~400 steps an epoch (the paper's 4096 is for 10^10)
    lr: float = 3e-3  # Adam (the paper's AdagradDecay at 1e-4 is tuned for 10^10 samples)
    weight_decay: float = 0.0
    unit_weight_decay: float = 1e-3  # extra L2 (Adam) on the IU components' weights: unit embedding, IU attentions
    # (demo Table-2 run, AUC / GAUC 0 -> 1e-3: 0.6356 / 0.6226 -> 0.6372 / 0.6254; dropout 0.5 on them: 0.6350)
    epochs: int = 6  # maximum epochs; early stopping on validation AUC
    patience: int = 2  # epochs without a better validation AUC before stopping
    valid_fraction: float = 0.1  # without a `valid` set, the latest share of impressions validates


class TargetAttention(nn.Module):
    """Multi-head target attention (eq. 1): softmax(Q K^T / sqrt(d)) V with the target as the single query.

    Masked positions get weight exactly 0; a row with no valid position returns a zero vector (no NaN).
    `keys` / `values` / `attend` are split so the clicks are projected once and shared by the IU attentions.
    """

    def __init__(
        self,
        query_dim: int,
        key_dim: int | None,
        value_dim: int | None,
        hidden: int,
        heads: int,
        null_slot: bool = True,
    ) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError("attention_dim must be divisible by heads")
        self.heads, self.head_dim = heads, hidden // heads
        self.q = nn.Linear(query_dim, hidden)
        # None: keys / values are projected by another attention and passed in
        self.k = nn.Linear(key_dim, hidden) if key_dim is not None else None
        self.v = nn.Linear(value_dim, hidden) if value_dim is not None else None
        # A learned key with a zero value: mass on it means "nothing in the history matches the target".
        self.null_key = nn.Parameter(torch.zeros(heads, self.head_dim)) if null_slot else None
        self.null_bias = nn.Parameter(torch.zeros(heads)) if null_slot else None

    def null_scores(self, query: torch.Tensor) -> torch.Tensor | None:
        # query (N, H, dh) from `query` -> (N, H) score of the null slot, or None without one
        if self.null_key is None or self.null_bias is None:
            return None
        return torch.einsum("nhd,hd->nh", query, self.null_key) + self.null_bias

    def keys(self, keys: torch.Tensor) -> torch.Tensor:
        # (..., L, Dk) -> (..., L, H, dh)
        assert self.k is not None
        return self.k(keys).view(*keys.shape[:-1], self.heads, self.head_dim)

    def values(self, values: torch.Tensor) -> torch.Tensor:
        # (..., L, Dv) -> (..., L, H, dh)
        assert self.v is not None
        return self.v(values).view(*values.shape[:-1], self.heads, self.head_dim)

    def query(self, query: torch.Tensor) -> torch.Tensor:
        # (N, Dq) -> (N, H, dh), pre-scaled by 1 / sqrt(dh)
        return self.q(query).view(query.shape[0], self.heads, self.head_dim) / math.sqrt(self.head_dim)

    @staticmethod
    def weights(scores: torch.Tensor, mask: torch.Tensor, null: torch.Tensor | None = None) -> torch.Tensor:
        # scores (N, H, L), mask (N, L) bool, null (N, H) or None -> (N, H, L) softmax over the valid positions
        # (and the null slot, whose weight is dropped: its value is zero)
        valid = mask.unsqueeze(1)  # (N, 1, L)
        scores = scores.masked_fill(~valid, float("-inf"))
        if null is not None:
            return torch.softmax(torch.cat([scores, null.unsqueeze(-1)], dim=-1), dim=-1)[..., :-1] * valid
        scores = scores.masked_fill(~valid.any(dim=-1, keepdim=True), 0.0)
        return torch.softmax(scores, dim=-1) * valid  # exact zeros on padding; all-padding rows all zero

    @staticmethod
    def attend(
        scores: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, null: torch.Tensor | None = None
    ) -> torch.Tensor:
        # scores (N, H, L), values (N, L, H, dh), mask (N, L) bool, null (N, H) | None -> (N, H * dh)
        return torch.einsum("nhl,nlhd->nhd", TargetAttention.weights(scores, mask, null), values).flatten(1)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        # query (N, Dq), keys (N, L, Dk), values (N, L, Dv), mask (N, L) bool -> (N, hidden)
        q = self.query(query)  # (N, H, dh)
        scores = torch.einsum("nhd,nlhd->nhl", q, self.keys(keys))  # (N, H, L)
        return self.attend(scores, self.values(values), mask, self.null_scores(q))


class IUBoostedNet(nn.Module):
    """Embedding + (sum pooling | target attention) + optional IU components + MLP -> click logit."""

    def __init__(self, config: IUBoostedConfig, sizes: dict[str, int], unit_dim: int) -> None:
        super().__init__()
        self.config = c = config
        e, a = c.embed_dim, c.attention_dim
        embeddings = {name: nn.Embedding(sizes[name], e) for name in ITEM_COLUMNS}
        for table in embeddings.values():
            nn.init.normal_(table.weight, std=0.05)
        self.embeddings = nn.ModuleDict(embeddings)
        self.item_dim = d = len(ITEM_COLUMNS) * e + 1  # + standardised log price
        n_in = d  # target item
        if c.use_attention or c.use_units:
            # Keys and values of the clicks are projected once; the IU attentions below reuse them.
            self.item_attention = TargetAttention(d, d, d, a, c.heads, c.null_slot)
        n_in += a if c.use_attention else d  # attention-pooled or sum-pooled history
        n_in += CONTENT_FEATURES if c.content_sim else 0
        if c.use_units:
            self.unit_embedding = nn.Embedding(sizes["unit"], e)
            nn.init.normal_(self.unit_embedding.weight, std=0.05)
            unit_repr = e + unit_dim  # E(IU id) ++ E(IU side)
            # Eq. 3-6: item-level attention inside each IU (its own query over the shared click keys / values),
            # then IU-level attention of the target against E(IU) = [IU id, IU side, pooled clicks, click count].
            self.inner_attention = TargetAttention(d, None, None, a, c.heads, c.null_slot)
            self.unit_attention = TargetAttention(
                d + unit_repr, unit_repr + a + 1, unit_repr + a + 1, a, c.heads, c.null_slot
            )
            # 4.2.3: the target's IU id against the IU ids of the clicked items, pooling the clicks' values.
            self.unit_id_attention = TargetAttention(e, e, None, a, c.heads, c.null_slot)
            n_in += unit_repr + a + a + 2  # target IU ++ hierarchical ++ IU-id attention ++ cross features
        layers: list[nn.Module] = []
        for width in c.mlp:
            layers += [nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(c.dropout)]
            n_in = width
        layers.append(nn.Linear(n_in, 1))
        self.mlp = nn.Sequential(*layers)

    def _items(self, item: torch.Tensor, others: list[torch.Tensor], price: torch.Tensor) -> torch.Tensor:
        # (...,) index tensors -> (..., item_dim); eq. 4: id embedding ++ side features
        if self.training and self.config.item_id_dropout > 0:
            drop = torch.rand(item.shape, device=item.device) < self.config.item_id_dropout
            item = item.masked_fill(drop, 0)
        parts = [self.embeddings["item"](item)]
        parts += [self.embeddings[name](x) for name, x in zip(ITEM_COLUMNS[1:], others, strict=True)]
        parts.append(price.unsqueeze(-1))
        return torch.cat(parts, dim=-1)

    def forward(self, batch: CTRBatch, shared_history: bool = False) -> torch.Tensor:
        """(B,) click logits. `shared_history`: every row has the same history (one viewer's candidates, as in
        serving), so the clicks are embedded and projected once and broadcast."""
        c = self.config
        target = self._items(
            batch.target_item,
            [batch.target_product, batch.target_c2, batch.target_brand, batch.target_condition],
            batch.target_price,
        )  # (B, d)
        rows = slice(0, 1) if shared_history else slice(None)
        b = target.shape[0]
        mask = batch.hist_mask  # (B, L)
        hist = self._items(
            batch.hist_item[rows],
            [batch.hist_product[rows], batch.hist_c2[rows], batch.hist_brand[rows], batch.hist_condition[rows]],
            batch.hist_price[rows],
        )  # (B or 1, L, d)
        hist = hist.masked_fill(~mask[rows].unsqueeze(-1), 0.0)
        parts = [target]
        keys = values = None
        if c.use_attention or c.use_units:
            keys, values = self.item_attention.keys(hist), self.item_attention.values(hist)  # (B or 1, L, H, dh)
            keys, values = keys.expand(b, *keys.shape[1:]), values.expand(b, *values.shape[1:])  # (B, L, H, dh)
        hist = hist.expand(b, *hist.shape[1:])
        if c.use_attention:
            assert keys is not None and values is not None
            query = self.item_attention.query(target)  # (B, H, dh)
            scores = torch.einsum("bhd,blhd->bhl", query, keys)  # (B, H, L)
            pooled = self.item_attention.attend(scores, values, mask, self.item_attention.null_scores(query))  # (B, a)
            parts.append(pooled)  # eq. 1
        else:
            parts.append(hist.sum(dim=1))  # (B, d)
        if c.content_sim:
            parts.append(batch.content)  # (B, CONTENT_FEATURES)
        if c.use_units:
            assert keys is not None and values is not None
            parts += self._unit_parts(batch, target, keys, values, rows)
        return self.mlp(torch.cat(parts, dim=-1)).squeeze(-1)

    def _unit_parts(
        self, batch: CTRBatch, target: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, rows: slice
    ) -> list[torch.Tensor]:
        # target (B, d); keys, values (B, L, H, dh) of the clicks
        b, u, k = batch.unit_item_pos.shape
        target_unit = torch.cat(
            [self.unit_embedding(batch.target_unit), batch.target_unit_features], dim=-1
        )  # (B, e + F1)
        # Items inside each IU of the sequence (eq. 5): scores of every click against the target, softmax within
        # each IU slot's (at most K) clicks, pooling the clicks' values; `slot` marks which clicks each slot holds.
        h, dh = keys.shape[2], keys.shape[3]
        length = keys.shape[1]
        # Padded (b, u, k) entries write to a spare column L that is dropped, so they never clear a real click.
        positions = batch.unit_item_pos.masked_fill(~batch.unit_item_mask, length)  # (B, U, K)
        slot = torch.zeros(b, u, length + 1, dtype=torch.bool, device=keys.device)
        slot = slot.scatter_(2, positions, True)[:, :, :length]  # (B, U, L)
        query = self.inner_attention.query(target)  # (B, H, dh)
        scores = torch.einsum("bhd,blhd->bhl", query, keys)  # (B, H, L)
        scores = scores.unsqueeze(1).expand(b, u, h, length).reshape(b * u, h, length)  # (B*U, H, L)
        null = self.inner_attention.null_scores(query)  # (B, H) | None
        null = None if null is None else null.unsqueeze(1).expand(b, u, h).reshape(b * u, h)
        weights = TargetAttention.weights(scores, slot.reshape(b * u, length), null).view(b, u, h, length)
        inner = torch.einsum("buhl,blhd->buhd", weights, values).reshape(b, u, h * dh)  # (B, U, a)
        units = torch.cat(
            [
                self.unit_embedding(batch.unit_seq_unit),  # (B, U, e)
                batch.unit_seq_features,  # (B, U, F1)
                inner,  # (B, U, a)
                batch.unit_seq_count.unsqueeze(-1),  # (B, U, 1)
            ],
            dim=-1,
        )  # eq. 5: (B, U, e + F1 + a + 1)
        units = units.masked_fill(~batch.unit_seq_mask.unsqueeze(-1), 0.0)
        hierarchical = self.unit_attention(
            torch.cat([target, target_unit], dim=-1), units, units, batch.unit_seq_mask
        )  # (B, a)
        unit_query = self.unit_id_attention.query(self.unit_embedding(batch.target_unit))  # (B, H, dh)
        unit_keys = self.unit_id_attention.keys(self.unit_embedding(batch.hist_unit[rows]))  # (B or 1, L, H, dh)
        unit_keys = unit_keys.expand(b, *unit_keys.shape[1:])
        unit_scores = torch.einsum("bhd,blhd->bhl", unit_query, unit_keys)  # (B, H, L)
        null = self.unit_id_attention.null_scores(unit_query)
        unit_ids = TargetAttention.attend(unit_scores, values, batch.hist_mask, null)  # (B, a)
        return [target_unit, hierarchical, unit_ids, batch.cross_features]


# -- the recommender ---------------------------------------------------------------------------------------------
@register("iu_boosted")
class IUBoosted(Recommender):
    """CTR ranker over impressions; `score` returns click probabilities of candidates for a query's history."""

    name = "iu_boosted"
    config_class = IUBoostedConfig

    def __init__(self, config: IUBoostedConfig | dict | None = None) -> None:
        super().__init__(config)
        self.device = pick_device()
        self.featurizer: CTRFeaturizer | None = None
        self.net: IUBoostedNet | None = None
        self.catalog: ItemTable | None = None
        self.unit_features: dict[int, np.ndarray] = {}

    # -- data ---------------------------------------------------------------------------------------------------
    def _model_items(self, items: ItemTable) -> ItemTable:
        """`items` with `interest_unit` holding the unit kind this model reads (`unit_kind`); tables without SPU
        units (toy and file data sets) keep their primary unit."""
        if self.config.unit_kind not in ("spu", "semantic"):
            raise ValueError(f"unit_kind must be 'spu' or 'semantic', not {self.config.unit_kind!r}")
        if self.config.unit_kind == "spu" and items.spu_unit is not None:
            return dataclasses.replace(items, interest_unit=items.spu_unit)
        return items

    def _model_dataset(self, dataset: Dataset) -> Dataset:
        return dataclasses.replace(dataset, items=self._model_items(dataset.items))

    def build_samples(
        self,
        dataset: Dataset,
        history: EventLog | tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        unit_days: UnitDayTable | None = None,
    ) -> CTRSamples:
        """`build_ctr_samples` with this model's featurizer and sequence limits (`unit_days`: point-in-time unit
        statistics, for training)."""
        assert self.featurizer is not None, "fit the model first"
        c = self.config
        dataset = self._model_dataset(dataset)
        if not c.unit_stats:
            dataset = dataclasses.replace(dataset, unit_features={})
        return build_ctr_samples(
            dataset,
            self.featurizer,
            history=history,
            max_history=c.max_history,
            window_days=c.window_days,
            max_units=c.max_units,
            max_unit_items=c.max_unit_items,
            unit_days=unit_days if c.unit_stats else None,
            content=c.content_sim,
        )

    def training_samples(self, dataset: Dataset, unit_days: UnitDayTable | None = None) -> CTRSamples:
        """Samples of `dataset`'s impressions as `fit` trains on them: each reads its unit's statistics as of the
        start of its day (`unit_days`, default: counted from `dataset.events`), never its own day's clicks."""
        if unit_days is None and self.config.unit_stats:
            unit_days = self.training_unit_days(dataset)
        return self.build_samples(dataset, unit_days=unit_days)

    def training_unit_days(self, dataset: Dataset) -> UnitDayTable:
        """`unit_day_table` of `dataset`'s events, without statistics on the days whose longest `unit_windows`
        window reaches back before the data starts: cut-short counts are not what the split / serving read."""
        table = unit_day_table(dataset.events, self._model_items(dataset.items))
        table.present[: max(self.config.unit_windows)] = False
        return table

    def set_catalog(self, items: ItemTable, unit_features: dict[int, np.ndarray] | None = None) -> None:
        """Listings (and unit statistics) `score` looks candidates and history up in; rows of `items` replace
        earlier rows with the same id, other rows stay. Call when new listings go live or unit stats refresh."""
        self.catalog = _merge_items(self.catalog, self._model_items(items))  # sorted by id: lookups skip a sort
        if unit_features is not None:
            self.unit_features = {**self.unit_features, **{int(k): np.asarray(v) for k, v in unit_features.items()}}

    def set_unit_features(self, unit_features: dict[int, np.ndarray]) -> None:
        """Fresh unit statistics (serving: units keep accumulating after training); other units keep theirs."""
        if not self.config.unit_stats:
            return
        self.unit_features = {**self.unit_features, **{int(k): np.asarray(v) for k, v in unit_features.items()}}

    # -- training -----------------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        c = self.config
        rng = seed_everything(c.seed)
        dataset = self._model_dataset(dataset)
        # Training impressions read their unit's statistics as of the start of their day, counted from the
        # training events (the stored counters cover the training days: an impression's own click would be in
        # its unit's CTR); validation / test / serving read `unit_features`, counted up to the split or now.
        unit_days = self.training_unit_days(dataset) if c.unit_stats else None
        if not c.unit_stats:
            dataset = dataclasses.replace(dataset, unit_features={})
        self.featurizer = CTRFeaturizer.fit(
            dataset, c.min_count, c.max_items, c.log_unit_features, c.item_min_count,
            unit_stats=None if unit_days is None else unit_days.stats[unit_days.present],
            unit_columns=unit_columns(c.unit_windows) if c.unit_stats else None,
        )
        self.net = IUBoostedNet(c, self.featurizer.sizes(), self.featurizer.unit_dim).to(self.device)
        self.catalog, self.unit_features = None, {}
        self.set_catalog(dataset.items, dataset.unit_features)
        samples = self.training_samples(dataset, unit_days)
        if valid is not None:
            valid_samples = self.build_samples(valid, history=merge_click_history(dataset.events, valid.events))
            train_rows = np.arange(len(samples))
        else:  # the latest impressions validate
            cut = time_cutoff(samples.timestamp, c.valid_fraction)
            cut = np.inf if cut is None else cut
            train_rows = np.flatnonzero(samples.timestamp < cut)
            valid_samples = samples.select(np.flatnonzero(samples.timestamp >= cut))
        events = dataset.events
        self.data_window = {
            "start": float(events.timestamp.min()) if len(events) else None,
            "end": float(events.timestamp.max()) if len(events) else None,
            "impressions": int(len(samples)),
        }
        unit_params = [p for name, p in self.net.named_parameters() if name.startswith(UNIT_MODULES)]
        other_params = [p for name, p in self.net.named_parameters() if not name.startswith(UNIT_MODULES)]
        groups = [{"params": other_params}]
        if unit_params:
            groups.append({"params": unit_params, "weight_decay": c.weight_decay + c.unit_weight_decay})
        optimizer = torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay)
        loss_fn = nn.BCEWithLogitsLoss()
        lengths = samples.hist_end - samples.hist_start

        def batch_loss(rows: np.ndarray) -> torch.Tensor:
            assert self.net is not None
            batch = samples.batch(rows, self.device)
            return loss_fn(self.net(batch), batch.label)  # eq. 2

        def validate() -> dict[str, float]:
            return {"valid_auc": _auc(valid_samples.label, self.predict_samples(valid_samples))}

        trainer = Trainer(
            self.net, optimizer, epochs=c.epochs, patience=c.patience, time_cap_seconds=c.time_cap_seconds,
            monitor=Monitor("valid_auc"), name=self.name, rng=rng,
        )  # fmt: skip
        fit_log = trainer.fit(
            lambda epoch: _length_batches(train_rows, lengths, c.batch_size, rng), batch_loss,
            validate if len(valid_samples) else None,
        )  # fmt: skip
        return {
            "n_train": int(len(train_rows)),
            "n_valid": int(len(valid_samples)),
            **fit_log.as_dict(),
            "best_valid_auc": fit_log.best_valid,
        }

    # -- prediction ---------------------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_ctr(self, batch: CTRBatch, shared_history: bool = False) -> np.ndarray:
        """(B,) float32 click probabilities (`shared_history`: every row has the same history)."""
        assert self.net is not None, "fit the model first"
        self.net.eval()
        return torch.sigmoid(self.net(batch.to(self.device), shared_history)).float().cpu().numpy()

    def predict_samples(self, samples: CTRSamples, batch_size: int = 2048) -> np.ndarray:
        """(n,) float32 click probabilities of every sample (batched by history length: less padding)."""
        order = np.argsort(samples.hist_end - samples.hist_start, kind="stable")
        shared = len(samples) > 0 and bool(
            np.all(samples.hist_start == samples.hist_start[0]) and np.all(samples.hist_end == samples.hist_end[0])
        )
        out = np.zeros(len(samples), dtype=np.float32)
        for first in range(0, len(samples), batch_size):
            rows = order[first : first + batch_size]
            out[rows] = self.predict_ctr(samples.batch(rows), shared_history=shared)
        return out

    def predict_impressions(self, dataset: Dataset, history: EventLog | None = None) -> tuple[CTRSamples, np.ndarray]:
        """Samples of `dataset`'s impressions (history: its clicks plus `history`'s) and their probabilities."""
        samples = self.build_samples(dataset, history=merge_click_history(history, dataset.events))
        return samples, self.predict_samples(samples)

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        assert self.featurizer is not None and self.catalog is not None, "fit the model first"
        c = self.config
        candidates = np.asarray(candidates, dtype=np.int64)
        history = np.asarray(query.history, dtype=np.int64)
        keep = history >= 0
        if len(query.history_actions) == len(history):
            keep &= np.asarray(query.history_actions) == CLICK
        if len(query.history_timestamps) == len(history) and len(history):
            stamps = np.asarray(query.history_timestamps, dtype=np.float64)
            now = query.timestamp if query.timestamp is not None else float(stamps.max()) + 1.0
            keep &= (stamps < now) & (stamps >= now - c.window_days * DAY)
        clicks = history[keep][-c.max_history :]
        n = len(candidates)
        samples = _assemble_samples(
            self.featurizer,
            self.catalog,
            self.unit_features,
            user=np.full(n, -1 if query.user_id is None else query.user_id, dtype=np.int64),
            request=np.full(n, -1, dtype=np.int64),
            timestamp=np.full(n, query.timestamp or 0.0, dtype=np.float64),
            item_id=candidates,
            label=np.zeros(n, dtype=np.float32),
            click_item=clicks,
            hist_start=np.zeros(n, dtype=np.int64),
            hist_end=np.full(n, len(clicks), dtype=np.int64),
            max_units=c.max_units,
            max_unit_items=c.max_unit_items,
            content=c.content_sim,
        )
        return self.predict_samples(samples).astype(np.float64)

    # -- persistence --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        assert self.net is not None and self.featurizer is not None and self.catalog is not None
        items = self.catalog
        return {
            "net": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
            "featurizer": self.featurizer.state(),
            "catalog": {
                "item_id": items.item_id,
                "category": items.category,
                "brand": items.brand,
                "product": items.product,
                "condition": items.condition,
                "price": items.price,
                "created_at": items.created_at,
                "interest_unit": items.interest_unit,  # the unit kind the model reads
                "spu_unit": items.spu_unit,
                "text_vector": items.text_vector,
            },
            "unit_features": {int(k): np.asarray(v) for k, v in self.unit_features.items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if "text_vector" not in state["catalog"]:  # saved before the content features existed
            self.config = dataclasses.replace(self.config, content_sim=False)
        if "spu_unit" not in state["catalog"]:  # saved before `unit_kind`: trained on the primary units
            self.config = dataclasses.replace(self.config, unit_kind="semantic")
        self.featurizer = CTRFeaturizer.from_state(state["featurizer"])
        self.net = IUBoostedNet(self.config, self.featurizer.sizes(), self.featurizer.unit_dim)
        self.net.load_state_dict(state["net"])
        self.net.to(self.device)
        self.catalog = ItemTable(**state["catalog"])
        self.unit_features = dict(state["unit_features"])


register("din", defaults={"use_units": False})(IUBoosted)
register("dnn", defaults={"use_units": False, "use_attention": False})(IUBoosted)


def _merge_items(old: ItemTable | None, new: ItemTable) -> ItemTable:
    """`old` rows whose id is not in `new` plus every row of `new` (the columns the CTR model reads), sorted by id.
    A listing that appears twice in `new` keeps its last row."""
    if old is None:
        old = ItemTable.ids_only(np.zeros(0, dtype=np.int64))
    keep = ~np.isin(old.item_id, new.item_id)
    m_new = len(new)

    def units(column: np.ndarray | None, n: int) -> np.ndarray:
        return np.zeros(n, np.int64) if column is None else np.asarray(column, np.int64)

    merged = ItemTable(
        item_id=np.r_[old.item_id[keep], new.item_id].astype(np.int64),
        category=np.concatenate(
            [np.asarray(old.category).reshape(-1, 3)[keep], np.asarray(new.category).reshape(-1, 3)]
        ),
        brand=np.r_[old.brand[keep], new.brand],
        product=np.r_[old.product[keep], new.product],
        condition=np.r_[old.condition[keep], new.condition],
        price=np.r_[old.price[keep], new.price].astype(np.float32),
        created_at=np.r_[old.created_at[keep], new.created_at],
        interest_unit=np.r_[units(old.interest_unit, len(old))[keep], units(new.interest_unit, m_new)],
        spu_unit=np.r_[units(old.spu_unit, len(old))[keep], units(new.spu_unit, m_new)],
        text_vector=_merge_vectors(old, keep, new),
    )
    ids = merged.item_id[::-1]
    _, last = np.unique(ids, return_index=True)  # unique sorts by id; index of each id's last row
    rows = len(ids) - 1 - last
    return merged.subset(rows)


def _merge_vectors(old: ItemTable, keep: np.ndarray, new: ItemTable) -> np.ndarray | None:
    """float16 text vectors of `old` rows `keep` then `new` (zeros where a table has none); None when neither has."""
    present = [t.text_vector for t in (new, old) if t.text_vector is not None]
    if not present:
        return None
    dim = present[0].shape[1]

    def vectors(table: ItemTable) -> np.ndarray:
        v = table.text_vector
        return np.zeros((len(table), dim), np.float16) if v is None else np.asarray(v, np.float16)

    return np.concatenate([vectors(old)[keep], vectors(new)])


def _length_batches(
    rows: np.ndarray, lengths: np.ndarray, batch_size: int, rng: np.random.Generator, window: int = 50
) -> list[np.ndarray]:
    """Minibatches of `rows` in random order, each of rows with similar history lengths: shuffled rows are cut
    into windows of `window` batches and sorted by length inside each window. A batch is padded to its longest
    history, so this cuts the padding (most users have a few clicks, some have 150) without changing the loss."""
    perm = rng.permutation(rows)
    span = batch_size * window
    batches: list[np.ndarray] = []
    for first in range(0, len(perm), span):
        chunk = perm[first : first + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    value = auc(labels, scores)
    return 0.0 if math.isnan(value) else float(value)
