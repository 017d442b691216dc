"""An experiment's results, read from the event log.

Exposure: the impressions whose `recommender` is one of the experiment's arm labels (`"<experiment>:<arm>"`),
logged between its start and its stop (or now). In an interleaved row each position carries its team's label.

Credit:
- a click is an `item_view` by the same viewer with the request id and listing of an impression (the view-item page
  copies them from the link's `?rid=`, `POST /api/events/` from the server's impression); each (request, listing)
  counts once, so a reload is not a second click;
- an add-to-cart, an offer or a purchase carries no request id: it counts for the arm of the latest impression of
  that listing to that viewer before it, when it happened inside the experiment window.

Per arm: request CTR (the share of the arm's responses, page views, with at least one credited click), and each
event per exposed viewer and per impression, with bootstrap intervals over viewers, and for every arm after the
first (the control) the difference from the control.

Request CTR is the metric for whole pages: per-impression CTR counts every listing a response logged, seen or not,
so an arm that shows more rows (most of them below where shoppers stop looking) has its clicks spread over more
impressions and looks worse even when its pages get more clicks. Per page view, each arm's responses count once.

An interleaving experiment adds the per-request preference: the arm whose positions got more clicks wins that
response; a sign test over wins and losses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import connection
from django.utils import timezone

from experiments.config import Arm
from experiments.interleaving import request_outcome
from experiments.models import Experiment
from experiments.stats import RESAMPLES, SEED, Interval, ViewerBootstrap, sample_ratio_p_value, sign_test
from marketplace.models import Event, EventAction

EVENTS = ("clicks", "carts", "offers", "purchases")
UNITS = ("impression", "viewer")
DOWNSTREAM = {EventAction.ITEM_ADD_TO_CART_TAP.value: "carts", EventAction.OFFER_MAKE.value: "offers",
              EventAction.BUY_COMP.value: "purchases"}
REQUEST_CTR = "request_ctr"  # responses with a credited click / responses shown (page views)
# metric -> (numerator, denominator): the per-viewer columns whose sums make it
METRIC_PARTS: dict[str, tuple[str, str]] = {
    REQUEST_CTR: ("clicked_requests", "requests"),
    **{f"{event}_per_{unit}": (event, unit) for event in EVENTS for unit in UNITS},
}
METRICS = tuple(METRIC_PARTS)
REQUEST_CTR_NOTE = ("Request CTR counts each page view once; per-impression CTR counts every listing a response "
                    "logged, seen or not, so it penalises an arm that shows more rows than shoppers look at.")


@dataclass
class ArmResult:
    name: str
    recommender: str
    label: str  # what its impressions carry
    viewers: int = 0
    impressions: int = 0
    requests: int = 0  # responses that showed this arm
    clicked_requests: int = 0  # of those, the ones with a credited click on this arm's listings
    counts: dict[str, int] = field(default_factory=dict)  # "clicks" -> credited clicks, ...
    metrics: dict[str, Interval] = field(default_factory=dict)  # "clicks_per_impression" -> CTR with its interval
    lift: dict[str, Interval] = field(default_factory=dict)  # metric -> this arm minus the control (not for it)

    def as_dict(self) -> dict:
        return {"name": self.name, "recommender": self.recommender, "label": self.label, "viewers": self.viewers,
                "impressions": self.impressions, "requests": self.requests,
                "clicked_requests": self.clicked_requests, "counts": self.counts,
                "metrics": {k: v.as_dict() for k, v in self.metrics.items()},
                "lift": {k: v.as_dict() for k, v in self.lift.items()}}


@dataclass
class Preference:
    """Team-draft verdicts per response: "b over a" is positive when the second arm wins more often."""

    requests: int  # interleaved responses shown
    wins_a: int
    wins_b: int
    ties: int  # clicked, evenly
    preference: Interval  # (wins_b - wins_a) / clicked responses, interval by bootstrap over viewers
    p_value: float | None  # two-sided sign test over wins_a vs wins_b

    @property
    def clicked(self) -> int:
        return self.wins_a + self.wins_b + self.ties

    def as_dict(self) -> dict:
        return {"requests": self.requests, "clicked": self.clicked, "wins_a": self.wins_a, "wins_b": self.wins_b,
                "ties": self.ties, "preference": self.preference.as_dict(), "p_value": self.p_value}


@dataclass
class ExperimentResults:
    experiment: Experiment
    window_start: datetime | None
    window_end: datetime | None
    arms: list[ArmResult]
    preference: Preference | None
    resamples: int
    seed: int
    sample_ratio_p: float | None = None  # A/B: viewers per arm vs the split (chi-square); tiny = broken assignment

    @property
    def primary_metric(self) -> str:
        return self.experiment.primary_metric

    def as_dict(self) -> dict:
        experiment = self.experiment
        return {
            "experiment": experiment.name, "surface": experiment.surface, "kind": experiment.kind,
            "layout": "row" if experiment.shows_one_row else "page",
            "state": experiment.state, "primary_metric": experiment.primary_metric,
            "window": {"start": self.window_start, "end": self.window_end},
            "arms": [arm.as_dict() for arm in self.arms],
            "preference": self.preference.as_dict() if self.preference is not None else None,
            "sample_ratio_p": self.sample_ratio_p,
            "bootstrap": {"resamples": self.resamples, "seed": self.seed, "unit": "viewer"},
        }


def interval_text(interval: Interval) -> str:
    """"0.0412 [0.0380, 0.0447]", or "-" without an estimate."""
    if interval.estimate is None:
        return "-"
    if interval.low is None or interval.high is None:
        return f"{interval.estimate:.4g}"
    return f"{interval.estimate:.4g} [{interval.low:.4g}, {interval.high:.4g}]"


_VIEWER = "COALESCE('u' || {t}.user_id::text, {t}.session_id)"
_EXPOSURES = f"""
    WITH imp AS MATERIALIZED (
        SELECT request_id, listing_id, recommender, created_at, {_VIEWER.format(t="ev")} AS viewer
        FROM {{table}} ev
        WHERE ev.action = 'impression' AND ev.recommender = ANY(%(labels)s)
          AND ev.created_at >= %(start)s AND ev.created_at < %(end)s
    )
"""
_IMPRESSIONS_SQL = _EXPOSURES + """
    SELECT viewer, recommender, count(*), count(DISTINCT request_id) FROM imp GROUP BY viewer, recommender
"""
_REQUESTS_SQL = _EXPOSURES + "SELECT count(DISTINCT (viewer, request_id)) FROM imp"
_CLICKS_SQL = _EXPOSURES + f"""
    SELECT imp.viewer, imp.request_id, imp.recommender, count(DISTINCT e.listing_id)
    FROM imp JOIN {{table}} e ON e.request_id = imp.request_id AND e.listing_id = imp.listing_id
    WHERE e.action = 'item_view' AND e.request_id <> '' AND {_VIEWER.format(t="e")} = imp.viewer
    GROUP BY imp.viewer, imp.request_id, imp.recommender
"""
_DOWNSTREAM_SQL = _EXPOSURES + f"""
    SELECT credited.viewer, credited.recommender, credited.action, count(*)
    FROM (
        SELECT DISTINCT ON (e.id) e.id, e.action, imp.viewer, imp.recommender
        FROM {{table}} e JOIN imp ON imp.listing_id = e.listing_id AND imp.viewer = {_VIEWER.format(t="e")}
                                 AND imp.created_at <= e.created_at
        WHERE e.action = ANY(%(downstream)s) AND e.created_at >= %(start)s AND e.created_at < %(end)s
        ORDER BY e.id, imp.created_at DESC
    ) credited
    GROUP BY credited.viewer, credited.recommender, credited.action
"""


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=Event._meta.db_table), params)
        return cursor.fetchall()


def experiment_results(*, experiment: Experiment, resamples: int = RESAMPLES, seed: int = SEED,
                       now: datetime | None = None) -> ExperimentResults:
    """Per-arm metrics with intervals, and for interleaving the preference (see the module docstring). A draft
    has no window and no results yet."""
    arms = experiment.arm_list
    results = [ArmResult(name=arm.name, recommender=arm.recommender, label=arm.label(experiment.name))
               for arm in arms]
    start = experiment.started_at
    end = experiment.stopped_at or now or timezone.now()
    if start is None:
        return ExperimentResults(experiment, None, None, results, None, resamples, seed)
    params = {"labels": [arm.label for arm in results], "start": start, "end": end,
              "downstream": list(DOWNSTREAM)}
    tally = _tally(arms, experiment.name, params)
    viewers = sorted(tally.viewers)
    columns = tally.columns(viewers, [arm.label for arm in results])
    bootstrap = ViewerBootstrap(columns, resamples=resamples, seed=seed)
    control = results[0].label
    for arm in results:
        exposed = columns[f"{arm.label}|viewer"]
        arm.viewers = int(exposed.sum())
        arm.impressions = int(columns[f"{arm.label}|impression"].sum())
        arm.requests = int(columns[f"{arm.label}|requests"].sum())
        arm.clicked_requests = int(columns[f"{arm.label}|clicked_requests"].sum())
        arm.counts = {event: int(columns[f"{arm.label}|{event}"].sum()) for event in EVENTS}
        for metric, (num, den) in METRIC_PARTS.items():
            arm.metrics[metric] = bootstrap.ratio(f"{arm.label}|{num}", f"{arm.label}|{den}")
            if arm.label != control:
                arm.lift[metric] = bootstrap.difference(f"{control}|{num}", f"{control}|{den}",
                                                        f"{arm.label}|{num}", f"{arm.label}|{den}")
    preference = None
    if experiment.is_interleaving:
        preference = Preference(
            requests=_rows(_REQUESTS_SQL, params)[0][0], wins_a=tally.wins[0], wins_b=tally.wins[1],
            ties=tally.ties, preference=bootstrap.ratio("preference|margin", "preference|clicked"),
            p_value=sign_test(tally.wins[1], tally.wins[0]),
        )
    sample_ratio_p = None
    if not experiment.is_interleaving:
        sample_ratio_p = sample_ratio_p_value([arm.viewers for arm in results], experiment.shares)
    return ExperimentResults(experiment, start, end, results, preference, resamples, seed, sample_ratio_p)


class _Tally:
    """Per viewer and arm label: impressions, responses, clicked responses and credited events; per viewer:
    interleaving verdicts."""

    def __init__(self) -> None:
        self.viewers: set[str] = set()
        self.counts: dict[tuple[str, str, str], int] = defaultdict(int)  # (viewer, label, what) -> n
        self.wins = [0, 0]
        self.ties = 0

    def add(self, viewer: str, label: str, what: str, n: int) -> None:
        self.viewers.add(viewer)
        self.counts[(viewer, label, what)] += n

    def columns(self, viewers: list[str], labels: list[str]) -> dict[str, np.ndarray]:
        """One array per (label, what) in `viewers` order; "<label>|viewer" is 1 for a viewer the arm exposed."""
        index = {viewer: i for i, viewer in enumerate(viewers)}
        whats = ("impression", "requests", "clicked_requests", *EVENTS)
        columns = {f"{label}|{what}": np.zeros(len(viewers)) for label in labels for what in whats}
        columns |= {"preference|margin": np.zeros(len(viewers)), "preference|clicked": np.zeros(len(viewers))}
        for (viewer, label, what), n in self.counts.items():
            columns[f"{label}|{what}"][index[viewer]] += n
        for label in labels:
            columns[f"{label}|viewer"] = (columns[f"{label}|impression"] > 0).astype(float)
        return columns


def _tally(arms: list[Arm], name: str, params: dict) -> _Tally:
    tally = _Tally()
    labels = [arm.label(name) for arm in arms]
    for viewer, label, n, requests in _rows(_IMPRESSIONS_SQL, params):
        tally.add(viewer, label, "impression", n)
        tally.add(viewer, label, "requests", requests)
    per_request: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(labels))
    for viewer, request_id, label, n in _rows(_CLICKS_SQL, params):
        tally.add(viewer, label, "clicks", n)
        tally.add(viewer, label, "clicked_requests", 1)  # one row per (viewer, request, label): n >= 1
        per_request[(viewer, request_id)][labels.index(label)] += n
    for viewer, label, action, n in _rows(_DOWNSTREAM_SQL, params):
        tally.add(viewer, label, DOWNSTREAM[action], n)
    if len(labels) == 2:
        for (viewer, _), clicks in per_request.items():
            verdict = request_outcome(clicks[0], clicks[1])
            if verdict is None:
                continue
            tally.add(viewer, "preference", "clicked", 1)
            if verdict == "tie":
                tally.ties += 1
            else:
                team = 0 if verdict == "a" else 1
                tally.wins[team] += 1
                tally.add(viewer, "preference", "margin", 1 if team == 1 else -1)
    return tally
