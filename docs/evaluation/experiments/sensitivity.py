"""The sensitivity study behind README.md: simulated returning shoppers (`demo.traffic`) under A/B and interleaving
experiments on the home rows, repeated over seeds, and how many impressions (and requests) each kind needs before
its test is significant in the treatment's direction and stays so.

    .venv/bin/python manage.py shell -c "exec(open('docs/evaluation/experiments/sensitivity.py').read()); pilot()"
    .venv/bin/python manage.py shell -c "exec(open('docs/evaluation/experiments/sensitivity.py').read()); run()"
    .venv/bin/python manage.py shell -c "exec(open('docs/evaluation/experiments/sensitivity.py').read()); analyse()"

`pilot` warms up shoppers with no experiment running and measures the ground truth (`truth`) of every arm before
any experiment is run. `run` runs each (pair, kind, seed) experiment in turn with fresh shoppers, saves its requests
(per request: viewer, time, impressions and credited clicks per arm) to `RAW`, its final results (bootstrap
intervals, sign test) and the ground truth of its shoppers at its end to `RESULTS`; `run(HEAVY_PLAN, HEAVY_USERS)`
gives the first configuration's runs (few shoppers, many sessions each), kept apart in the summary as "heavy".
`analyse` walks each run's requests in time order, finds the point from which its test stays significant in the
treatment's direction, and writes `SUMMARY` and the plot.
"""

from __future__ import annotations

import gzip
import json
import math
import statistics
import time
from collections import defaultdict
from pathlib import Path

HERE = Path("docs/evaluation/experiments")
RAW = HERE / "requests.json.gz"
RESULTS = HERE / "results.json"
SUMMARY = HERE / "summary.json"
PLOT = HERE / "sensitivity.png"
PAIRS = {  # (control, treatment)
    "clear": ({"name": "popularity", "recommender": "popularity"}, {"name": "pwprec", "recommender": "pwprec"}),
    "subtle": ({"name": "content", "recommender": "content"}, {"name": "pwprec", "recommender": "pwprec"}),
}
SEEDS = (5000, 5100, 5200, 5300, 5400)
USERS = 70  # per run: enough that each shopper has a few sessions, as in a real few-minute window
PLAN = [(pair, kind, seed + offset, minutes) for seed in SEEDS
        for pair, kind, offset, minutes in (("clear", "ab", 0, 3.0), ("clear", "interleaving", 50, 4.5))]
# The first configuration tried: 24 shoppers for 5 minutes each, so a few had 100-226 sessions (kept apart).
HEAVY_SEEDS = (4000, 4100)
HEAVY_PLAN = [(pair, kind, seed + offset, 5.0) for seed in HEAVY_SEEDS
              for pair, kind, offset in (("clear", "ab", 0), ("clear", "interleaving", 50))]
HEAVY_USERS = 24
# The one-row layout (`ExperimentLayout.ROW`): the A/B shows each arm's ranking in the one top row an interleaving
# shows, the rest of the page the same for everyone, so the two compare rankings on the same page ("row" runs,
# seeds 6000-6400; interleaving runs in between, under the same conditions).
ROW_PLAN = [("clear", "ab-row", 6000, 6.0), ("clear", "interleaving", 6050, 4.5),
            ("clear", "ab-row", 6100, 6.0), ("clear", "interleaving", 6150, 4.5),
            ("clear", "ab-row", 6200, 6.0), ("clear", "interleaving", 6250, 4.5),
            ("clear", "ab-row", 6300, 6.0), ("clear", "ab-row", 6400, 6.0)]
ROW_SEEDS = (6000, 6100, 6200, 6300, 6400)
# The same, with shoppers who differ in how readily they click (`--click-spread`, an assumption: the demo
# simulator's users all weigh not clicking alike): "spread" runs, seeds 7000-7250.
CLICK_SPREAD = 1.5
SPREAD_PLAN = [("clear", "ab-row", 7000, 6.0), ("clear", "interleaving", 7050, 4.5),
               ("clear", "ab-row", 7100, 6.0), ("clear", "interleaving", 7150, 4.5),
               ("clear", "ab-row", 7200, 6.0), ("clear", "interleaving", 7250, 4.5)]
# With the spread, an A/B's precision is bounded by how many viewers it has: one longer A/B run with 3x the shoppers
# (`run(SPREAD_WIDE_PLAN, SPREAD_WIDE_USERS, click_spread=CLICK_SPREAD)`).
SPREAD_WIDE_PLAN = [("clear", "ab-row", 7300, 12.0), ("clear", "interleaving", 7350, 12.0)]
SPREAD_WIDE_USERS = 210
SPREAD_SEEDS = (7000, 7100, 7200, 7300)
TRUTH_SHOPPERS = 30  # the ground truth of a run is measured on its first shoppers (it costs ~0.5 s a shopper)
ALPHA = 0.05
PILOT_SEED = 900
AB_METRICS = ("request_ctr", "ctr", "clicks_per_viewer")


def run(plan=PLAN, users: int = USERS, stop_at: str | None = None, click_spread: float = 0.0) -> None:
    """Each planned run: a fresh experiment, `users` new shoppers (warmed up inside the run's minutes), then stop,
    results and truth. `stop_at` ("HH:MM" UTC): no run starts that could end after it. `click_spread`: see
    `demo.traffic.shoppers.reluctance_draw` (`run(SPREAD_PLAN, click_spread=CLICK_SPREAD)`)."""
    import torch

    from demo.traffic.run import traffic_simulate
    from experiments.results import experiment_results
    from experiments.selectors import running_experiments_forget
    from experiments.services import experiment_create, experiment_start, experiment_stop

    torch.set_num_threads(1)  # a shared 2-core machine: one thread per process is faster than contention
    raw = _raw()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for pair, kind, seed, minutes in plan:
        key = f"{pair}/{kind}/{seed}"
        if key in results:
            continue
        if stop_at is not None and time.strftime("%H:%M", time.gmtime(time.time() + minutes * 60 + 60)) > stop_at:
            print("no time left for", key, flush=True)
            break
        name = f"sim-{pair[:2]}-{'ar' if kind == 'ab-row' else kind[:2]}-{seed}"
        experiment = experiment_create(name=name, surface="home_rows", kind="ab" if _is_ab(kind) else kind,
                                       arms=list(PAIRS[pair]), layout="row" if kind == "ab-row" else "",
                                       primary_metric="request_ctr" if _is_ab(kind) else "preference")
        experiment_start(experiment_id=experiment.pk)
        running_experiments_forget()
        try:
            report = traffic_simulate(users=users, minutes=minutes, seed=seed, rate=0, sell_rate=0,
                                      click_spread=click_spread)
        finally:
            experiment = experiment_stop(experiment_id=experiment.pk)
            running_experiments_forget()
        raw[key] = _requests(experiment)
        final = experiment_results(experiment=experiment).as_dict()
        final["traffic"] = {"line": report.line(), "minutes": minutes, "users": users, "seed": seed,
                            "seconds": report.seconds, "requests": report.requests, "click_spread": click_spread}
        final["truth"] = truth(seed, [arm["recommender"] for arm in PAIRS[pair]], limit=TRUTH_SHOPPERS,
                               click_spread=click_spread)
        results[key] = final
        with gzip.open(RAW, "wt") as out:
            json.dump(raw, out)
        RESULTS.write_text(json.dumps(results, indent=1, default=str))
        print(key, report.line(), json.dumps(final["truth"]["mean"]), flush=True)


def pilot(seed: int = PILOT_SEED, users: int = 40) -> dict:
    """Ground truth before any experiment: `users` shoppers warmed up (no sessions, no experiment running), then
    every arm's truth for them."""
    from demo.traffic.run import traffic_simulate

    report = traffic_simulate(users=users, minutes=10.0, seed=seed, rate=0, max_sessions=0, sell_rate=0)
    found = truth(seed, ["popularity", "pwprec", "content"])
    found["warm_up"] = report.line()
    summary = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    summary["pilot_truth"] = found
    SUMMARY.write_text(json.dumps(summary, indent=1))
    print(json.dumps(found["mean"], indent=1))
    return found


def _raw() -> dict:
    if not RAW.exists():
        return {}
    with gzip.open(RAW, "rt") as stream:
        return json.load(stream)


def _requests(experiment) -> list[dict]:
    """Per request of the experiment: viewer, time, impressions and credited clicks of each arm (index 0, 1); a
    click is a view by the same viewer of a listing that request showed, under its request id (as results.py)."""
    from marketplace.models import Event, EventAction

    labels = [arm.label(experiment.name) for arm in experiment.arm_list]
    per: dict[str, dict] = {}
    team: dict[tuple[str, int], int] = {}
    for user_id, request_id, listing_id, label, at in Event.objects.filter(
            action=EventAction.IMPRESSION, recommender__in=labels,
            created_at__gte=experiment.started_at, created_at__lt=experiment.stopped_at,
    ).values_list("user_id", "request_id", "listing_id", "recommender", "created_at"):
        row = per.setdefault(request_id, {"user": user_id, "t": at.timestamp(), "imp": [0, 0], "clk": [0, 0]})
        row["imp"][labels.index(label)] += 1
        team[(request_id, listing_id)] = labels.index(label)
    for user_id, request_id, listing_id in Event.objects.filter(
            action=EventAction.ITEM_VIEW, request_id__in=list(per),
    ).values_list("user_id", "request_id", "listing_id").distinct():
        arm = team.get((request_id, listing_id))
        if arm is not None and per[request_id]["user"] == user_id:
            per[request_id]["clk"][arm] += 1
    return sorted(per.values(), key=lambda r: r["t"])


def truth(seed: int, recommenders: list[str], limit: int | None = None, click_spread: float = 0.0) -> dict:
    """What the shoppers of `seed` themselves prefer, under their own click model (`demo.traffic`), from their
    history now: per recommender, the chance that a page of its home rows (as served: its rows, then the popular
    row, 12 listings each, available ones only) gets a click, a shopper looking at the first 6 of each row and at
    the next row with chance 0.75 ("page": what request CTR measures), and the chance of a click on the first 6 of
    its merged ranking shown alone ("top6": what an interleaved row draws from)."""
    import random

    from django.contrib.auth import get_user_model

    from demo.traffic.run import ROW_ATTENTION, ROWS_SEEN
    from demo.traffic.shoppers import NO_CLICK, POSITION_PENALTY, Catalogue, reluctance_draw, shopper_tastes_draw
    from recommender.serving.retrieval import listing_ids_available
    from recommender.surfaces.candidates import ViewerHistory, popular_listing_ids
    from recommender.surfaces.compute import _home_rows, home_arm_ranking
    from recommender.surfaces.serve import slate_fill
    from recommender.surfaces.types import StoredRow

    catalogue = Catalogue(seed=seed).load()
    rng = random.Random(seed)  # the shoppers' tastes are the first draws of the seed (shoppers_create)

    def row_chance(shopper, ids: list[int]) -> float:
        mass = sum(math.exp(catalogue.liking(shopper, i) - POSITION_PENALTY * p) for p, i in enumerate(ids))
        return mass / (mass + math.exp(NO_CLICK + shopper.reluctance)) if ids else 0.0

    def page_chance(shopper, rows: list[list[int]]) -> float:
        stopped, unclicked = 0.0, 1.0  # P(no click and stopped above row d); P(reached row d with no click)
        for depth, ids in enumerate(rows):
            if depth:
                stopped += unclicked * (1 - ROW_ATTENTION)
                unclicked *= ROW_ATTENTION
            unclicked *= 1 - row_chance(shopper, ids[:ROWS_SEEN])
        return 1 - stopped - unclicked

    chances: dict[str, dict[str, list[float]]] = {r: {"page": [], "top6": []} for r in recommenders}
    users = get_user_model().objects.filter(username__startswith=f"sim_s{seed}_").order_by("username")[:limit]
    popular = StoredRow("home_popular", "Popular right now", "popularity", popular_listing_ids())
    for index, user in enumerate(users):
        shopper = shopper_tastes_draw(catalogue, rng, index=index, username=user.username, user_id=user.pk)
        shopper.reluctance = reluctance_draw(seed=seed, index=index, spread=click_spread)
        history = ViewerHistory.read(user.pk)
        recent = history.recent_listing_ids()
        for recommender in recommenders:
            rows = _home_rows(recommender, history, recent, {}, choices={})  # a named source reads no choice
            page, _ = slate_fill([*rows, popular], viewer_id=user.pk, k=12)
            chances[recommender]["page"].append(page_chance(shopper, [[c.pk for c in r.listings] for r in page]))
            ranking = home_arm_ranking(rows)
            available = listing_ids_available(ranking, viewer_id=user.pk)
            chances[recommender]["top6"].append(row_chance(shopper, [i for i in ranking if i in available][:6]))
    return {"shoppers": len(users),
            "mean": {r: {k: round(statistics.mean(v), 4) if v else None for k, v in c.items()}
                     for r, c in chances.items()}}


def _ratio_p(per_viewer: list[tuple[float, float]], other: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Treatment minus control of a ratio of sums over viewers (num / den), and its two-sided p by the delta
    method, viewers as the units (the same estimate as experiments.results, with a normal interval: cheap enough
    to recompute after every request)."""
    from scipy.stats import norm

    parts = []
    for rows in (other, per_viewer):
        n = len(rows)
        den = sum(d for d, _ in rows)
        if n < 2 or not den:
            return None
        value = sum(c for _, c in rows) / den
        variance = sum((c - value * d) ** 2 for d, c in rows) / (n - 1) / (n * (den / n) ** 2)
        parts.append((value, variance))
    diff = parts[1][0] - parts[0][0]
    se = math.sqrt(parts[0][1] + parts[1][1])
    return diff, (2 * norm.sf(abs(diff) / se) if se > 0 else (0.0 if diff else 1.0))


def _ab_p(per_user: dict[int, list[float]], metric: str) -> tuple[float, float] | None:
    """Per viewer: [imp, clicks, requests, clicked requests] of the arm it was in, and the arm (index 4)."""
    columns = {"request_ctr": (2, 3), "ctr": (0, 1), "clicks_per_viewer": (None, 1)}[metric]
    arms: list[list[tuple[float, float]]] = [[], []]
    for values in per_user.values():
        den = 1.0 if columns[0] is None else values[columns[0]]
        arms[int(values[4])].append((den, values[columns[1]]))
    return _ratio_p(arms[1], arms[0])


def _needed(rows: list[dict], kind: str, metric: str) -> dict:
    """The impressions and requests after which the test is, and stays, significant with the treatment ahead; the
    p-value curve (1 while the estimate points the other way); the totals."""
    from scipy.stats import binomtest

    curve: list[tuple[int, int, float]] = []
    impressions = 0
    per_user: dict[int, list[float]] = defaultdict(lambda: [0.0] * 5)
    wins = [0, 0]
    for i, row in enumerate(rows):
        impressions += sum(row["imp"])
        if _is_ab(kind):
            arm = 0 if row["imp"][0] else 1
            values = per_user[row["user"]]
            values[0] += row["imp"][arm]
            values[1] += row["clk"][arm]
            values[2] += 1
            values[3] += row["clk"][arm] > 0
            values[4] = arm
            tested = _ab_p(per_user, metric)
            p = 1.0 if tested is None or tested[0] <= 0 else tested[1]
        else:
            if row["clk"][0] != row["clk"][1]:
                wins[int(row["clk"][1] > row["clk"][0])] += 1
            decided = wins[0] + wins[1]
            p = float(binomtest(wins[1], decided, 0.5).pvalue) if decided and wins[1] > wins[0] else 1.0
        curve.append((impressions, i + 1, p))
    needed = None
    for at in reversed(curve):
        if at[2] >= ALPHA:
            break
        needed = at
    return {"impressions": needed[0] if needed else None, "requests": needed[1] if needed else None,
            "total_impressions": impressions, "total_requests": len(rows), "final_p": curve[-1][2] if curve else None,
            "curve": curve}


def analyse() -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    raw = _raw()
    results = json.loads(RESULTS.read_text())
    summary: dict = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    summary["runs"] = {}
    panels = {"main": "A/B of the whole page vs interleaving", "row": "A/B of one row vs interleaving",
              "spread": f"one row, shoppers' clicking spread (sd {CLICK_SPREAD})"}
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 5), sharey=True)
    ax_of = dict(zip(panels, axes, strict=True))
    colours = {"request_ctr": "tab:blue", "clicks_per_viewer": "tab:green", "preference": "tab:orange"}
    labelled: set[tuple[str, str]] = set()
    for key, rows in sorted(raw.items()):
        pair, kind, seed = key.split("/")
        final = results[key]
        config = _config(int(seed))
        entry: dict = {"config": config, "truth": final["truth"]["mean"], "traffic": final["traffic"]["line"]}
        for metric in AB_METRICS if _is_ab(kind) else ("preference",):
            found = _needed(rows, kind, metric)
            curve = found.pop("curve")
            entry[metric] = found
            if metric != "ctr" and config in panels:
                line = f"{'A/B' if _is_ab(kind) else 'interleaving'}: {metric}"
                ax_of[config].plot([c[0] for c in curve], [c[2] for c in curve], color=colours[metric], alpha=0.6,
                                   label=line if (config, line) not in labelled else None)
                labelled.add((config, line))
        control, treatment = final["arms"]
        if _is_ab(kind):
            entry["final"] = {metric: {"control": control["metrics"][metric], "treatment": treatment["metrics"][metric],
                                       "lift": treatment["lift"][metric]}
                              for metric in ("request_ctr", "clicks_per_impression", "clicks_per_viewer")}
            entry["final"]["sample_ratio_p"] = final["sample_ratio_p"]
        else:
            entry["final"] = final["preference"]
        summary["runs"][key] = entry
    for pair, config in ((pair, config) for pair in PAIRS for config in ("main", "heavy", "row", "spread")):
        medians = {}
        ab_kind = "ab-row" if config in ("row", "spread") else "ab"
        for kind, metric in [*((ab_kind, metric) for metric in AB_METRICS), ("interleaving", "preference")]:
            runs = [e[metric] for k, e in summary["runs"].items()
                    if k.startswith(f"{pair}/{kind}/") and e["config"] == config]
            if not runs:
                continue
            medians[f"{kind}/{metric}"] = {
                "runs": len(runs), "decided": sum(r["impressions"] is not None for r in runs),
                # a run that never decided counts as needing more than it had (infinity) in the median
                "median_impressions": _median([r["impressions"] for r in runs]),
                "median_requests": _median([r["requests"] for r in runs]),
            }
        il = medians.get("interleaving/preference")
        for metric in AB_METRICS:
            ab = medians.get(f"{ab_kind}/{metric}")
            if ab and il and il["median_impressions"] and ab["median_impressions"]:
                medians[f"ratio/{metric}"] = {
                    "impressions": ab["median_impressions"] / il["median_impressions"],
                    "requests": ab["median_requests"] / il["median_requests"] if il["median_requests"] else None}
        signal = _signals(results, [k for k, e in summary["runs"].items()
                                    if k.startswith(f"{pair}/") and e["config"] == config], ab_kind)
        if signal:
            medians["per_request_signal"] = signal
        if medians:
            summary[f"{pair}/{config}"] = medians
    for config, ax in ax_of.items():
        ax.axhline(ALPHA, color="black", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-8, 1.5)
        ax.set_xlabel("impressions logged under the experiment (one run)")
        ax.set_title(panels[config], fontsize=10)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("p-value with pwprec ahead (1 while behind)")
    fig.suptitle("pwprec vs popularity on the home rows: each run's p-value path", fontsize=11)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    SUMMARY.write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=1))
    return summary


def _signals(results: dict, keys: list[str], ab_kind: str) -> dict:
    """What one request tells each test, from the runs' final results: the z a test reaches grows as signal x
    sqrt(requests), so the requests the A/B needs over those interleaving needs is about (interleaving's signal /
    the A/B's)^2. A/B (half the requests per arm): the request CTR difference / (2 sqrt(p (1 - p))), p their mean;
    interleaving (sign test): the preference among decided requests x sqrt(the share of requests decided)."""
    ab, il = [], []
    for key in keys:
        final = results[key]
        if key.split("/")[1] == ab_kind:
            control, treatment = (arm["metrics"]["request_ctr"]["estimate"] for arm in final["arms"])
            mean = (control + treatment) / 2
            ab.append((treatment - control) / (2 * math.sqrt(mean * (1 - mean))))
        elif key.split("/")[1] == "interleaving":
            wins = final["preference"]
            decided = wins["wins_a"] + wins["wins_b"]
            il.append((wins["wins_b"] - wins["wins_a"]) / decided * math.sqrt(decided / wins["requests"]))
    if not ab or not il:
        return {}
    a, i = statistics.median(ab), statistics.median(il)
    return {"ab": round(a, 4), "interleaving": round(i, 4), "predicted_requests_ratio": round((i / a) ** 2, 2)}


def _config(seed: int) -> str:
    """"heavy" for the first configuration's runs (`HEAVY_PLAN`), "row" for the one-row layout's (`ROW_PLAN`),
    "spread" for its runs with shoppers who differ in clicking (`SPREAD_PLAN`), "main" for the study's first
    (`PLAN`)."""
    base = seed - seed % 100
    if base in SPREAD_SEEDS:
        return "spread"
    return "heavy" if base in HEAVY_SEEDS else "row" if base in ROW_SEEDS else "main"


def _is_ab(kind: str) -> bool:
    """"ab" (each arm's whole page) or "ab-row" (each arm's ranking in one row)."""
    return kind.startswith("ab")


def _median(values: list) -> float | None:
    """The median, a run that never decided counting as infinitely many; None when most never decided."""
    ordered = sorted(math.inf if v is None else v for v in values)
    middle = statistics.median(ordered) if ordered else None
    return None if middle is None or math.isinf(middle) else middle
