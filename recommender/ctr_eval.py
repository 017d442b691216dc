"""Offline CTR evaluation in the layout of IU4Rec's Table 2 (section 5.1.3, eq. 7-9).

Every model scores the test set's impressions (clicked or not); we report AUC, GAUC (per-user AUC weighted by the
user's impressions, users with one class skipped) and RelaImpr against a base model (DIN in the paper), overall and
split into impressions whose target listing belongs to an interest unit vs normal listings. An optional split of
listings created after a given time measures the limited-stock setting (new single-stock items, no id history).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recommender.data import Dataset, EventLog
from recommender.metrics import auc, gauc, rel_impr


def evaluate_ctr(
    models: Mapping[str, Any] | Sequence[Any],
    test_dataset: Dataset,
    *,
    history: EventLog | None = None,
    base: str = "din",
    new_items_after: float | None = None,
) -> dict[str, Any]:
    """Table 2 for `models` (name -> fitted CTR model with `predict_impressions`, or a list named by `.name`).

    `history`: earlier events whose clicks feed the impressions' histories (e.g. the training log) in addition to
    the test set's own clicks. `base`: the model RelaImpr is measured against (None entries when it is absent).
    `new_items_after`: also report targets with `created_at >= new_items_after` ("new_items": listed after the
    training window, so no id history) and the rest ("old_items").

    Returns {"impressions": {split: n}, "clicks": {split: n}, "base": name | None,
    "models": {name: {split: {"auc", "auc_ri", "gauc", "gauc_ri"}}}} with splits "overall", "interest_unit",
    "normal" (+ "new_items", "old_items").
    """
    named = dict(models) if isinstance(models, Mapping) else {model.name: model for model in models}
    predictions: dict[str, np.ndarray] = {}
    splits: dict[str, np.ndarray] = {}
    labels = users = None
    for name, model in named.items():
        if not hasattr(model, "predict_impressions"):
            raise TypeError(f"{name}: not a CTR model (no predict_impressions)")
        samples, probabilities = model.predict_impressions(test_dataset, history=history)
        if labels is None:
            labels, users = samples.label.astype(bool), samples.user
            splits = {
                "overall": np.ones(len(labels), bool),
                "interest_unit": samples.in_unit,
                "normal": ~samples.in_unit,
            }
            if new_items_after is not None:
                created = _created_at(test_dataset, samples.item_id)
                splits["new_items"] = created >= new_items_after
                splits["old_items"] = ~splits["new_items"]
        elif len(samples) != len(labels):
            raise ValueError(f"{name}: scored {len(samples)} impressions, expected {len(labels)}")
        predictions[name] = probabilities
    assert labels is not None and users is not None, "no models to evaluate"

    table: dict[str, dict[str, dict[str, float | None]]] = {}
    for name, scores in predictions.items():
        table[name] = {}
        for split, mask in splits.items():
            table[name][split] = {
                "auc": _finite(auc(labels[mask], scores[mask])),
                "gauc": _finite(gauc(users[mask], labels[mask], scores[mask])),
            }
    base_name = base if base in table else None
    for name in table:
        for split, row in table[name].items():
            for metric in ("auc", "gauc"):
                reference = table[base_name][split][metric] if base_name else None
                value = row[metric]
                ok = value is not None and reference is not None and reference != 0.5
                row[f"{metric}_ri"] = rel_impr(value, reference) if ok else None
    return {
        "impressions": {split: int(mask.sum()) for split, mask in splits.items()},
        "clicks": {split: int(labels[mask].sum()) for split, mask in splits.items()},
        "base": base_name,
        "models": table,
    }


def format_ctr_table(result: dict[str, Any]) -> str:
    """A plain-text Table 2: one row per model, AUC / RI per split and GAUC / RI overall."""
    splits = list(result["impressions"])
    header = ["model"]
    for split in splits:
        header += [f"{split} AUC", "RI"]
        if split == "overall":
            header += ["GAUC", "RI"]
    rows = [header]
    for name, table in result["models"].items():
        row = [name]
        for split in splits:
            row += [_fmt(table[split]["auc"]), _pct(table[split]["auc_ri"])]
            if split == "overall":
                row += [_fmt(table[split]["gauc"]), _pct(table[split]["gauc_ri"])]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(r, widths, strict=True)) for r in rows]
    counts = ", ".join(f"{s}: {n} ({result['clicks'][s]} clicks)" for s, n in result["impressions"].items())
    return "\n".join([*lines, f"impressions: {counts}"])


def _created_at(dataset: Dataset, item_ids: np.ndarray) -> np.ndarray:
    table_ids = np.asarray(dataset.items.item_id, dtype=np.int64)
    order = np.argsort(table_ids, kind="stable")
    pos = np.minimum(np.searchsorted(table_ids[order], item_ids), max(len(order) - 1, 0))
    if len(order) == 0:
        return np.full(len(item_ids), -np.inf)
    known = table_ids[order][pos] == item_ids
    return np.where(known, np.asarray(dataset.items.created_at, dtype=np.float64)[order][pos], -np.inf)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}%"
