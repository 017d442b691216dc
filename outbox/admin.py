"""Outbox in the admin: what is pending (waiting for its task or its lease) and what was dead-lettered."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from outbox.models import OutboxMessage
from outbox.services import outbox_message_revive


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("pending", "pending"), ("dead", "dead-lettered")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "pending":
            return queryset.filter(dead_at__isnull=True)
        if self.value() == "dead":
            return queryset.filter(dead_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "args", "state", "attempts", "created_at", "available_at", "short_error"]
    list_filter = [StateFilter, "task"]
    search_fields = ["task", "last_error"]
    ordering = ["-created_at"]
    readonly_fields = ["task", "args", "created_at", "available_at", "attempts", "last_error", "dead_at"]
    actions = ["revive"]

    @admin.display(description="state")
    def state(self, message: OutboxMessage) -> str:
        return "dead" if message.is_dead else "pending"

    @admin.display(description="last error")
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:120]

    @admin.action(description="Send again (reset attempts; the next drain sends them)")
    def revive(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = outbox_message_revive(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} message(s) will be sent by the next drain.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
