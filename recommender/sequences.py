"""Turn an `EventLog` into training data: de-duplicated logs, per-user / per-session sequences, time splits,
PWPRec's view-item-page and homepage samples, and impression groups for CTR models.

Sequences are kept ragged in CSR form (flat arrays plus offsets) and samples point into them by index, so
nothing is copied per sample; `pad_histories` makes the fixed-width arrays a torch model wants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from recommender.data import ACTION_CODE, INTERACTION_CODES, EventLog

DAY = 86_400.0
ITEM_VIEW = ACTION_CODE["item_view"]
IMPRESSION = ACTION_CODE["impression"]


def dedup_consecutive(events: EventLog) -> EventLog:
    """Drop an event when the same user's previous event has the same action and item (MerRec 3.2).

    Keeps the input's row order; events are assumed sorted by time.
    """
    n = len(events)
    if n < 2:
        return events.select(np.arange(n))
    order = np.argsort(events.user, kind="stable")  # per user, in time order
    user, item, action = events.user[order], events.item[order], events.action[order]
    repeat = np.r_[False, (user[1:] == user[:-1]) & (item[1:] == item[:-1]) & (action[1:] == action[:-1])]
    keep = np.ones(n, dtype=bool)
    keep[order[repeat]] = False
    return events.select(keep)


# -- ragged sequences ---------------------------------------------------------------------------------------
@dataclass
class Sequences:
    """Ragged sequences, oldest first: rows offsets[i]:offsets[i+1] of the flat arrays belong to keys[i]."""

    keys: np.ndarray  # (s,) int64: user or session ids
    offsets: np.ndarray  # (s + 1,) int64
    user: np.ndarray  # (n,) int64
    session: np.ndarray  # (n,) int64
    item: np.ndarray  # (n,) int64
    action: np.ndarray  # (n,) int8
    timestamp: np.ndarray  # (n,) float64
    source_row: np.ndarray  # (n,) int64: each flat row's row in the EventLog it was built from

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def items_of(self, i: int) -> np.ndarray:
        return self.item[self.offsets[i] : self.offsets[i + 1]]

    def segment_of_rows(self) -> np.ndarray:
        """(n,) index of the sequence each flat row belongs to."""
        return np.repeat(np.arange(len(self)), self.lengths())

    def as_lists(self) -> dict[int, list[int]]:
        """key -> item ids; for tests and small data only."""
        return {int(k): self.items_of(i).tolist() for i, k in enumerate(self.keys)}


def _action_mask(events: EventLog, actions: Iterable[int] | None) -> np.ndarray:
    mask = events.item >= 0
    if actions is not None:
        mask &= np.isin(events.action, np.fromiter(actions, dtype=np.int64))
    return mask


def _group_sequences(events: EventLog, key: np.ndarray, mask: np.ndarray, min_length: int) -> Sequences:
    rows = np.flatnonzero(mask)
    # Group by key; within a key, by time, then by original row (stable for equal times).
    rows = rows[np.lexsort((rows, events.timestamp[rows], key[rows]))]
    keys_sorted = key[rows]
    starts = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]]) if len(rows) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(rows)].astype(np.int64)
    long_enough = (ends - starts) >= min_length
    if not long_enough.all():
        keep_rows = np.repeat(long_enough, ends - starts)
        rows = rows[keep_rows]
        keys_sorted = keys_sorted[keep_rows]
        lengths = (ends - starts)[long_enough]
        starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64) if len(lengths) else np.zeros(0, np.int64)
        ends = starts + lengths
    offsets = np.r_[starts, len(rows)].astype(np.int64) if len(starts) else np.zeros(1, np.int64)
    return Sequences(
        keys=keys_sorted[starts].astype(np.int64),
        offsets=offsets,
        user=events.user[rows].astype(np.int64),
        session=events.session[rows].astype(np.int64),
        item=events.item[rows].astype(np.int64),
        action=events.action[rows].astype(np.int8),
        timestamp=events.timestamp[rows].astype(np.float64),
        source_row=rows.astype(np.int64),
    )


def user_sequences(
    events: EventLog, actions: Iterable[int] | None = INTERACTION_CODES, min_length: int = 1
) -> Sequences:
    """Each user's events with an item (default: the six interactions, no impressions), across sessions."""
    return _group_sequences(events, events.user, _action_mask(events, actions), min_length)


def session_sequences(
    events: EventLog, actions: Iterable[int] | None = INTERACTION_CODES, min_length: int = 1
) -> Sequences:
    """Each session's events with an item (default: the six interactions, no impressions)."""
    return _group_sequences(events, events.session, _action_mask(events, actions), min_length)


def time_split(
    events: EventLog, valid_fraction: float, test_fraction: float, whole_sessions: bool = False
) -> tuple[EventLog, EventLog, EventLog]:
    """Split by timestamp quantiles into train / valid / test (the last `test_fraction` of time-ordered events
    is test, the `valid_fraction` before it valid). `whole_sessions` places a session by its first event."""
    if valid_fraction < 0 or test_fraction < 0 or valid_fraction + test_fraction >= 1:
        raise ValueError("need 0 <= valid_fraction, test_fraction and valid_fraction + test_fraction < 1")
    ts = events.timestamp
    if whole_sessions and len(events):
        _, inverse = np.unique(events.session, return_inverse=True)
        first = np.full(inverse.max() + 1, np.inf)
        np.minimum.at(first, inverse, ts)
        ts = first[inverse]
    if len(events) == 0:
        empty = events.select(np.zeros(0, dtype=np.int64))
        return empty, empty, empty
    valid_start = np.quantile(ts, 1.0 - valid_fraction - test_fraction) if valid_fraction > 0 else np.inf
    test_start = np.quantile(ts, 1.0 - test_fraction) if test_fraction > 0 else np.inf
    valid_start = min(valid_start, test_start)
    train = ts < valid_start
    test = ts >= test_start
    valid = ~train & ~test
    return events.select(train), events.select(valid), events.select(test)


# -- samples: prefix -> next item ---------------------------------------------------------------------------
@dataclass
class HistorySamples:
    """Samples whose history is the flat rows start[i]:end[i] of `source` (oldest first), target at `target`."""

    source: Sequences
    start: np.ndarray  # (m,) int64
    end: np.ndarray  # (m,) int64, exclusive
    target_row: np.ndarray  # (m,) int64: the target's flat row in `source`

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def target(self) -> np.ndarray:
        return self.source.item[self.target_row]

    @property
    def user(self) -> np.ndarray:
        return self.source.user[self.target_row]

    @property
    def timestamp(self) -> np.ndarray:
        return self.source.timestamp[self.target_row]

    def history(self, i: int) -> np.ndarray:
        return self.source.item[self.start[i] : self.end[i]]

    def padded(self, max_len: int, pad: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(items (m, max_len), actions (m, max_len), lengths (m,)), right-aligned: the newest event is last."""
        return pad_histories(self.source, self.start, self.end, max_len, pad)


def pad_histories(
    source: Sequences, start: np.ndarray, end: np.ndarray, max_len: int, pad: int = -1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather the last `max_len` rows of each [start, end) range into right-aligned (m, max_len) arrays."""
    start = np.maximum(np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64) - max_len)
    end = np.asarray(end, dtype=np.int64)
    lengths = end - start
    cols = np.arange(max_len)[None, :]  # (1, L)
    rows = end[:, None] - max_len + cols  # (m, L): flat row for each slot; slots before `start` are padding
    valid = rows >= start[:, None]
    safe = np.where(valid, rows, 0)
    if len(source.item) == 0:
        safe = np.zeros_like(safe)
        valid = np.zeros_like(valid)
        source_item = np.zeros(1, dtype=np.int64)
        source_action = np.zeros(1, dtype=np.int8)
    else:
        source_item, source_action = source.item, source.action
    items = np.where(valid, source_item[safe], pad).astype(np.int64)
    actions = np.where(valid, source_action[safe], pad).astype(np.int8)
    return items, actions, lengths


def vip_samples(
    events: EventLog,
    target_actions: Iterable[int] = (ITEM_VIEW,),
    max_history: int = 50,
    skip_repeats: bool = True,
) -> HistorySamples:
    """View-item-page samples (PWPRec 4.3.1): within one session, every prefix -> the next clicked item.

    History is the session's interactions before the target (at most `max_history`); `skip_repeats` drops
    targets equal to the last history item (a re-view of the page the user is on).
    """
    seqs = session_sequences(events, INTERACTION_CODES, min_length=2)
    segment = seqs.segment_of_rows()
    rows = np.arange(len(seqs.item))
    seq_start = seqs.offsets[segment]
    ok = (rows > seq_start) & np.isin(seqs.action, np.fromiter(target_actions, dtype=np.int64))
    if skip_repeats:
        ok &= np.r_[False, seqs.item[1:] != seqs.item[:-1]]
    target = rows[ok]
    start = np.maximum(seq_start[ok], target - max_history)
    return HistorySamples(source=seqs, start=start.astype(np.int64), end=target.astype(np.int64), target_row=target)


def _first_row_at_or_after(seqs: Sequences, segment: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each query (sequence index, time): the first flat row of that sequence with timestamp >= time.

    A merge of rows and queries sorted by (sequence, time), queries before rows on ties: the rows ahead of a
    query in that order are exactly the rows of earlier sequences plus this sequence's rows before `time`.
    """
    m = len(segment)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    n = len(seqs.item)
    seg = np.r_[seqs.segment_of_rows(), np.asarray(segment, dtype=np.int64)]
    ts = np.r_[seqs.timestamp, np.asarray(times, dtype=np.float64)]
    is_row = np.r_[np.ones(n, dtype=np.int8), np.zeros(m, dtype=np.int8)]
    order = np.lexsort((is_row, ts, seg))
    rows_before = np.cumsum(is_row[order]) - is_row[order]  # rows strictly ahead at each merged position
    result = np.empty(m, dtype=np.int64)
    query_at = order >= n
    result[order[query_at] - n] = rows_before[query_at]
    return result


def home_samples(
    events: EventLog,
    window_days: float = 30.0,
    target_actions: Iterable[int] = INTERACTION_CODES,
    target_surface: int | None = None,
    max_history: int = 100,
    min_history: int = 1,
) -> HistorySamples:
    """Homepage samples (PWPRec 4.3.2): for a target interaction at time t, the user's interactions in the
    `window_days` before t, across sessions, are the history. `target_surface` keeps only targets shown there
    (1 = home) when the log has surfaces."""
    seqs = user_sequences(events, INTERACTION_CODES)
    segment = seqs.segment_of_rows()
    rows = np.arange(len(seqs.item))
    ok = np.isin(seqs.action, np.fromiter(target_actions, dtype=np.int64))
    if target_surface is not None and events.surface is not None:
        ok &= events.surface[seqs.source_row] == target_surface
    target = rows[ok]
    window_start = _first_row_at_or_after(seqs, segment[target], seqs.timestamp[target] - window_days * DAY)
    start = np.maximum(np.maximum(window_start, seqs.offsets[segment[target]]), target - max_history)
    keep = (target - start) >= min_history
    return HistorySamples(
        source=seqs, start=start[keep].astype(np.int64), end=target[keep].astype(np.int64), target_row=target[keep]
    )


# -- impressions for CTR models -----------------------------------------------------------------------------
@dataclass
class ImpressionGroups:
    """Impressions shown together (one request), rows offsets[g]:offsets[g+1] of the flat arrays belong to group g.

    history_start / history_end index each group's user's interactions before the request in `history`.
    """

    request: np.ndarray  # (g,) int64 (negative: synthesised for impressions without a request id)
    offsets: np.ndarray  # (g + 1,) int64
    user: np.ndarray  # (g,) int64
    timestamp: np.ndarray  # (g,) float64: the request's first impression time
    item: np.ndarray  # (n,) int64
    position: np.ndarray  # (n,) int16, -1 unknown
    surface: np.ndarray  # (n,) int8
    label: np.ndarray  # (n,) bool: clicked
    history: Sequences
    history_start: np.ndarray  # (g,) int64
    history_end: np.ndarray  # (g,) int64, exclusive

    def __len__(self) -> int:
        return int(self.request.shape[0])

    def row_group(self) -> np.ndarray:
        """(n,) group index of each impression row."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))

    def row_user(self) -> np.ndarray:
        return self.user[self.row_group()]


def _click_labels(events: EventLog, impressions: np.ndarray, request: np.ndarray) -> np.ndarray:
    """Labels for logs without a `clicked` column: an item_view of the same item under the same request."""
    views = np.flatnonzero((events.action == ITEM_VIEW) & (request >= 0))
    if len(views) == 0:
        return np.zeros(len(impressions), dtype=bool)
    view_keys = np.unique(np.stack([request[views], events.item[views]], axis=1), axis=0)
    imp_keys = np.stack([request[impressions], events.item[impressions]], axis=1)
    # Row-wise membership via a structured view.
    dtype = np.dtype([("r", np.int64), ("i", np.int64)])
    view_struct = np.ascontiguousarray(view_keys.astype(np.int64)).view(dtype).ravel()
    imp_struct = np.ascontiguousarray(imp_keys.astype(np.int64)).view(dtype).ravel()
    return np.isin(imp_struct, view_struct)


def impression_groups(events: EventLog, max_history: int = 50) -> ImpressionGroups:
    """Impression rows grouped by request id with click labels, plus each user's interaction history before the
    request (at most `max_history`). Impressions without a request id are grouped by (session, timestamp)."""
    n = len(events)
    request = events.request if events.request is not None else np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero((events.action == IMPRESSION) & (events.item >= 0))
    labels = events.clicked[rows].astype(bool) if events.clicked is not None else _click_labels(events, rows, request)
    group_key = request[rows].astype(np.int64)
    missing = group_key < 0
    if missing.any():
        pairs = np.stack([events.session[rows[missing]].astype(np.float64), events.timestamp[rows[missing]]], axis=1)
        _, synthetic = np.unique(pairs, axis=0, return_inverse=True)
        group_key[missing] = -1 - synthetic.ravel().astype(np.int64)
    order = np.lexsort((events.timestamp[rows], group_key))
    rows, labels, group_key = rows[order], labels[order], group_key[order]
    starts = np.flatnonzero(np.r_[True, group_key[1:] != group_key[:-1]]) if len(rows) else np.zeros(0, np.int64)
    offsets = np.r_[starts, len(rows)].astype(np.int64)
    group_user = events.user[rows[starts]].astype(np.int64)
    group_time = events.timestamp[rows[starts]].astype(np.float64)

    history = user_sequences(events, INTERACTION_CODES)
    # Locate each group's user among the history's sequences; users without interactions get an empty range.
    pos = np.minimum(np.searchsorted(history.keys, group_user), max(len(history) - 1, 0))
    known = history.keys[pos] == group_user if len(history) else np.zeros(len(group_user), dtype=bool)
    end = np.zeros(len(group_user), dtype=np.int64)
    start = np.zeros(len(group_user), dtype=np.int64)
    if known.any():
        seg = pos[known]
        end[known] = _first_row_at_or_after(history, seg, group_time[known])  # strictly before the request
        start[known] = np.maximum(history.offsets[seg], end[known] - max_history)
    surface = events.surface[rows] if events.surface is not None else np.zeros(len(rows), dtype=np.int8)
    position = events.position[rows] if events.position is not None else np.full(len(rows), -1, dtype=np.int16)
    return ImpressionGroups(
        request=group_key[starts] if len(rows) else np.zeros(0, np.int64),
        offsets=offsets,
        user=group_user,
        timestamp=group_time,
        item=events.item[rows].astype(np.int64),
        position=position.astype(np.int16),
        surface=surface.astype(np.int8),
        label=labels,
        history=history,
        history_start=start,
        history_end=end,
    )
