"""The `ctr` protocol's second report: IU4Rec's Table 2 (section 5.1.3, eq. 7-9).

Every model scores the test set's impressions (clicked or not); we report AUC, GAUC (per-user AUC weighted by the
user's impressions, users with one class skipped) and RelaImpr against a base model (DIN in the paper), overall and
split into interest-unit impressions vs normal ones. The paper's IU split is by product format (an item shown on an
IU card / landing page); `split_by="surface"` takes impressions logged on the IU page (EventLog surface "iu"),
`split_by="unit"` (the default) takes impressions whose target listing belongs to an interest unit. An optional split
of listings created after a given time measures the limited-stock setting (new single-stock items, no id history),
also restricted to new listings in units whose older members sold before that time ("new_in_sold_units").
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recommender.data import ACTION_CODE, PAGE_CODE, Dataset, EventLog
from recommender.metrics import auc, gauc, rel_impr

IU_SURFACE = PAGE_CODE["iu"]  # EventLog surface code of the interest-unit landing page


def evaluate_ctr(
    models: Mapping[str, Any] | Sequence[Any],
    test_dataset: Dataset,
    *,
    history: EventLog | None = None,
    base: str = "din",
    new_items_after: float | None = None,
    split_by: str = "unit",
) -> dict[str, Any]:
    """Table 2 for `models` (name -> fitted CTR model, `predicts_impressions`, or a list named by `.name`).

    `history`: earlier events whose clicks feed the impressions' histories (e.g. the training log) in addition to
    the test set's own clicks. `base`: the model RelaImpr is measured against (None entries when it is absent).
    `new_items_after`: also report targets with `created_at >= new_items_after` ("new_items": listed after the
    training window, so no id history), the rest ("old_items"), and "new_in_sold_units": new listings whose unit had
    a member sold (a buy_comp in `history`) before `new_items_after`: the limited-stock case the unit exists for.
    `split_by`: "unit" (target in an interest unit) or "surface" (impression on the IU page) for the IU split;
    with "unit", impressions on the IU page are also reported on their own ("iu_surface").

    Returns {"impressions": {split: n}, "clicks": {split: n}, "base": name | None,
    "models": {name: {split: {"auc", "auc_ri", "gauc", "gauc_ri"}}}} with splits "overall", "interest_unit",
    "normal", "unit_in_history" / "unit_new_to_user" (the target's unit is / is not among the units of the user's
    history clicks) (+ "iu_surface" with split_by="unit"; + "new_items", "old_items", "new_in_sold_units").
    """
    named = dict(models) if isinstance(models, Mapping) else {model.name: model for model in models}
    predictions: dict[str, np.ndarray] = {}
    splits: dict[str, np.ndarray] = {}
    labels = users = None
    for name, model in named.items():
        if not model.predicts_impressions:
            raise TypeError(f"{name}: not a CTR model (no predict_impressions)")
        samples, probabilities = model.predict_impressions(test_dataset, history=history)
        if labels is None:
            labels, users = samples.label.astype(bool), samples.user
            on_iu_page = _impression_surfaces(test_dataset) == IU_SURFACE
            if len(on_iu_page) != len(labels):
                raise ValueError("impression surfaces do not line up with the samples")
            in_iu = samples.in_unit if split_by == "unit" else on_iu_page
            splits = {"overall": np.ones(len(labels), bool), "interest_unit": in_iu, "normal": ~in_iu}
            if split_by == "unit":
                splits["iu_surface"] = on_iu_page
            seen = _unit_in_history(samples)
            splits["unit_in_history"] = seen
            splits["unit_new_to_user"] = ~seen
            if new_items_after is not None:
                created = _created_at(test_dataset, samples.item_id)
                splits["new_items"] = created >= new_items_after
                splits["old_items"] = ~splits["new_items"]
                sold_units = _units_with_sales(test_dataset, history, before=new_items_after)
                target_units = _unit_of(test_dataset, samples.item_id)
                splits["new_in_sold_units"] = splits["new_items"] & np.isin(target_units, sold_units)
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
                row[f"{metric}_ri"] = (
                    rel_impr(value, reference)
                    if value is not None and reference is not None and reference != 0.5
                    else None
                )
    return {
        "split_by": split_by,
        "impressions": {split: int(mask.sum()) for split, mask in splits.items()},
        "clicks": {split: int(labels[mask].sum()) for split, mask in splits.items()},
        "base": base_name,
        "models": table,
    }


def _table2_rows(result: dict[str, Any], *, first: str, title: Any = str) -> list[list[str]]:
    """Header and one row per model: AUC / RI per split, plus GAUC / RI for the overall split (eq. 8-9)."""
    splits = list(result["impressions"])
    header = [first]
    for split in splits:
        header += [f"{title(split)} AUC", "RI"] + ([f"{title(split)} GAUC", "RI"] if split == "overall" else [])
    rows = [header]
    for name, table in result["models"].items():
        row = [name]
        for split in splits:
            row += [_fmt(table[split]["auc"]), _pct(table[split]["auc_ri"])]
            if split == "overall":
                row += [_fmt(table[split]["gauc"]), _pct(table[split]["gauc_ri"])]
        rows.append(row)
    return rows


def format_ctr_table(result: dict[str, Any]) -> str:
    """A plain-text Table 2: one row per model, AUC / RI per split and GAUC / RI overall."""
    rows = _table2_rows(result, first="model")
    header = rows[0]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(r, widths, strict=True)) for r in rows]
    counts = ", ".join(f"{s}: {n} ({result['clicks'][s]} clicks)" for s, n in result["impressions"].items())
    return "\n".join([*lines, f"impressions: {counts}"])


def _unit_in_history(samples: Any, chunk: int = 8192) -> np.ndarray:
    """(n,) bool: the target's interest unit is among the units of the user's clicks in the history window (the
    user x IU cross feature is non-zero), i.e. what the hierarchical IU sequence can match."""
    out = np.zeros(len(samples), dtype=bool)
    for first in range(0, len(samples), chunk):
        rows = np.arange(first, min(first + chunk, len(samples)))
        out[rows] = samples.batch(rows).cross_features[:, 0].numpy() > 0
    return out


def _impression_surfaces(dataset: Dataset) -> np.ndarray:
    """Surface code of each impression, in the order `build_ctr_samples` takes them (0 when not logged)."""
    events = dataset.events
    rows = np.flatnonzero((events.action == ACTION_CODE["impression"]) & (events.item >= 0))
    return np.zeros(len(rows), np.int8) if events.surface is None else np.asarray(events.surface)[rows]


def _units_with_sales(dataset: Dataset, history: EventLog | None, *, before: float) -> np.ndarray:
    """Unit ids of listings bought (buy_comp) before `before`, in `history` or the dataset's own events."""
    sold = []
    for log in (history, dataset.events):
        if log is not None:
            bought = (log.action == ACTION_CODE["buy_comp"]) & (log.item >= 0) & (log.timestamp < before)
            sold.append(log.item[bought])
    units = _unit_of(dataset, np.unique(np.concatenate(sold))) if sold else np.zeros(0, np.int64)
    return np.unique(units[units != 0])


def _unit_of(dataset: Dataset, item_ids: np.ndarray) -> np.ndarray:
    """(n,) int64 interest unit of each listing (0 = none or unknown)."""
    items = dataset.items
    if items.interest_unit is None or len(items) == 0:
        return np.zeros(len(item_ids), np.int64)
    table_ids = np.asarray(items.item_id, dtype=np.int64)
    order = np.argsort(table_ids, kind="stable")
    pos = np.minimum(np.searchsorted(table_ids[order], item_ids), len(order) - 1)
    known = table_ids[order][pos] == item_ids
    return np.where(known, np.asarray(items.interest_unit, np.int64)[order][pos], 0)


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


SPLIT_TITLES: dict[str, str] = {
    "overall": "Overall",
    "interest_unit": "Interest unit",
    "normal": "Normal item",
    "iu_surface": "IU page impressions",
    "unit_in_history": "Unit in user's clicks",
    "unit_new_to_user": "Unit new to user",
    "new_items": "New listings",
    "old_items": "Older listings",
    "new_in_sold_units": "New listings in units with sales",
}


def format_ctr_markdown(result: dict[str, Any]) -> str:
    """Table 2 as markdown: AUC / RI per split, GAUC / RI overall (eq. 8-9), then the impressions per split."""
    header, *rows = _table2_rows(result, first="Method", title=lambda split: SPLIT_TITLES.get(split, split))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "| split | impressions | clicks |", "|---|---|---|"]
    clicks = result["clicks"]
    lines += [f"| {SPLIT_TITLES.get(s, s)} | {n:,} | {clicks[s]:,} |" for s, n in result["impressions"].items()]
    return "\n".join(lines)


def ctr_report_write(
    out_dir: str | Path,
    models: Mapping[str, Any],
    train: Dataset,
    test: Dataset,
    *,
    split_time: float | None = None,
    base: str = "din",
) -> dict[str, Path]:
    """Table 2 of the CTR models among `models` (fitted on `train`) on `test`'s impressions, with the clicks of
    `train` as history, `train`'s unit statistics (counted up to the split) for every listing, and `split_time`
    (default: the first test event) as the new-listing boundary: writes
    table2.json, table2.png and a "Table 2" section appended to report.md. Returns {kind: path}."""
    ctr_models = {name: model for name, model in models.items() if model.predicts_impressions}
    if not ctr_models:
        return {}
    if split_time is None:
        split_time = float(test.events.timestamp.min()) if len(test.events) else 0.0
    # Unit statistics as of the split, as the models were trained with: counts that include the test period
    # would count the very clicks being predicted.
    test = dataclasses.replace(test, unit_features=train.unit_features)
    result = evaluate_ctr(ctr_models, test, history=train.events, base=base, new_items_after=split_time)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"table2_json": out / "table2.json", "table2_png": out / "table2.png", "report": out / "report.md"}
    paths["table2_json"].write_text(json.dumps(result, indent=2) + "\n")
    section = [
        "",
        "## Table 2 layout (IU4Rec 5.1.3)",
        "",
        f"Every test impression scored once from the user's item clicks of the 30 days before it (training and test "
        f"clicks); RelaImpr (RI, eq. 9) against {result['base'] or '-'}; GAUC (eq. 8) weights each user's AUC by "
        "their impressions. Interest unit / Normal item: the shown listing belongs to an interest unit or not. "
        "IU page impressions: logged on the interest-unit landing page. Unit in user's clicks / new to user: the "
        "shown listing's unit is / is not among the units of the user's history clicks. New listings: created "
        "after the time "
        "split (no id history); New listings in units with sales: those whose unit sold a listing before it.",
        "",
        format_ctr_markdown(result),
        "",
    ]
    with paths["report"].open("a") as handle:
        handle.write("\n".join(section))
    _plot_splits(result, paths["table2_png"])
    return paths


def _plot_splits(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = [s for s in result["impressions"] if result["impressions"][s] > 0]
    names = list(result["models"])
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(1.6 * len(splits) + 2, 4))
    for i, name in enumerate(names):
        values = [result["models"][name][s]["auc"] or 0.0 for s in splits]
        ax.bar(np.arange(len(splits)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(splits)) + width * (len(names) - 1) / 2)
    ax.set_xticklabels([SPLIT_TITLES.get(s, s).replace(" ", "\n", 1) for s in splits], fontsize=8)
    low = min((result["models"][n][s]["auc"] or 1.0) for n in names for s in splits)
    ax.set_ylim(max(0.0, low - 0.05), None)
    ax.set_ylabel("AUC")
    ax.set_title("CTR AUC by split (IU4Rec Table 2 layout)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
