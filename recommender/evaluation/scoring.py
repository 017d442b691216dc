"""What every ranking protocol shares: the default cut-offs, batched scoring, target ranks, progress reporting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from recommender.base import Query, Recommender
from recommender.data import INTERACTION_CODES, Dataset

DEFAULT_KS: tuple[int, ...] = (1, 5, 10, 20)
SCORE_CELLS_PER_BATCH = 2_000_000  # queries x candidates scored at once: bounds memory, keeps BLAS busy

# `progress(iterable, total=..., desc=...)` wraps a loop (tqdm fits); the default shows nothing.
Progress = Callable[..., Iterable]


def no_progress(iterable: Iterable, **_: Any) -> Iterable:
    return iterable


def training_items(train: Dataset) -> np.ndarray:
    """Every item id with an interaction in the training events: the candidate set."""
    events = train.events
    codes = np.fromiter(INTERACTION_CODES, dtype=np.int64)
    return np.unique(events.item[(events.item >= 0) & np.isin(events.action, codes)]).astype(np.int64)


def score_queries(model: Recommender, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
    """(len(queries), len(candidates)) float64 scores, through the model's `score_batch`."""
    return np.asarray(model.score_batch(queries, candidates), dtype=np.float64)


def target_ranks(scores: np.ndarray, target_col: np.ndarray) -> np.ndarray:
    """1-based rank of each row's target column under a stable descending sort; inf where the column is -1."""
    rows = np.arange(scores.shape[0])
    known = target_col >= 0
    target_score = scores[rows, np.where(known, target_col, 0)][:, None]
    cols = np.arange(scores.shape[1])[None, :]
    ahead = (scores > target_score) | ((scores == target_score) & (cols < target_col[:, None]))
    ranks = ahead.sum(axis=1).astype(np.float64) + 1.0
    return np.where(known, ranks, np.inf)
