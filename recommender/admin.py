"""Admin for the model registry (every trained or evaluated version, its metrics, and activation) and for the
serving slots' choices (which recommender serves each slot, and the evidence)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from marketplace.errors import ApplicationError
from recommender.models import ModelVersion, SurfaceChoice
from recommender.serving.versions import model_version_primary_value


def _pretty(value: object) -> str:
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', json.dumps(value, indent=2, sort_keys=True))


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name", "dataset", "created_at", "is_active", "primary_metric"]
    list_filter = ["name", "dataset", "is_active"]
    search_fields = ["name", "dataset", "checkpoint"]
    ordering = ["-created_at"]
    actions = ["activate"]
    readonly_fields = ["name", "dataset", "checkpoint", "is_active", "created_at", "primary_metric",
                       "metrics_pretty", "config_pretty", "data_window_pretty"]
    exclude = ["metrics", "config", "data_window"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from `train` and `evaluate`

    @admin.display(description="primary metric")
    def primary_metric(self, version: ModelVersion) -> str:
        protocol, metric, value = model_version_primary_value(version)
        shown = f"{value:.4f}" if isinstance(value, int | float) else "-"
        return f"{protocol} {metric} = {shown}"

    @admin.display(description="metrics")
    def metrics_pretty(self, version: ModelVersion) -> str:
        return _pretty(version.metrics)

    @admin.display(description="config")
    def config_pretty(self, version: ModelVersion) -> str:
        return _pretty(version.config)

    @admin.display(description="data window")
    def data_window_pretty(self, version: ModelVersion) -> str:
        return _pretty(version.data_window)

    @admin.action(description="Activate the selected version (serve it under its name)")
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        # Imported here: they pull in torch, which no process should load just for Django's admin autodiscovery.
        from recommender.services import model_version_activate
        from recommender.tasks import item_vectors_backfill_request

        names = list(queryset.values_list("name", flat=True))
        if len(names) != len(set(names)):
            self.message_user(request, "Select at most one version per model name.", level=messages.ERROR)
            return
        for version in queryset:
            try:
                model_version_activate(version_id=version.pk, vectors_backfill=item_vectors_backfill_request)
            except ApplicationError as error:
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                self.message_user(request, f"{version.name} #{version.pk} is now active.", level=messages.SUCCESS)


@admin.register(SurfaceChoice)
class SurfaceChoiceAdmin(admin.ModelAdmin):
    """Read-only: choices come from `train` (the evidence of one validation split each)."""

    list_display = ["slot", "winner", "metric_shown", "value", "runner_up", "forced", "decided_at"]
    readonly_fields = ["slot", "winner", "version", "protocol", "metric", "values_pretty", "dataset",
                       "data_window_pretty", "forced", "decided_at"]
    exclude = ["values", "data_window"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SurfaceChoice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SurfaceChoice | None = None) -> bool:
        return False

    @admin.display(description="metric")
    def metric_shown(self, choice: SurfaceChoice) -> str:
        return f"{choice.protocol} {choice.metric}"

    @admin.display(description="value")
    def value(self, choice: SurfaceChoice) -> str:
        return _value(choice.values.get(choice.winner))

    @admin.display(description="runner-up")
    def runner_up(self, choice: SurfaceChoice) -> str:
        others = sorted(((v, n) for n, v in choice.values.items() if n != choice.winner and v is not None),
                        reverse=True)
        return f"{others[0][1]} {_value(others[0][0])}" if others else "-"

    @admin.display(description="values")
    def values_pretty(self, choice: SurfaceChoice) -> str:
        return _pretty(choice.values)

    @admin.display(description="data window")
    def data_window_pretty(self, choice: SurfaceChoice) -> str:
        return _pretty(choice.data_window)


def _value(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "-"
