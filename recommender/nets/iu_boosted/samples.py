"""IU-Boosted's samples: impressions with their click histories as compact arrays (`CTRSamples`), padded into
tensor minibatches (`CTRBatch`) that carry the hierarchical IU click sequence of section 4.2.2."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from recommender.data import Dataset, EventLog, ItemTable
from recommender.nets.iu_boosted.features import (
    CLICK,
    DAY,
    IMPRESSION,
    ITEM_COLUMNS,
    UNIT_NONE,
    CTRFeaturizer,
    UnitDayTable,
    content_similarity,
)


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
    return assemble_samples(
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


def assemble_samples(
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
