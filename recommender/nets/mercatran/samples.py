"""Mercatran's training windows: a right-aligned history and the next `n_steps` items, cut from the
interaction log at every position of each user's sequence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.data import INTERACTION_CODES, EventLog
from recommender.sequences import dedup_consecutive


@dataclass
class Windows:
    """Training samples: a right-aligned history and the next n_steps items, as rows of the model's item cache."""

    history: np.ndarray  # (m, L) int64 item-cache rows, -1 = padding
    actions: np.ndarray  # (m, L) int64 action codes, -1 = padding
    targets: np.ndarray  # (m, S) int64 item-cache rows

    def __len__(self) -> int:
        return int(self.targets.shape[0])


def interaction_log(events: EventLog) -> EventLog:
    """The six interactions with a listing, consecutive (user, action, item) repeats removed (MerRec 3.2)."""
    keep = (events.item >= 0) & np.isin(events.action, np.fromiter(INTERACTION_CODES, dtype=np.int64))
    return dedup_consecutive(events.select(keep).sorted())


def new_target_rows(item: np.ndarray, history: np.ndarray, first: np.ndarray, end: np.ndarray, n_steps: int
                    ) -> np.ndarray:
    """(m, n_steps) flat rows of the first n_steps items from `first` on (before `end`) that are not in the
    window's `history` (m, L) item ids (-1 = padding) and not repeats of an earlier target; -1 where fewer exist.

    A like or cart tap after a view is no consecutive duplicate, so raw next items often re-name the history;
    serving leaves the user's recent listings out of the row, so the decoder learns to point at new ones."""
    out = np.full((len(first), n_steps), -1, dtype=np.int64)
    for w in range(len(first)):
        seen = set(history[w][history[w] >= 0].tolist())
        found = 0
        for row in range(int(first[w]), int(end[w])):
            value = int(item[row])
            if value in seen:
                continue
            seen.add(value)
            out[w, found] = row
            found += 1
            if found == n_steps:
                break
    return out


def window_bounds(lengths: np.ndarray, offsets: np.ndarray, n_steps: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(sequence index, flat row of the first target) of every window: the last n_steps of each sequence, then
    every `stride` events earlier while at least one history event is left."""
    lengths = np.asarray(lengths, dtype=np.int64)
    last_start = lengths - n_steps  # first target's position in its sequence
    counts = np.where(last_start >= 1, (last_start - 1) // stride + 1, 0)
    sequence = np.repeat(np.arange(len(lengths)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    first_target = offsets[sequence] + last_start[sequence] - within * stride
    return sequence, first_target


def concat_logs(a: EventLog, b: EventLog) -> EventLog:
    def join(x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
        return None if x is None or y is None else np.concatenate([x, y])

    return EventLog(
        user=np.concatenate([a.user, b.user]),
        session=np.concatenate([a.session, b.session]),
        item=np.concatenate([a.item, b.item]),
        action=np.concatenate([a.action, b.action]),
        timestamp=np.concatenate([a.timestamp, b.timestamp]),
        surface=join(a.surface, b.surface),
        position=join(a.position, b.position),
        request=join(a.request, b.request),
        clicked=join(a.clicked, b.clicked),
    )
