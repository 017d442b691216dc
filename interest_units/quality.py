"""The quality report of a build (per type): coverage of active listings, unit sizes, purity of leaf category and
brand, and how much closer members are to each other than to other units' members. Free of Django."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

SIZE_BUCKETS = [(1, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 199), (200, 499), (500, None)]


def size_distribution(sizes: Sequence[int]) -> dict:
    if not len(sizes):
        return {"min": 0, "p10": 0, "median": 0, "p90": 0, "max": 0, "mean": 0.0, "histogram": {}}
    arr = np.asarray(sizes)
    histogram = {}
    for low, high in SIZE_BUCKETS:
        label = f"{low}-{high}" if high else f"{low}+"
        histogram[label] = int(((arr >= low) & (arr <= (high or arr.max()))).sum())
    return {
        "min": int(arr.min()), "p10": float(np.percentile(arr, 10)), "median": float(np.median(arr)),
        "p90": float(np.percentile(arr, 90)), "max": int(arr.max()), "mean": round(float(arr.mean()), 2),
        "histogram": histogram,
    }


def purity(labels: np.ndarray, values: Sequence[object]) -> float:
    """Size-weighted share of members carrying their unit's dominant value (None counts as a value)."""
    by_unit: dict[int, Counter] = defaultdict(Counter)
    for label, value in zip(labels, values, strict=True):
        if label >= 0:
            by_unit[int(label)][value] += 1
    total = sum(sum(c.values()) for c in by_unit.values())
    if not total:
        return 0.0
    return sum(c.most_common(1)[0][1] for c in by_unit.values()) / total


def cosine_intra_inter(labels: np.ndarray, vectors: np.ndarray) -> tuple[float, float]:
    """Mean cosine similarity of member pairs within a unit vs pairs from different units (exact, O(n d))."""
    mask = labels >= 0
    if mask.sum() < 2:
        return 0.0, 0.0
    x = vectors[mask].astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    lab = labels[mask]
    total = x.sum(axis=0)
    all_pairs_sum = float(total @ total - len(x))
    intra_sum, intra_pairs = 0.0, 0
    for label in np.unique(lab):
        part = x[lab == label]
        s = part.sum(axis=0)
        intra_sum += float(s @ s - len(part))
        intra_pairs += len(part) * (len(part) - 1)
    all_pairs = len(x) * (len(x) - 1)
    inter_pairs = all_pairs - intra_pairs
    intra = intra_sum / intra_pairs if intra_pairs else 0.0
    inter = (all_pairs_sum - intra_sum) / inter_pairs if inter_pairs else 0.0
    return round(intra, 4), round(inter, 4)


def quality_report(*, labels: np.ndarray, active: np.ndarray, leaf: Sequence[object], brand: Sequence[object],
                   text_vectors: np.ndarray, extra_vectors: np.ndarray | None = None) -> dict:
    """Count, coverage of active listings, size distribution, purity and intra- vs inter-unit similarity.

    `labels` (n,) is the unit index of each listing (-1 = none), `active` (n,) bool.
    """
    labels = np.asarray(labels)
    sizes = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.array([], dtype=np.int64)
    sizes = sizes[sizes > 0]
    n_active = int(np.asarray(active).sum())
    covered = int(((labels >= 0) & np.asarray(active)).sum())
    has_vector = np.linalg.norm(text_vectors, axis=1) > 0 if len(text_vectors) else np.zeros(len(labels), bool)
    intra, inter = (0.0, 0.0)
    if has_vector.any():
        intra, inter = cosine_intra_inter(np.where(has_vector, labels, -1), text_vectors)
    report = {
        "count": int(len(sizes)),
        "members": int((labels >= 0).sum()),
        "active_listings": n_active,
        "coverage": round(covered / n_active, 4) if n_active else 0.0,
        "sizes": size_distribution(sizes.tolist()),
        "purity_leaf_category": round(purity(labels, leaf), 4),
        "purity_brand": round(purity(labels, brand), 4),
        "text_cosine_intra": intra,
        "text_cosine_inter": inter,
    }
    if extra_vectors is not None and len(extra_vectors):
        report["image_cosine_intra"], report["image_cosine_inter"] = cosine_intra_inter(labels, extra_vectors)
    return report


def report_lines(unit_type: str, report: dict) -> list[str]:
    """The report of one type as lines a person reads in a terminal."""
    if not report.get("count"):
        return [f"{unit_type}: no units ({report.get('message', 'nothing to group')})"]
    s = report["sizes"]
    lines = [
        f"{unit_type}: {report['count']} units, {report['members']} members, coverage "
        f"{report['coverage']:.1%} of {report['active_listings']} active listings",
        f"  sizes: min {s['min']}, median {s['median']:g}, p90 {s['p90']:g}, max {s['max']}, mean {s['mean']}; "
        + ", ".join(f"{k}: {v}" for k, v in s["histogram"].items() if v),
        f"  purity: leaf category {report['purity_leaf_category']:.1%}, brand {report['purity_brand']:.1%}",
        f"  text cosine: intra {report['text_cosine_intra']:.3f} vs inter {report['text_cosine_inter']:.3f}",
    ]
    if "image_cosine_intra" in report:
        lines.append(f"  image cosine: intra {report['image_cosine_intra']:.3f} vs inter "
                     f"{report['image_cosine_inter']:.3f}")
    if report.get("ids_kept") is not None:
        lines.append(f"  ids: {report['ids_kept']} kept, {report['ids_new']} new, {report['ids_retired']} retired")
    if report.get("seconds") is not None:
        lines.append(f"  built in {report['seconds']:.1f} s")
    return lines


