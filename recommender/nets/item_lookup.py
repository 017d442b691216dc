"""The item lookup of the ranking nets (`ranking_two_tower`, `scid`): sorted listing ids, and arrays whose rows are
aligned with them plus one trailing all-missing row that unknown ids read."""

from __future__ import annotations

import numpy as np


def lookup_extend(
    ids: np.ndarray, rows: tuple[np.ndarray, ...], new_ids: np.ndarray, new_rows: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The lookup (`ids`, `rows`) with the listings of (`new_ids`, `new_rows`) added: a listing in both takes its new
    row, the others keep theirs, and the old all-missing row stays last. `new_rows` also end in a missing row."""
    keep = ~np.isin(ids, new_ids)
    merged_ids = np.concatenate([ids[keep], new_ids])
    order = np.argsort(merged_ids, kind="stable")
    merged = tuple(
        np.concatenate([np.concatenate([old[:-1][keep], new[:-1]])[order], old[-1:]])
        for old, new in zip(rows, new_rows, strict=True)
    )
    return merged_ids[order], merged
