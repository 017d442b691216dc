"""The `ctr` protocol (IU4Rec 5.1): each request's impressions are scored with `score(query, shown items)` and
compared with their click labels: AUC over all impressions, GAUC per user. IU4Rec's Table 2 (splits, RelaImpr)
is `recommender.evaluation.ctr_splits`."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE, PAGE_CODE, Dataset, EventLog
from recommender.evaluation.scoring import Progress, no_progress
from recommender.evaluation.split import concat_events
from recommender.metrics import auc, gauc
from recommender.sequences import impression_groups

# EventLog surface codes -> Query.surface names (0 = unknown is asked as the homepage).
SURFACE_NAMES: dict[int, str] = {0: "home", **{code: page for page, code in PAGE_CODE.items()}}


def impression_count(events: EventLog) -> int:
    return int(((events.action == ACTION_CODE["impression"]) & (events.item >= 0)).sum())


def evaluate_ctr(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    max_groups: int | None = None,
    max_history: int = 50,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """AUC over every test impression and GAUC over users (IU4Rec eq. 8), each request's shown items scored
    with `model.score(query, items)`; the query holds the user's interactions before the request."""
    if impression_count(test.events) == 0:
        raise ValueError("the ctr protocol needs impressions in the test events; this data set has none")
    progress = progress or no_progress
    events = concat_events(train.events, test.events)
    groups = impression_groups(events, max_history=max_history)
    test_start = float(test.events.timestamp.min())
    chosen = np.flatnonzero(groups.timestamp >= test_start)
    if max_groups is not None:
        chosen = chosen[:max_groups]
    history = groups.history
    scores = np.zeros(len(groups.item), dtype=np.float64)
    scored = np.zeros(len(groups.item), dtype=bool)
    started = time.perf_counter()
    for g in progress(chosen, total=len(chosen), desc=f"{model.name} ctr"):
        a, b = int(groups.history_start[g]), int(groups.history_end[g])
        first, last = int(groups.offsets[g]), int(groups.offsets[g + 1])
        query = Query(
            user_id=int(groups.user[g]),
            history=history.item[a:b].tolist(),
            history_actions=history.action[a:b].tolist(),
            history_timestamps=history.timestamp[a:b].tolist(),
            surface=SURFACE_NAMES.get(int(groups.surface[first]), "home"),
            timestamp=float(groups.timestamp[g]),
        )
        scores[first:last] = np.asarray(model.score(query, groups.item[first:last]), dtype=np.float64)
        scored[first:last] = True
    seconds = time.perf_counter() - started
    labels, users = groups.label[scored], groups.row_user()[scored]
    return {
        "auc": _finite(auc(labels, scores[scored])),
        "gauc": _finite(gauc(users, labels, scores[scored])),
        "n_impressions": int(scored.sum()),
        "n_clicks": int(labels.sum()),
        "n_groups": int(len(chosen)),
        "n_users": int(len(np.unique(users))),
        "score_seconds": round(seconds, 3),
    }


def _finite(value: float) -> float | None:
    """NaN (an AUC with one class only) as None, so metrics.json stays valid JSON."""
    return None if value is None or math.isnan(value) else float(value)

