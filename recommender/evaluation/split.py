"""A data set's time split into training and test parts, and the two parts' events joined again (the protocols
that read a user's history across the boundary)."""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.data import Dataset, EventLog
from recommender.sequences import DAY


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
