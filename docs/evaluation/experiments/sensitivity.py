"""The sensitivity study behind README.md: simulated shoppers (`demo.traffic`) under A/B and interleaving
experiments on the home rows, and how many impressions each needs to reach p < 0.05 in the right direction.

    .venv/bin/python manage.py shell -c "exec(open('docs/evaluation/experiments/sensitivity.py').read()); run()"
    .venv/bin/python manage.py shell -c "exec(open('docs/evaluation/experiments/sensitivity.py').read()); analyse()"

`run` runs each (pair, kind) experiment in turn with fresh shoppers, saves every experiment's requests (per request:
its viewer, time, impressions and credited clicks per arm) to `RAW`, and its final results (bootstrap intervals,
sign test) to `RESULTS`; `analyse` splits each run's shoppers into disjoint groups (independent replicates), walks
each group's requests in time order and finds the first point from which the test stays significant in the right
direction; it writes `SUMMARY` and the plot.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

HERE = Path("docs/evaluation/experiments")
RAW = Path("/tmp/h6/sensitivity_raw.json")
RESULTS = HERE / "results.json"
SUMMARY = HERE / "summary.json"
PLOT = HERE / "sensitivity.png"
PAIRS = {  # (control, treatment): the treatment is expected to win
    "clear": ({"name": "popularity", "recommender": "popularity"}, {"name": "pwprec", "recommender": "pwprec"}),
    "subtle": ({"name": "content", "recommender": "content"}, {"name": "pwprec", "recommender": "pwprec"}),
}
PLAN = [("clear", "ab", 6.0), ("clear", "interleaving", 4.0), ("subtle", "ab", 4.0), ("subtle", "interleaving", 3.0)]
USERS = 40
GROUPS = 4  # disjoint shopper groups per run: the replicates
ALPHA = 0.05


def run(plan=PLAN, users: int = USERS, seed: int = 1000) -> None:
    import torch

    from demo.traffic.run import traffic_simulate
    from experiments.results import experiment_results
    from experiments.selectors import running_experiments_forget
    from experiments.services import experiment_create, experiment_start, experiment_stop

    torch.set_num_threads(1)  # a shared, loaded 2-core machine: one thread per process is faster than contention
    raw = json.loads(RAW.read_text()) if RAW.exists() else {}
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for n, (pair, kind, minutes) in enumerate(plan):
        name = f"sim-{pair}-{kind[:2]}-{int(time.time()) % 100000}"
        experiment = experiment_create(name=name, surface="home_rows", kind=kind, arms=list(PAIRS[pair]))
        experiment_start(experiment_id=experiment.pk)
        running_experiments_forget()
        try:
            report = traffic_simulate(users=users, minutes=minutes, seed=seed + 10 * n, rate=0, sell_rate=0)
        finally:
            experiment = experiment_stop(experiment_id=experiment.pk)
            running_experiments_forget()
        key = f"{pair}/{kind}"
        raw[key] = _requests(experiment)
        final = experiment_results(experiment=experiment).as_dict()
        final["traffic"] = {"line": report.line(), "minutes": minutes, "users": users, "seed": seed + 10 * n}
        results[key] = final
        RAW.parent.mkdir(parents=True, exist_ok=True)
        RAW.write_text(json.dumps(raw))
        RESULTS.write_text(json.dumps(results, indent=1, default=str))
        print(key, report.line(), flush=True)


def _requests(experiment) -> list[dict]:
    """Per request of the experiment: viewer, time, impressions and credited clicks of each arm (index 0, 1)."""
    from marketplace.models import Event, EventAction

    labels = [arm.label(experiment.name) for arm in experiment.arm_list]
    per: dict[str, dict] = {}
    for user_id, request_id, label, at in Event.objects.filter(
            action=EventAction.IMPRESSION, recommender__in=labels,
            created_at__gte=experiment.started_at, created_at__lt=experiment.stopped_at,
    ).values_list("user_id", "request_id", "recommender", "created_at"):
        row = per.setdefault(request_id, {"user": user_id, "t": at.timestamp(), "imp": [0, 0], "clk": [0, 0]})
        row["imp"][labels.index(label)] += 1
    for request_id, label, _listing in Event.objects.filter(
            action=EventAction.ITEM_VIEW, request_id__in=list(per), recommender__in=labels,
    ).values_list("request_id", "recommender", "listing_id").distinct():
        per[request_id]["clk"][labels.index(label)] += 1
    return sorted(per.values(), key=lambda r: r["t"])


def _group(user_id: int) -> int:
    return int(hashlib.sha256(str(user_id).encode()).hexdigest(), 16) % GROUPS


def _ab_p(per_user: dict[int, list[float]], metric: str) -> tuple[float, float] | None:
    """Treatment minus control, and its two-sided p, viewers as the units: CTR (clicks per impression, the delta
    method for each arm's ratio) or clicks per viewer (Welch)."""
    from scipy.stats import norm

    parts = []
    for arm in (0, 1):
        rows = [(v[2 * arm], v[2 * arm + 1]) for v in per_user.values() if v[2 * arm] > 0]  # (imps, clicks)
        n = len(rows)
        if n < 2:
            return None
        if metric == "ctr":
            imps = sum(r[0] for r in rows)
            value = sum(r[1] for r in rows) / imps
            var = sum((c - value * i) ** 2 for i, c in rows) / (n - 1) / (n * (imps / n) ** 2)
        else:
            value = sum(r[1] for r in rows) / n
            var = sum((c - value) ** 2 for _, c in rows) / (n - 1) / n
        parts.append((value, var))
    diff = parts[1][0] - parts[0][0]
    se = math.sqrt(parts[0][1] + parts[1][1])
    return diff, (2 * norm.sf(abs(diff) / se) if se > 0 else 1.0)


def _needed(rows: list[dict], kind: str, sign: int,
            metric: str = "ctr") -> tuple[int | None, list[tuple[int, float]], int]:
    """Impressions after which the test is, and stays, significant in the direction `sign` (+1: the treatment
    wins, -1: the control wins); the p-value curve (1 while the estimate points the other way); the total."""
    from scipy.stats import binomtest

    curve: list[tuple[int, float]] = []
    impressions = 0
    per_user: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    wins = [0, 0]
    step = max(1, len(rows) // 200)
    for i, row in enumerate(rows):
        impressions += sum(row["imp"])
        if kind == "ab":
            arm = 0 if row["imp"][0] else 1
            per_user[row["user"]][2 * arm] += row["imp"][arm]
            per_user[row["user"]][2 * arm + 1] += row["clk"][arm]
        elif row["clk"][0] != row["clk"][1]:
            wins[int(row["clk"][1] > row["clk"][0])] += 1
        if i % step and i != len(rows) - 1:
            continue
        if kind == "ab":
            tested = _ab_p(per_user, metric)
            p = 1.0 if tested is None or tested[0] * sign <= 0 else tested[1]
        else:
            decided = wins[0] + wins[1]
            p = binomtest(wins[1], decided, 0.5).pvalue if decided and (wins[1] - wins[0]) * sign > 0 else 1.0
        curve.append((impressions, float(p)))
    needed = None
    for at, p in reversed(curve):
        if p >= ALPHA:
            break
        needed = at
    return needed, curve, impressions


def ground_truth(pair: str) -> dict:
    """What the shoppers themselves prefer: the chance, under their own click model (`demo.traffic.shoppers`), that
    they click one of the first 6 listings of each arm's ranking shown alone, averaged over the interleaving run's
    shoppers (their last stored slates, available listings only)."""
    import random
    import statistics

    from django.contrib.auth import get_user_model

    from demo.traffic.shoppers import NO_CLICK, POSITION_PENALTY, Catalogue, shopper_tastes_draw
    from marketplace.models import Listing
    from recommender.surfaces.store import slate_get

    seed = json.loads(RESULTS.read_text())[f"{pair}/interleaving"]["traffic"]["seed"]
    catalogue = Catalogue(seed=seed).load()
    rng = random.Random(seed)
    likings: list[list[float]] = [[], []]
    users = get_user_model().objects.filter(username__startswith=f"sim_s{seed}_").order_by("username")
    for index, user in enumerate(users):
        shopper = shopper_tastes_draw(catalogue, rng, index=index, username=user.username, user_id=user.pk)
        slate = slate_get(f"home:{user.pk}")
        if slate is None or "interleave" not in slate.extra:
            continue
        lists = slate.extra["interleave"]
        available = set(Listing.objects.available_to(user.pk).filter(
            pk__in=[i for ids in lists for i in ids]).values_list("pk", flat=True))
        for arm, ids in enumerate(lists):
            top = [i for i in ids if i in available][:6]
            mass = sum(math.exp(catalogue.liking(shopper, i) - POSITION_PENALTY * p) for p, i in enumerate(top))
            likings[arm].append(mass / (mass + math.exp(NO_CLICK)))
    means = [statistics.mean(values) if values else None for values in likings]
    better = 1 if means[0] is not None and means[1] is not None and means[1] > means[0] else -1
    return {"shoppers": len(likings[0]), "click_chance_top6": means, "sign": better}


def analyse() -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    raw = json.loads(RAW.read_text())
    summary: dict = {"truth": {pair: ground_truth(pair) for pair in PAIRS
                               if f"{pair}/interleaving" in json.loads(RESULTS.read_text())}}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, pair in zip(axes, PAIRS, strict=True):
        sign = summary["truth"].get(pair, {}).get("sign", 1)
        for kind, metric, colour in (("ab", "ctr", "tab:blue"), ("ab", "clicks_per_viewer", "tab:green"),
                                     ("interleaving", "preference", "tab:orange")):
            rows = raw.get(f"{pair}/{kind}")
            if not rows:
                continue
            groups = defaultdict(list)
            for row in rows:
                groups[_group(row["user"])].append(row)
            found = []
            for g, group_rows in sorted(groups.items()):
                needed, curve, total = _needed(group_rows, kind, sign, metric)
                found.append({"group": g, "requests": len(group_rows), "impressions": total, "needed": needed})
                ax.plot([c[0] for c in curve], [c[1] for c in curve], color=colour, alpha=0.7,
                        label=f"{kind}: {metric}" if g == min(groups) else None)
            summary[f"{pair}/{kind}/{metric}"] = found
        ax.axhline(ALPHA, color="grey", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-6, 1.5)
        ax.set_xlabel("impressions (cumulative, one shopper group)")
        ax.set_title(f"{pair}: {PAIRS[pair][1]['name']} vs {PAIRS[pair][0]['name']} (truth: "
                     f"{PAIRS[pair][1 if sign > 0 else 0]['name']} better)")
        ax.legend()
    axes[0].set_ylabel("p-value in the true direction (1 while pointing the other way)")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    for pair in PAIRS:
        il = summary.get(f"{pair}/interleaving/preference", [])
        for metric in ("ctr", "clicks_per_viewer"):
            ab = summary.get(f"{pair}/ab/{metric}", [])
            ratios = [a["needed"] / b["needed"] for a, b in zip(ab, il, strict=False) if a["needed"] and b["needed"]]
            summary[f"{pair}/ratio/{metric}"] = {"per_group": ratios,
                                                 "median": median(ratios) if ratios else None}
    SUMMARY.write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    return summary
