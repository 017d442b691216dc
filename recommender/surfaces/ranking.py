"""The ranking stage of the surfaces (MercadoLibre SCID + Yandex two-tower features in LightGBM,
`recommender.ranking.ranker`): re-orders a slate's candidate ids when a worker computes it, never inside a request."""

from __future__ import annotations

import logging

import numpy as np

from recommender.base import Query, Recommender
from recommender.serving.loading import served_model
from recommender.surfaces.types import StoredRow

logger = logging.getLogger(__name__)

RANKER = "ranker"


def served_ranker(*, wait: bool = True) -> tuple[int, Recommender] | None:
    """(version id, model) of the active ranker, or None (the rows then keep their retrieval order)."""
    return served_model(RANKER, wait=wait)


def rows_rerank(rows: list[StoredRow], *, ranker: Recommender, query: Query) -> None:
    """Re-order these rows' candidates in place by one batched scoring of all of them (features from the model's
    lookups, no per-candidate queries); each re-ranked row is labelled "ranker". A broken model must not break a
    surface: the rows then keep their retrieval order."""
    rows = [row for row in rows if row.ids]
    if not rows:
        return
    ids = np.array([i for row in rows for i in row.ids], dtype=np.int64)
    try:
        scores = np.asarray(ranker.score_lists([query], [ids], incremental=True)[0]
                            if hasattr(ranker, "score_lists") else ranker.score(query, ids))
    except Exception:
        logger.exception("ranker failed; rows keep their retrieval order")
        return
    start = 0
    for row in rows:
        part = scores[start : start + len(row.ids)]
        start += len(row.ids)
        order = np.argsort(-part, kind="stable")
        row.ids = [row.ids[i] for i in order]
        row.recommender = RANKER
