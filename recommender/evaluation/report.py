"""The report files of an evaluation run: `metrics.json`, `report.md` and a plot (MerRec's Table 5 layout for the
`multistep` protocol)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from recommender.data import Dataset
from recommender.evaluation.multistep import LEVELS


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


def report_context_lines(result: dict[str, Any]) -> list[str]:
    """The bullet lines every report starts with: data sizes per part, wall time, the run's notes."""
    lines = [f"- {part}: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
             for part, sizes in (result.get("sizes") or {}).items()]
    if result.get("seconds") is not None:
        lines.append(f"- total wall time: {result['seconds']:.1f} s")
    return lines + [f"- {note}" for note in result.get("notes") or []]


def write_report(out_dir: str | Path, result: dict[str, Any]) -> dict[str, Path]:
    """Write `metrics.json` ({"dataset", "protocol", "models"} only), `report.md` and `recall_at_k.png` (`auc.png`
    when no model has recall@K, as under the ctr protocol).

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
        *report_context_lines(result),
    ]
    lines += ["", "| model | " + " | ".join(columns) + " |", "| --- | " + " | ".join("---" for _ in columns) + " |"]
    for name, metrics in models.items():
        lines.append(f"| {name} | " + " | ".join(_cell(metrics.get(c, "")) for c in columns) + " |")
    lines.append("")
    paths["report"].write_text("\n".join(lines))

    title = f"{result['dataset']} ({result['protocol']})"
    if any(key.startswith("recall@") for metrics in models.values() for key in metrics):
        _plot_recall(models, paths["plot"], title=title)
    else:  # ctr: no ranked lists, a bar per model and AUC-family metric instead
        paths["plot"] = out / "auc.png"
        _plot_auc(models, paths["plot"], title=title)
    if result["protocol"] == "multistep":  # report.md in Table 5's layout instead of one very wide table
        paths.update(write_table5_report(out, result))
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


def _plot_auc(models: dict[str, dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("auc", "gauc")
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.8 / len(metrics)
    positions = np.arange(len(models))
    for m, metric in enumerate(metrics):
        values = [models[name].get(metric) for name in models]
        ax.bar(positions + m * width, [v if isinstance(v, int | float) else 0.0 for v in values], width, label=metric)
    ax.set_xticks(positions + width * (len(metrics) - 1) / 2, list(models))
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set_ylim(0.0, 1.0)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- multistep: MerRec Table 5 ------------------------------------------------------------------------------------
HEADLINE = (
    ("recall@20", "step-1 Recall@20"), ("ndcg@20", "step-1 nDCG@20"), ("step4/recall@20", "step-4 Recall@20"),
    ("step1/category/recall@20", "category R@20"), ("step1/brand/recall@20", "brand R@20"),
    ("diversity@20", "categories in row (20)"), ("merged/recall@20", "row recall (4 steps)"),
    ("new_items@20", "new listings in row"), ("fit_seconds", "fit s"),
)  # fmt: skip


def _number(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "-"
    return f"{value:.4f}" if abs(value) < 100 else f"{value:.0f}"


def write_table5_report(out_dir: Path, result: dict[str, Any], n_steps: int = 4) -> dict[str, Path]:
    """`report.md` in Table 5's layout (every model: level x step -> nDCG@5/20, Recall@5/20) after a headline
    table, and `recall_by_step.png` (Recall@20 per step and level, categories in the served row)."""
    models: dict[str, dict[str, Any]] = result["models"]
    lines = [f"# Mercatran offline evaluation (MerRec Table 5 layout): {result['dataset']}", ""]
    lines.append(f"- protocol: {result['protocol']} (per user: the last {n_steps} interactions of the test period "
                 "are the truth, up to 22 before them the input; the pool is every true item)")
    lines += report_context_lines(result)
    any_model = next(iter(models.values()), {})
    lines.append(f"- sequences: {_number(any_model.get('sequences'))}, pool: {_number(any_model.get('pool'))} listings")
    lines += [
        "- a model with one vector (Mercatran V1, the baselines' one ranking) searches with it for every step; the "
        "served row merges the per-step top 20s round-robin, and diversity / new listings are measured on it",
        "", "## Headline", "",
        "| model | " + " | ".join(label for _, label in HEADLINE) + " |",
        "| --- | " + " | ".join("---" for _ in HEADLINE) + " |",
    ]
    for name, metrics in models.items():
        lines.append(f"| {name} | " + " | ".join(_number(metrics.get(key)) for key, _ in HEADLINE) + " |")
    for name, metrics in models.items():
        lines += ["", f"## {name}", "",
                  "| level | step | nDCG@5 | nDCG@20 | Recall@5 | Recall@20 | categories in top 20 |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for level in LEVELS:
            for s in range(1, n_steps + 1):
                prefix = f"step{s}" if level == "item" else f"step{s}/{level}"
                cells = [_number(metrics.get(f"{prefix}/{m}")) for m in ("ndcg@5", "ndcg@20", "recall@5", "recall@20")]
                diversity = _number(metrics.get(f"step{s}/diversity@20")) if level == "item" else ""
                lines.append(f"| {level if s == 1 else ''} | {s} | " + " | ".join(cells) + f" | {diversity} |")
    lines.append("")
    paths = {"report": out_dir / "report.md", "steps_plot": out_dir / "recall_by_step.png"}
    paths["report"].write_text("\n".join(lines))
    _plot_steps(models, paths["steps_plot"], n_steps, title=f"{result['dataset']} ({result['protocol']})")
    return paths


def _plot_steps(models: dict[str, dict[str, Any]], path: Path, n_steps: int, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(LEVELS) + 1, figsize=(16, 4))
    steps = np.arange(1, n_steps + 1)
    for ax, level in zip(axes, LEVELS, strict=False):
        for name, metrics in models.items():
            keys = [f"step{s}/recall@20" if level == "item" else f"step{s}/{level}/recall@20" for s in steps]
            values = [metrics.get(k) for k in keys]
            if all(isinstance(v, int | float) for v in values):
                ax.plot(steps, values, marker="o", label=name)
        ax.set_title(f"{level} Recall@20")
        ax.set_xlabel("predicted step")
        ax.set_xticks(steps)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    names = list(models)
    axes[-1].bar(names, [float(models[n].get("diversity@20") or 0.0) for n in names])
    axes[-1].set_title("distinct categories in the served top 20")
    axes[-1].tick_params(axis="x", rotation=45)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
