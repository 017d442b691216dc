"""Offline evaluation of the ranking stage in the layout of MercadoLibre Tables 2-4 and Yandex Tables 1-2.

Protocol `rerank`: test-period queries (VIP session prefixes and homepages,
`recommender.ranking.features.ranking_queries`), each with the candidates of the retrieval sources fitted on the
training part (the same lists for every model), ranked by the model. Metrics: MRR and Recall@K of the next item,
graded nDCG@10 of the items touched within the horizon, split into queries whose target was already in the history
("seen") and the others ("not seen"), and the share of targets the candidates hold at all (the ceiling of every
re-ranker).

`ranker_ablation` trains the ranker's feature groups once and LightGBM per group subset: the ranker with and
without SCID (MercadoLibre), with and without the two-tower feature (Yandex Table 1), the two-tower with and
without fine-tuning (Table 2) and with and without context debiasing (§3.4). Django-free.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from recommender.base import Recommender
from recommender.data import Dataset
from recommender.evaluation.split import concat_events
from recommender.ranking.features import (
    BASE_FEATURES,
    SOURCES,
    Availability,
    CandidateSources,
    RankingQueries,
    ranking_queries,
)
from recommender.ranking.ranker import Ranker, RankerConfig, label_rows, train_lambdarank

KS: tuple[int, ...] = (1, 5, 10, 20)
NDCG_K = 10
DEFAULT_TEST_VIP = 3000  # test queries sampled per surface (seeded)
DEFAULT_TEST_HOME = 1500


# -- queries and metrics ---------------------------------------------------------------------------------------
def rerank_queries(
    train: Dataset, test: Dataset, *, max_vip: int | None = DEFAULT_TEST_VIP, max_home: int | None = DEFAULT_TEST_HOME,
    per_source: int = 40, horizon: int = 5, seed: int = 0,
) -> tuple[RankingQueries, list[np.ndarray]]:
    """Test-period queries and their candidates from retrieval sources fitted on `train`."""
    events = concat_events(train.events, test.events)
    queries = ranking_queries(events, since=float(test.events.timestamp.min()), max_vip=max_vip, max_home=max_home,
                              horizon=horizon, seed=seed)
    sources = CandidateSources()
    sources.fit(train)
    candidates = sources.retrieve(queries.queries, Availability(train.items, events), per_source=per_source)
    return queries, candidates


def _dcg(gains: np.ndarray) -> float:
    return float(((2.0 ** gains - 1.0) / np.log2(np.arange(2, len(gains) + 2))).sum())


def per_query_metrics(queries: RankingQueries, candidates: list[np.ndarray], scores: list[np.ndarray],
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(rank of the next item, inf when not a candidate; graded nDCG@10) per query."""
    n = len(queries)
    ranks = np.full(n, np.inf)
    ndcg = np.zeros(n)
    for i, (cands, s) in enumerate(zip(candidates, scores, strict=True)):
        ranked = cands[np.argsort(-np.asarray(s), kind="stable")]
        hit = np.flatnonzero(ranked == queries.target[i])
        if len(hit):
            ranks[i] = hit[0] + 1
        labels = queries.labels[i]
        gains = np.array([labels.get(int(c), 0) for c in ranked[:NDCG_K]], dtype=np.float64)
        ideal = _dcg(np.sort(np.array(list(labels.values()), dtype=np.float64))[::-1][:NDCG_K])
        ndcg[i] = _dcg(gains) / ideal if ideal > 0 else 0.0
    return ranks, ndcg


def ranking_metrics(queries: RankingQueries, candidates: list[np.ndarray], scores: list[np.ndarray],
                    ks: tuple[int, ...] = KS) -> dict[str, Any]:
    """MRR, recall@K (next item) and graded nDCG@10 overall, on seen and on not-seen targets, per surface."""
    n = len(queries)
    ranks, ndcg = per_query_metrics(queries, candidates, scores)
    surfaces = np.array([q.surface for q in queries.queries])
    groups = {"": np.ones(n, dtype=bool), "_seen": queries.seen, "_not_seen": ~queries.seen,
              "_vip": surfaces == "vip", "_home": surfaces == "home"}
    out: dict[str, Any] = {}
    for suffix, mask in groups.items():
        if not mask.any():
            continue
        r = ranks[mask]
        out[f"mrr{suffix}"] = float(np.mean(1.0 / r))
        for k in ks:
            if suffix in ("", "_seen", "_not_seen") or k == 10:
                out[f"recall@{k}{suffix}"] = float(np.mean(r <= k))
        out[f"ndcg@{NDCG_K}{suffix}"] = float(ndcg[mask].mean())
        out[f"n{suffix or '_queries'}"] = int(mask.sum())
    out["candidate_recall"] = float(np.mean(np.isfinite(ranks)))
    out["mean_candidates"] = float(np.mean([len(c) for c in candidates])) if candidates else 0.0
    return out


def _scores_of(model: Recommender, queries: RankingQueries, candidates: list[np.ndarray]) -> list[np.ndarray]:
    if isinstance(model, Ranker):
        out: list[np.ndarray] = []
        for s in range(0, len(queries), 256):
            out += model.score_lists(queries.queries[s : s + 256], candidates[s : s + 256])
        return out
    return [np.asarray(model.score(q, c), dtype=np.float64) if len(c) else np.zeros(0)
            for q, c in zip(queries.queries, candidates, strict=True)]


def evaluate_rerank(model: Recommender, train: Dataset, test: Dataset, *, max_queries: int | None = None,
                    seed: int = 0) -> dict[str, Any]:
    """The `rerank` protocol for one fitted model; `max_queries` caps the VIP queries (home: half as many)."""
    max_vip = DEFAULT_TEST_VIP if max_queries is None else max_queries
    queries, candidates = rerank_queries(train, test, max_vip=max_vip, max_home=max(max_vip // 2, 1), seed=seed)
    started = time.perf_counter()
    scores = _scores_of(model, queries, candidates)
    result = ranking_metrics(queries, candidates, scores)
    result["score_seconds"] = round(time.perf_counter() - started, 3)
    return result


# -- the ablation (MercadoLibre Tables 2-4, Yandex Tables 1-2) ---------------------------------------------------
VARIANTS: dict[str, tuple[str, ...]] = {
    # name -> feature groups; "tt" = the fine-tuned, debiased two-tower, "tt_pretrain" / "tt_nodebias" its ablations
    "ranker_base": ("base",),
    "base + scid": ("base", "scid"),
    "base + two_tower": ("base", "tt"),
    "base + two_tower (no fine-tuning)": ("base", "tt_pretrain"),
    "base + two_tower (no debiasing)": ("base", "tt_nodebias"),
    "ranker": ("base", "scid", "tt"),
    "ranker, two_tower without fine-tuning": ("base", "scid", "tt_pretrain"),
    "ranker, two_tower without debiasing": ("base", "scid", "tt_nodebias"),
}
GAINS: dict[str, tuple[str, str]] = {
    # name -> (with, without): relative gain of the first over the second
    "scid (ranker vs base + two_tower)": ("ranker", "base + two_tower"),
    "scid (base + scid vs ranker_base)": ("base + scid", "ranker_base"),
    "two_tower (ranker vs base + scid), Yandex Table 1": ("ranker", "base + scid"),
    "two_tower (base + two_tower vs ranker_base)": ("base + two_tower", "ranker_base"),
    "fine-tuning (ranker vs its pre-trained-only two_tower), Yandex Table 2": (
        "ranker", "ranker, two_tower without fine-tuning"),
    "context debiasing (ranker vs its undebiased two_tower)": ("ranker", "ranker, two_tower without debiasing"),
    "scid + two_tower (ranker vs ranker_base)": ("ranker", "ranker_base"),
}


def relative_gain(new: float, old: float) -> float | None:
    return None if old == 0 or not math.isfinite(old) else (new - old) / old


def ranker_ablation(
    train: Dataset, test: Dataset, *, config: RankerConfig | None = None, max_vip: int | None = DEFAULT_TEST_VIP,
    max_home: int | None = DEFAULT_TEST_HOME, log: Callable[[str], None] = print, dump: Path | None = None,
    variants: list[str] | None = None,
) -> dict[str, Any]:
    """Every variant of `VARIANTS` (or the named `variants`) trained and scored on the same queries; {"models",
    "gains", "training"}. `dump` saves the feature matrices there (npz), to study LightGBM settings without
    recomputing them."""
    chosen = {name: VARIANTS[name] for name in (variants or list(VARIANTS))}
    started_all = time.perf_counter()
    config = config or RankerConfig()
    ranker = Ranker(dataclasses.replace(config, use_scid=True, use_two_tower=False))
    events = train.events
    cut = ranker.split_time(train)
    early = Dataset(events=events.select(events.timestamp < cut), items=train.items, name=train.name,
                    unit_features=train.unit_features)
    training: dict[str, Any] = {"feature_cut": cut}
    started = time.perf_counter()
    training.update(ranker.fit_components(early))
    log(f"sources + scid fitted in {time.perf_counter() - started:.0f} s")
    pretrained, training["two_tower_pretrain"] = ranker.fit_two_tower(early, fine_tune=False)
    towers = {"tt_pretrain": pretrained}
    for name, debias in (("tt", True), ("tt_nodebias", False)):
        tower = copy.deepcopy(pretrained)
        tower.config = dataclasses.replace(tower.config, fine_tune=True, context_debiasing=debias)
        stage = tower.finetune(early, epochs=tower.config.finetune_epochs, seed=tower.config.seed + 1)
        training[f"two_tower_{name}"] = {"finetune_loss": stage["finetune_loss"],
                                         "finetune_groups": stage["finetune_groups"],
                                         "seconds": round(stage["seconds"], 1)}
        towers[name] = tower
    log(f"two-towers fitted in {time.perf_counter() - started:.0f} s")

    # the layout of `ranker.features` with three towers: each group's columns, then their per-query views
    group_names = {"base": ranker.group_names("base"), "scid": ranker.group_names("scid")}
    for name in ("tt", "tt_pretrain", "tt_nodebias"):
        group_names[name] = ranker.group_names("two_tower")
    columns, names, at = {}, [], 0
    for group, group_cols in group_names.items():
        columns[group] = list(range(at, at + len(group_cols)))
        names += group_cols
        at += len(group_cols)

    def matrix(queries: RankingQueries, candidates: list[np.ndarray]) -> np.ndarray:
        return ranker.features(queries.queries, candidates,
                               two_towers={k: towers[k] for k in ("tt", "tt_pretrain", "tt_nodebias")})

    started = time.perf_counter()
    train_q, train_c = ranker.training_queries(train)
    x_train, y_train = matrix(train_q, train_c), label_rows(train_q, train_c)
    groups = np.array([len(c) for c in train_c])
    training["train_queries"], training["train_rows"] = len(train_q), int(len(y_train))
    training["train_feature_seconds"] = round(time.perf_counter() - started, 1)
    log(f"{len(train_q)} training queries, {len(y_train)} rows, in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    test_q, test_c = rerank_queries(train, test, max_vip=max_vip, max_home=max_home, per_source=config.per_source,
                                    horizon=config.horizon, seed=config.seed)
    x_test = matrix(test_q, test_c)
    bounds = np.cumsum([0] + [len(c) for c in test_c])
    training["test_feature_seconds"] = round(time.perf_counter() - started, 1)
    log(f"{len(test_q)} test queries in {time.perf_counter() - started:.0f} s")

    if dump is not None:
        np.savez_compressed(dump, x_train=x_train, y_train=y_train, groups=groups, x_test=x_test,
                            test_sizes=np.diff(bounds), test_seen=test_q.seen, y_test=label_rows(test_q, test_c),
                            test_target=np.concatenate([c == t for c, t in zip(test_c, test_q.target, strict=True)]),
                            test_ideal=np.array([_dcg(np.sort(np.array(list(lab.values()), float))[::-1][:NDCG_K])
                                                 for lab in test_q.labels]))

    def split_scores(flat: np.ndarray) -> list[np.ndarray]:
        return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    models: dict[str, dict[str, Any]] = {}
    for source in SOURCES:  # each retrieval source's own order, for reference
        models[f"retrieval: {source}"] = ranking_metrics(
            test_q, test_c, split_scores(x_test[:, BASE_FEATURES.index(f"{source}_score")].astype(np.float64)))
    for group in ("tt", "tt_pretrain", "tt_nodebias"):  # each two-tower's cosine alone
        models[f"cosine only: {group}"] = ranking_metrics(
            test_q, test_c, split_scores(np.nan_to_num(x_test[:, columns[group][0]], nan=-2.0).astype(np.float64)))
    importance: dict[str, dict[str, float]] = {}
    per_query: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for variant, groups_used in chosen.items():
        cols = [c for g in groups_used for c in columns[g]]
        feature_names = [names[c] for c in cols]
        started = time.perf_counter()
        booster, fit_log = train_lambdarank(x_train[:, cols], y_train, groups, config, feature_names)
        scores = booster.predict(x_test[:, cols], num_threads=1)
        models[variant] = ranking_metrics(test_q, test_c, split_scores(np.asarray(scores, dtype=np.float64)))
        per_query[variant] = per_query_metrics(test_q, test_c, split_scores(np.asarray(scores, dtype=np.float64)))
        models[variant]["trees"] = fit_log["trees"]
        models[variant]["valid_ndcg@10"] = fit_log.get("valid_ndcg@10")
        models[variant]["fit_seconds"] = round(time.perf_counter() - started, 1)
        gain = booster.feature_importance(importance_type="gain")
        importance[variant] = {n: round(float(g) / max(float(gain.sum()), 1e-12), 4)
                               for n, g in sorted(zip(feature_names, gain, strict=True), key=lambda x: -x[1])[:10]}
        log(f"{variant}: ndcg@10 {models[variant]['ndcg@10']:.4f} mrr {models[variant]['mrr']:.4f}")
    gains: dict[str, dict[str, float | None]] = {}
    for name, (with_, without) in GAINS.items():
        if with_ not in models or without not in models:
            continue
        gains[name] = {metric: relative_gain(models[with_][metric], models[without][metric])
                       for metric in ("ndcg@10", "mrr", "mrr_seen", "mrr_not_seen")
                       if metric in models[with_] and metric in models[without]}
        # paired over the same queries: mean difference and its standard error, absolute units
        for metric, column, mask in (("ndcg@10", 1, None), ("mrr", 0, None), ("mrr_seen", 0, test_q.seen),
                                     ("mrr_not_seen", 0, ~test_q.seen)):
            a, b = per_query[with_][column], per_query[without][column]
            if column == 0:
                a, b = 1.0 / a, 1.0 / b
            diff = a - b if mask is None else (a - b)[mask]
            gains[name][f"{metric}_diff"] = float(diff.mean()) if len(diff) else None
            gains[name][f"{metric}_diff_se"] = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else None
    return {"models": models, "gains": gains, "training": training, "importance": importance,
            "seconds": round(time.perf_counter() - started_all, 1)}


# -- report ----------------------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}%"


def _diff(gain: dict[str, Any], metric: str) -> str:
    diff, se = gain.get(f"{metric}_diff"), gain.get(f"{metric}_diff_se")
    return "-" if diff is None else f"{diff:+.4f} ± {se:.4f}" if se is not None else f"{diff:+.4f}"


def write_ablation_report(out_dir: str | Path, result: dict[str, Any], header: list[str]) -> dict[str, Path]:
    """report.md (seen / not-seen table, gains), metrics.json and ndcg.png under `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / "metrics.json", "report": out / "report.md", "plot": out / "ranker.png"}
    paths["metrics"].write_text(json.dumps(result, indent=2, default=float) + "\n")
    models = result["models"]
    lines = ["# Ranking stage: SCID and the ranking-tuned two-tower in a LightGBM ranker", ""]
    lines += [f"- {h}" for h in header]
    columns = ("valid_ndcg@10", "mrr", "mrr_seen", "mrr_not_seen",
               "recall@5", "recall@10", "recall@20", "recall@10_seen",
               "recall@10_not_seen", "ndcg@10", "ndcg@10_vip", "ndcg@10_home")
    lines += ["", "## MRR / Recall@K / nDCG@10 on the test period (seen / not seen as MercadoLibre Tables 2-4)", "",
              "| model | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for name, metrics in models.items():
        lines.append(f"| {name} | " + " | ".join(
            f"{metrics[c]:.4f}" if isinstance(metrics.get(c), float) else "-" for c in columns) + " |")
    any_model = next(iter(models.values()))
    lines += ["", f"Queries: {any_model['n_queries']} ({any_model.get('n_vip', 0)} VIP, {any_model.get('n_home', 0)} "
              f"home); seen {any_model.get('n_seen', 0)}, not seen {any_model.get('n_not_seen', 0)}; "
              f"{any_model['mean_candidates']:.0f} candidates per query on average, holding the target for "
              f"{100 * any_model['candidate_recall']:.1f}% of the queries (the ceiling of recall).", ""]
    lines += ["## Relative gains (Yandex Table 1 / 2 style)", "",
              "| feature | nDCG@10 | MRR | MRR seen | MRR not seen | nDCG@10 diff ± s.e. | MRR diff ± s.e. | "
              "MRR seen diff ± s.e. | MRR not seen diff ± s.e. |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, gain in result["gains"].items():
        lines.append(f"| {name} | {_pct(gain.get('ndcg@10'))} | {_pct(gain.get('mrr'))} | "
                     f"{_pct(gain.get('mrr_seen'))} | {_pct(gain.get('mrr_not_seen'))} | "
                     f"{_diff(gain, 'ndcg@10')} | {_diff(gain, 'mrr')} | {_diff(gain, 'mrr_seen')} | "
                     f"{_diff(gain, 'mrr_not_seen')} |")
    lines += ["", "Relative gains: (with - without) / without on the metric above; diff ± s.e.: the mean per-query "
              "difference and its standard error over the same test queries (a gain within about two s.e. of zero "
              "is not distinguishable from noise).", ""]
    lines += ["", "## Top features by gain (share of total gain)", ""]
    for variant in ("ranker", "ranker_base"):
        top = result["importance"].get(variant, {})
        lines.append(f"- {variant}: " + ", ".join(f"{k} {v:.3f}" for k, v in top.items()))
    lines.append("")
    paths["report"].write_text("\n".join(lines))
    _plot(models, paths["plot"])
    return paths


def _plot(models: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in models if not n.startswith(("retrieval", "cosine"))]
    metrics = ("ndcg@10", "mrr_seen", "mrr_not_seen")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(metrics)
    pos = np.arange(len(names))
    for m, metric in enumerate(metrics):
        ax.bar(pos + m * width, [models[n].get(metric, 0.0) for n in names], width, label=metric)
    ax.set_xticks(pos + width, names, rotation=25, ha="right", fontsize=7)
    ax.set_title("ranker variants on the demo data (test period)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
