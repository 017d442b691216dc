"""Offline evaluation: the session-rec next-item protocol, several models at once, and the report files.

Next-item protocol (Ludewig & Jannach 2018, session-rec's default evaluation): for every test session and every
position i >= 1, the prefix items[:i] is the query and items[i] the target, ranked among all items seen in
training. Ties are ordered like `Recommender.recommend` (stable: the earlier candidate first). Repeated clicks
are kept, as session-rec keeps them: on YooChoose a quarter of the targets repeat the previous item.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from recommender.base import Query, Recommender
from recommender.data import INTERACTION_CODES, Dataset
from recommender.metrics import catalogue_coverage, metrics_from_ranks
from recommender.sequences import session_sequences

DEFAULT_KS: tuple[int, ...] = (1, 5, 10, 20)
SCORE_CELLS_PER_BATCH = 2_000_000  # queries x candidates scored at once: bounds memory, keeps BLAS busy


def training_items(train: Dataset) -> np.ndarray:
    """Every item id with an interaction in the training events: the candidate set."""
    events = train.events
    codes = np.fromiter(INTERACTION_CODES, dtype=np.int64)
    return np.unique(events.item[(events.item >= 0) & np.isin(events.action, codes)]).astype(np.int64)


def score_queries(model: Recommender, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
    """(len(queries), len(candidates)) scores, through the model's `score_batch` when it has one."""
    batch = getattr(model, "score_batch", None)
    if callable(batch):
        return np.asarray(batch(queries, candidates), dtype=np.float64)
    return np.stack([np.asarray(model.score(q, candidates), dtype=np.float64) for q in queries])


def target_ranks(scores: np.ndarray, target_col: np.ndarray) -> np.ndarray:
    """1-based rank of each row's target column under a stable descending sort; inf where the column is -1."""
    rows = np.arange(scores.shape[0])
    known = target_col >= 0
    target_score = scores[rows, np.where(known, target_col, 0)][:, None]
    cols = np.arange(scores.shape[1])[None, :]
    ahead = (scores > target_score) | ((scores == target_score) & (cols < target_col[:, None]))
    ranks = ahead.sum(axis=1).astype(np.float64) + 1.0
    return np.where(known, ranks, np.inf)


def evaluate_next_item(
    model: Recommender,
    train: Dataset,
    test: Dataset,
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
) -> dict[str, Any]:
    """Next-item metrics of a fitted `model`: hr@K = recall@K, mrr@K, ndcg@K for each K, coverage@max K, the
    number of predictions / sessions and the scoring time. Targets never seen in training count as misses."""
    ks = tuple(sorted(set(int(k) for k in ks)))
    top_k = ks[-1]
    candidates = training_items(train)
    seqs = session_sequences(test.events, INTERACTION_CODES, min_length=2)
    n_sessions = len(seqs) if max_sessions is None else min(len(seqs), max_sessions)

    # Every (session, position >= 1) pair, in session order.
    segment = seqs.segment_of_rows()[: seqs.offsets[n_sessions]]
    target_row = np.flatnonzero(np.arange(len(segment)) != seqs.offsets[segment]).astype(np.int64)
    session_of = segment[target_row]
    target_col = np.full(len(target_row), -1, dtype=np.int64)
    if len(candidates):
        pos = np.minimum(np.searchsorted(candidates, seqs.item[target_row]), len(candidates) - 1)
        target_col = np.where(candidates[pos] == seqs.item[target_row], pos, -1)

    batch_size = max(1, min(1024, SCORE_CELLS_PER_BATCH // max(len(candidates), 1)))
    ranks = np.empty(len(target_row), dtype=np.float64)
    top_items: set[int] = set()
    started = time.perf_counter()
    for begin in range(0, len(target_row), batch_size):
        rows = target_row[begin : begin + batch_size]
        queries = []
        for row, session in zip(rows, session_of[begin : begin + batch_size], strict=True):
            first = seqs.offsets[session]
            queries.append(
                Query(
                    user_id=int(seqs.user[row]),
                    history=seqs.item[first:row].tolist(),
                    history_actions=seqs.action[first:row].tolist(),
                    history_timestamps=seqs.timestamp[first:row].tolist(),
                    surface="next-item",
                    timestamp=float(seqs.timestamp[row - 1]),
                )
            )
        scores = score_queries(model, queries, candidates)
        ranks[begin : begin + len(rows)] = target_ranks(scores, target_col[begin : begin + len(rows)])
        k = min(top_k, scores.shape[1])
        if k:
            best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            top_items.update(np.unique(candidates[best]).tolist())
    seconds = time.perf_counter() - started

    result: dict[str, Any] = metrics_from_ranks(ranks, ks)
    result[f"coverage@{top_k}"] = catalogue_coverage([list(top_items)], len(candidates))
    result["n_predictions"] = int(len(ranks))
    result["n_sessions"] = int(n_sessions)
    result["n_unknown_targets"] = int((target_col < 0).sum())
    result["score_seconds"] = round(seconds, 3)
    return result


def evaluate_models(
    models: dict[str, Recommender],
    train: Dataset,
    test: Dataset,
    protocol: str = "next-item",
    ks: Iterable[int] = DEFAULT_KS,
    max_sessions: int | None = None,
    fit: bool = True,
) -> dict[str, dict[str, Any]]:
    """{name: metrics} for each model, fitted on `train` first unless `fit` is False (then `fit_seconds` is 0)."""
    if protocol != "next-item":
        raise ValueError(f"protocol {protocol!r} is not supported here; known: next-item")
    results: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        started = time.perf_counter()
        if fit:
            model.fit(train)
        fit_seconds = time.perf_counter() - started
        metrics = evaluate_next_item(model, train, test, ks=ks, max_sessions=max_sessions)
        metrics["fit_seconds"] = round(fit_seconds, 3)
        results[name] = metrics
    return results


def dataset_sizes(dataset: Dataset) -> dict[str, int]:
    """Events, sessions, users and items of a dataset, for the report."""
    events = dataset.events
    return {
        "events": len(events),
        "sessions": int(len(np.unique(events.session))),
        "users": int(len(np.unique(events.user))),
        "items": int(len(np.unique(events.item[events.item >= 0]))),
    }


def _metric_columns(models: dict[str, dict[str, Any]]) -> list[str]:
    """Numeric columns in a readable order: recall, mrr, ndcg by K, the other metrics, counts, timings. hr@K is
    left out where it equals recall@K for every model (one target per query)."""
    names: list[str] = []
    for metrics in models.values():
        for key, value in metrics.items():
            if key not in names and isinstance(value, int | float) and not isinstance(value, bool):
                names.append(key)

    def same_as_recall(key: str) -> bool:
        recall = "recall@" + key.partition("@")[2]
        return key.startswith("hr@") and all(m.get(key) == m.get(recall) for m in models.values())

    def order(key: str) -> tuple[int, int, str]:
        family, _, k = key.partition("@")
        rank = {"recall": 0, "hr": 1, "mrr": 2, "ndcg": 3, "auc": 4, "gauc": 5, "coverage": 6}.get(family, 7)
        if key.startswith("n_"):
            rank = 8
        elif key.endswith("seconds"):
            rank = 9
        return (rank, int(k) if k.isdigit() else 0, key)

    return sorted((n for n in names if not same_as_recall(n)), key=order)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def write_report(out_dir: str | Path, result: dict[str, Any]) -> dict[str, Path]:
    """Write `metrics.json` ({"dataset", "protocol", "models"} only), `report.md` and `recall_at_k.png`.

    `result` holds "dataset", "protocol", "models" ({name: metrics}) and optionally "sizes" ({part: {events,
    ...}}), "seconds" (total wall time) and "notes" (a list of lines); the optional keys go to report.md only.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    models: dict[str, dict[str, Any]] = result["models"]
    paths = {"metrics": out / "metrics.json", "report": out / "report.md", "plot": out / "recall_at_k.png"}

    shaped = {"dataset": result["dataset"], "protocol": result["protocol"], "models": models}
    paths["metrics"].write_text(json.dumps(shaped, indent=2, sort_keys=False) + "\n")

    columns = _metric_columns(models)
    lines = [
        f"# Offline evaluation: {result['dataset']}",
        "",
        f"- protocol: {result['protocol']}",
    ]
    for part, sizes in (result.get("sizes") or {}).items():
        lines.append(f"- {part}: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    if result.get("seconds") is not None:
        lines.append(f"- total wall time: {result['seconds']:.1f} s")
    for note in result.get("notes") or []:
        lines.append(f"- {note}")
    lines += ["", "| model | " + " | ".join(columns) + " |", "| --- | " + " | ".join("---" for _ in columns) + " |"]
    for name, metrics in models.items():
        lines.append(f"| {name} | " + " | ".join(_cell(metrics.get(c, "")) for c in columns) + " |")
    lines.append("")
    paths["report"].write_text("\n".join(lines))

    _plot_recall(models, paths["plot"], title=f"{result['dataset']} ({result['protocol']})")
    return paths


def _plot_recall(models: dict[str, dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, metrics in models.items():
        points = sorted(
            (int(key.split("@")[1]), float(value))
            for key, value in metrics.items()
            if key.startswith("recall@") and key.split("@")[1].isdigit()
        )
        if points:
            ax.plot([k for k, _ in points], [v for _, v in points], marker="o", label=name)
    ax.set_xlabel("K")
    ax.set_ylabel("recall@K")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if models:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
