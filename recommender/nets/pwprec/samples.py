"""PWPRec's training samples (section 4.3): left-padded item-row histories before each target, cut from a
session (view-item page) or from a user's last 30 days (homepage)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.data import PAGE_CODE

DAY = 86400.0
HOME_SURFACE_CODE = PAGE_CODE["home"]  # EventLog.surface


@dataclass
class SessionSamples:
    """Left-padded histories and their targets, as dense item rows (0 = padding)."""

    rows: np.ndarray  # (N, L) int32
    actions: np.ndarray  # (N, L) int8, action code + 1, 0 = padding
    target: np.ndarray  # (N,) int64
    timestamp: np.ndarray  # (N,) float64, the target's time
    session_start: np.ndarray  # (N,) float64, when the target's session began

    def __len__(self) -> int:
        return int(self.target.shape[0])

    def subset(self, index: np.ndarray) -> SessionSamples:
        return SessionSamples(
            self.rows[index], self.actions[index], self.target[index], self.timestamp[index], self.session_start[index]
        )

    def cropped(self) -> SessionSamples:
        """Drop the leading columns that are padding in every row (positions count from the end, so safe)."""
        if len(self) == 0:
            return self
        longest = max(int((self.rows > 0).sum(axis=1).max()), 1)
        return SessionSamples(
            self.rows[:, -longest:], self.actions[:, -longest:], self.target, self.timestamp, self.session_start
        )


def collapse_runs(
    groups: np.ndarray, items: np.ndarray, actions: np.ndarray, dedupe: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first row of each run of the same item inside a group, with the run's strongest action."""
    n = len(items)
    if n == 0 or not dedupe:
        return np.arange(n), actions
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (groups[1:] != groups[:-1]) | (items[1:] != items[:-1])
    starts = np.flatnonzero(new_run)
    return starts, np.maximum.reduceat(actions, starts)


def history_windows(
    rows: np.ndarray,
    actions: np.ndarray,
    group_first: np.ndarray,
    targets: np.ndarray,
    max_len: int,
    ts: np.ndarray | None = None,
    min_ts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each target position g: the up-to-`max_len` preceding rows of its group (left-padded)."""
    index = targets[:, None] + np.arange(-max_len, 0)[None, :]  # (N, L)
    valid = index >= group_first[targets][:, None]
    clipped = np.maximum(index, 0)
    if ts is not None and min_ts is not None:
        valid &= ts[clipped] >= min_ts[:, None]
    out_rows = np.where(valid, rows[clipped], 0).astype(np.int32)
    out_actions = np.where(valid, actions[clipped] + 1, 0).astype(np.int8)
    return out_rows, out_actions


def empty_samples(max_len: int) -> SessionSamples:
    z = np.zeros(0)
    return SessionSamples(np.zeros((0, max_len), np.int32), np.zeros((0, max_len), np.int8), z.astype(np.int64), z, z)
