"""The offline protocols by name, and running them for several models at once.

Each protocol is a module of this package: `next-item` (next_item.py), `vip` and `home` (pages.py), `ctr` (ctr.py),
`rerank` (rerank.py: the ranking stage's own protocol, MercadoLibre / Yandex) and `multistep` (multistep.py: MerRec
Table 5, 4 steps, 3 granularities). A new protocol is a module and an entry of `PROTOCOLS`; `evaluate --protocol`
offers every entry. Django-free: `recommender.dataset_db` builds the database's `Dataset`, `recommender.services`
runs this for the commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from recommender.base import Recommender
from recommender.data import Dataset
from recommender.evaluation.ctr import evaluate_ctr, impression_count
from recommender.evaluation.multistep import evaluate_table5
from recommender.evaluation.next_item import evaluate_next_item
from recommender.evaluation.pages import CANDIDATE_MODES, evaluate_home, evaluate_vip
from recommender.evaluation.rerank import evaluate_rerank
from recommender.evaluation.scoring import DEFAULT_KS, Progress

# protocol(model, train, test, ks, max_sessions, candidates, progress) -> metrics; each protocol reads the options
# it has (`max_sessions` caps the request groups for `ctr`, the VIP queries for `rerank`).
Protocol = Callable[[Recommender, Dataset, Dataset, tuple[int, ...], int | None, str, Progress | None], dict[str, Any]]

PROTOCOLS: dict[str, Protocol] = {
    "next-item": lambda model, train, test, ks, max_sessions, candidates, progress: evaluate_next_item(
        model, train, test, ks=ks, max_sessions=max_sessions, progress=progress),
    "vip": lambda model, train, test, ks, max_sessions, candidates, progress: evaluate_vip(
        model, train, test, ks=ks, max_sessions=max_sessions, candidates=candidates, progress=progress),
    "home": lambda model, train, test, ks, max_sessions, candidates, progress: evaluate_home(
        model, train, test, ks=ks, max_sessions=max_sessions, candidates=candidates, progress=progress),
    "ctr": lambda model, train, test, ks, max_sessions, candidates, progress: evaluate_ctr(
        model, train, test, max_groups=max_sessions, progress=progress),
    "rerank": lambda model, train, test, ks, max_sessions, candidates, progress: evaluate_rerank(
        model, train, test, max_queries=max_sessions),
    "multistep": lambda model, train, test, ks, max_sessions, candidates, progress: evaluate_table5(
        model, train, test, ks=ks, max_sessions=max_sessions),
}


def evaluate_model(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    protocol: str = "next-item",
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    candidates: str = "active",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """One fitted model's metrics under `protocol` (`max_sessions` limits request groups for `ctr`)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[protocol](model, train, test, tuple(ks), max_sessions, candidates, progress)


def evaluate_models(
    models: dict[str, Recommender],
    train: Dataset,
    test: Dataset,
    protocol: str = "next-item",
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    fit: bool = True,
    candidates: str = "active",
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """{name: metrics} for each model, fitted on `train` first unless `fit` is False (then `fit_seconds` is 0)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    if protocol == "ctr" and impression_count(test.events) == 0:
        raise ValueError("the ctr protocol needs impressions in the test events; this data set has none")
    if candidates not in CANDIDATE_MODES:
        raise ValueError(f"unknown candidate mode {candidates!r}; known: {', '.join(CANDIDATE_MODES)}")
    results: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        started = time.perf_counter()
        if fit:
            model.fit(train)
        fit_seconds = time.perf_counter() - started
        metrics = evaluate_model(model, train, test, protocol=protocol, ks=ks, max_sessions=max_sessions,
                                 candidates=candidates, progress=progress)
        metrics["fit_seconds"] = round(fit_seconds, 3)
        results[name] = metrics
    return results
