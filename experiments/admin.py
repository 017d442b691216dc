"""Admin: experiments listed with their state, start / stop actions, and a results page with plots."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from experiments.charts import interval_chart_svg
from experiments.config import EXPERIMENT_SURFACE_NOT_SERVED
from experiments.models import SURFACES_SERVING_ARMS, Experiment, ExperimentState, PrimaryMetric
from experiments.results import METRICS, REQUEST_CTR_NOTE, experiment_results, interval_text
from experiments.services import experiment_start, experiment_stop
from marketplace.errors import ApplicationError

# What the assignment depends on: fixed once an experiment has started, or viewers would change arms mid-way.
FROZEN_WHEN_STARTED = ["name", "surface", "kind", "layout", "arms", "weights", "salt", "primary_metric"]
METRIC_LABELS = dict(PrimaryMetric.choices)


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "surface", "kind", "state", "arms_shown", "primary_metric", "started_at", "stopped_at",
                    "results_link"]
    list_filter = ["state", "surface", "kind"]
    search_fields = ["name", "description"]
    actions = ["start", "stop"]
    fields = ["name", "description", "surface", "kind", "layout", "arms", "weights", "salt", "primary_metric", "state",
              "started_at", "stopped_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Experiment | None = None) -> list[str]:
        always = ["state", "started_at", "stopped_at"]  # changed by the start / stop actions only
        if obj is not None and obj.state != ExperimentState.DRAFT:
            return FROZEN_WHEN_STARTED + always
        return always

    def get_urls(self):  # type: ignore[no-untyped-def]
        results = path("<int:experiment_id>/results/", self.admin_site.admin_view(self.results_view),
                       name="experiments_experiment_results")
        return [results, *super().get_urls()]

    @admin.display(description="arms")
    def arms_shown(self, experiment: Experiment) -> str:
        try:
            arms = experiment.arm_list
        except ApplicationError:
            return "(invalid)"
        if experiment.is_interleaving:
            return " vs ".join(f"{arm.name}={arm.recommender}" for arm in arms)
        return ", ".join(f"{arm.name}={arm.recommender} ({share:.0%})"
                         for arm, share in zip(arms, experiment.shares, strict=False))

    @admin.display(description="results")
    def results_link(self, experiment: Experiment) -> str:
        if experiment.state == ExperimentState.DRAFT:
            return "-"
        return format_html('<a href="{}">results</a>',
                           reverse("admin:experiments_experiment_results", args=[experiment.pk]))

    @admin.action(description="Start the selected experiments")
    def start(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        self._each(request, queryset, experiment_start, "started")
        for experiment in queryset.filter(state=ExperimentState.RUNNING).exclude(surface__in=SURFACES_SERVING_ARMS):
            self.message_user(request, EXPERIMENT_SURFACE_NOT_SERVED.format(
                name=experiment.name, surface=experiment.get_surface_display().lower()), level=messages.WARNING)

    @admin.action(description="Stop the selected experiments")
    def stop(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        self._each(request, queryset, experiment_stop, "stopped")

    def _each(self, request: HttpRequest, queryset: QuerySet[Experiment], service, done: str) -> None:  # type: ignore[no-untyped-def]
        for experiment in queryset:
            try:
                service(experiment_id=experiment.pk)
            except ApplicationError as error:
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                self.message_user(request, f"{experiment.name} {done}.", level=messages.SUCCESS)

    def results_view(self, request: HttpRequest, experiment_id: int) -> HttpResponse:
        experiment = get_object_or_404(Experiment, pk=experiment_id)
        if not self.has_view_permission(request, experiment):
            return HttpResponse(status=403)
        results = experiment_results(experiment=experiment)
        charts = [interval_chart_svg(METRIC_LABELS.get(metric, metric.replace("_", " ")),
                                     [(arm.name, arm.metrics[metric]) for arm in results.arms])
                  for metric in METRICS]
        primary = results.primary_metric
        lift_chart = None
        if primary in METRIC_LABELS and primary != PrimaryMetric.PREFERENCE and len(results.arms) > 1:
            lift_chart = interval_chart_svg(f"{METRIC_LABELS[primary]}: difference from {results.arms[0].name}",
                                            [(arm.name, arm.lift[primary]) for arm in results.arms[1:]],
                                            first_colour=1)
        preference_chart = None
        if results.preference is not None:
            arms = results.arms
            preference_chart = interval_chart_svg(f"Preference for {arms[1].name} over {arms[0].name}",
                                                  [("preference", results.preference.preference)])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Results of {experiment.name}",
            "experiment": experiment,
            "results": results,
            "metric_labels": [METRIC_LABELS[metric] for metric in METRICS],
            "rows": [(arm, [interval_text(arm.metrics[metric]) for metric in METRICS],
                      [interval_text(arm.lift[metric]) if metric in arm.lift else "" for metric in METRICS])
                     for arm in results.arms],
            "charts": charts,
            "lift_chart": lift_chart,
            "preference_chart": preference_chart,
            "primary_label": METRIC_LABELS.get(primary, primary),
            "request_ctr_note": REQUEST_CTR_NOTE,
        }
        return TemplateResponse(request, "admin/experiments/experiment/results.html", context)
