"""An online experiment: on one surface, viewers split between recommenders (A/B), or every response a team-draft
interleaving of two (see `experiments.interleaving`), from start to stop, judged on one primary metric."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from experiments.config import Arm, arms_parse, experiment_arms_check, experiment_config_check, weights_normalised
from marketplace.errors import ApplicationError


class Surface(models.TextChoices):
    """Where an experiment runs (the storefront's recommendation surfaces)."""

    HOME_ROWS = "home_rows", "Home rows"
    ITEM_ROWS = "item_rows", "Item-page rows"
    UNIT_CARDS = "unit_cards", "Interest-unit cards"
    UNIT_ITEMS = "unit_items", "Interest-unit items"


# The surfaces whose serving code asks for an experiment's arms (`recommender.surfaces`); on the others an experiment
# can be defined and its results computed from the event log, but the storefront logs nothing under it yet.
SURFACES_SERVING_ARMS = (Surface.HOME_ROWS,)


class ExperimentKind(models.TextChoices):
    AB = "ab", "A/B split"
    INTERLEAVING = "interleaving", "Team-draft interleaving"


class ExperimentLayout(models.TextChoices):
    """How an experiment's arms share the home page. "page" (A/B): each arm's rows replace the page's personal rows,
    so the arms may differ in how much of the page is personal. "row": each arm's ranking (its rows merged, best
    first) in one top row, the rest of the page the same for everyone: the layout an interleaving experiment shows,
    so an A/B and an interleaving of the same pair compare rankings on the same page."""

    PAGE = "page", "Each arm's rows (A/B on the whole page)"
    ROW = "row", "One top row per response (each arm's ranking, or both merged by interleaving)"


class ExperimentState(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class PrimaryMetric(models.TextChoices):
    """Request CTR: the share of an arm's responses (page views) with a credited click, the default, since it does
    not penalise an arm for showing more rows than shoppers look at; `<event>_per_<unit>`: credited events over
    the arm's viewers or its impressions (see experiments.results)."""

    REQUEST_CTR = "request_ctr", "Request CTR (page views with a click)"
    CTR = "clicks_per_impression", "CTR (clicks per impression)"
    CLICKS_PER_VIEWER = "clicks_per_viewer", "Clicks per viewer"
    CARTS_PER_IMPRESSION = "carts_per_impression", "Add-to-carts per impression"
    CARTS_PER_VIEWER = "carts_per_viewer", "Add-to-carts per viewer"
    OFFERS_PER_IMPRESSION = "offers_per_impression", "Offers per impression"
    OFFERS_PER_VIEWER = "offers_per_viewer", "Offers per viewer"
    PURCHASES_PER_IMPRESSION = "purchases_per_impression", "Purchases per impression"
    PURCHASES_PER_VIEWER = "purchases_per_viewer", "Purchases per viewer"
    PREFERENCE = "preference", "Interleaving preference (B over A)"


def _salt() -> str:
    return secrets.token_hex(8)


class Experiment(models.Model):
    name = models.CharField(max_length=30, unique=True,
                            help_text="lower-case letters, digits, '-' and '_'; impressions log '<name>:<arm>'")
    description = models.TextField(blank=True, help_text="the hypothesis, and what would count as a win")
    surface = models.CharField(max_length=16, choices=Surface.choices)
    kind = models.CharField(max_length=16, choices=ExperimentKind.choices, default=ExperimentKind.AB)
    arms = models.JSONField(
        default=list,
        help_text='e.g. [{"name": "control", "recommender": "popularity"}, '
                  '{"name": "treatment", "recommender": "pwprec@42"}]; the first arm is the control',
    )
    weights = models.JSONField(default=list, blank=True,
                               help_text="A/B: one positive weight per arm, e.g. [50, 50]; empty: equal shares")
    salt = models.CharField(max_length=32, default=_salt,
                            help_text="hashed with the viewer's key to pick their arm; a new salt re-randomises")
    state = models.CharField(max_length=8, choices=ExperimentState.choices, default=ExperimentState.DRAFT)
    primary_metric = models.CharField(max_length=24, choices=PrimaryMetric.choices,
                                      default=PrimaryMetric.REQUEST_CTR)
    layout = models.CharField(max_length=8, choices=ExperimentLayout.choices, blank=True, default="",
                              help_text="home rows; empty: the kind's own (A/B: page, interleaving: row)")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Serving asks "which experiment runs on this surface?": at most one does.
            models.UniqueConstraint(fields=["surface"], condition=Q(state="running"),
                                    name="experiment_one_running_per_surface"),
            models.CheckConstraint(condition=Q(state__in=ExperimentState.values), name="experiment_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=ExperimentKind.values), name="experiment_kind_valid"),
            models.CheckConstraint(condition=Q(surface__in=Surface.values), name="experiment_surface_valid"),
        ]

    def __str__(self) -> str:
        layout = ", one top row" if self.shows_one_row and not self.is_interleaving else ""
        return f"{self.name} ({self.get_kind_display()}{layout} on {self.get_surface_display()}, {self.state})"

    def clean(self) -> None:
        try:
            experiment_arms_check(self.config_check())
        except ApplicationError as error:
            raise ValidationError(error.message) from None

    def config_check(self) -> list[Arm]:
        """The parsed arms; ApplicationError when the arms, split or metric do not make a valid experiment."""
        return experiment_config_check(
            name=self.name, kind=self.kind, arms=self.arms, weights=self.weights, primary_metric=self.primary_metric,
            interleaving=ExperimentKind.INTERLEAVING, preference_metric=PrimaryMetric.PREFERENCE,
            layout=self.layout, surface=self.surface, page=ExperimentLayout.PAGE, row=ExperimentLayout.ROW,
            home_rows=Surface.HOME_ROWS,
        )

    @property
    def arm_list(self) -> list[Arm]:
        return arms_parse(self.arms)

    @property
    def shares(self) -> list[float]:
        """Each arm's share of viewers (A/B), summing to 1."""
        return weights_normalised(self.weights, len(self.arms))

    @property
    def is_interleaving(self) -> bool:
        return self.kind == ExperimentKind.INTERLEAVING

    @property
    def shows_one_row(self) -> bool:
        """Whether each response shows the experiment as one top row (interleaving, or an A/B in the row layout)."""
        return self.is_interleaving or self.layout == ExperimentLayout.ROW
