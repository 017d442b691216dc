"""The status page: /admin/jobs/backgroundjob/ (also /admin/status/), every background job with its state,
epoch or count, metric so far and ETA, newest first; it refreshes itself every few seconds."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from jobs.models import BackgroundJob
from jobs.selectors import duration_text, job_eta_text, job_metric_text, job_progress_text, job_state_shown

STATE_COLOURS = {"queued": "#666", "running": "#1f6feb", "done": "#1a7f37", "failed": "#cf222e",
                 "interrupted": "#9a6700", "stalled": "#9a6700"}
REFRESH_SECONDS = 5


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "name", "state_shown", "stage", "progress", "metric", "eta_shown", "started_at",
                    "heartbeat", "message_short")
    list_display_links = ("id", "name")
    list_filter = ("state", "kind")
    search_fields = ("name", "message")
    list_per_page = 50
    change_list_template = "admin/jobs/backgroundjob/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):  # type: ignore[override]
        return super().changelist_view(request, {**(extra_context or {}), "refresh_seconds": REFRESH_SECONDS})

    # Jobs write their own rows: the page only reads them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BackgroundJob | None = None) -> bool:
        return False

    @admin.display(description="state", ordering="state")
    def state_shown(self, job: BackgroundJob) -> str:
        state = job_state_shown(job)
        return format_html('<strong style="color: {}">{}</strong>', STATE_COLOURS.get(state, "inherit"), state)

    @admin.display(description="progress")
    def progress(self, job: BackgroundJob) -> str:
        return job_progress_text(job) or "-"

    @admin.display(description="metric so far")
    def metric(self, job: BackgroundJob) -> str:
        return job_metric_text(job) or "-"

    @admin.display(description="ETA")
    def eta_shown(self, job: BackgroundJob) -> str:
        return job_eta_text(job) or "-"

    @admin.display(description="last report", ordering="updated_at")
    def heartbeat(self, job: BackgroundJob) -> str:
        return f"{duration_text((timezone.now() - job.updated_at).total_seconds())} ago"

    @admin.display(description="message")
    def message_short(self, job: BackgroundJob) -> str:
        return job.message if len(job.message) <= 80 else job.message[:79] + "…"
