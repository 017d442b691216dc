"""Limit/offset pagination with stated bounds: a limit or offset outside them is a 400, never a silent clamp and
never a 500 (an offset past bigint used to reach Postgres as a DataError).

Deep offsets are bounded too: Postgres walks every skipped row, so past MAX_OFFSET a client narrows its query
with filters instead of paging further.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_LIMIT = 100
MAX_OFFSET = 10_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=1..max_limit&offset=0..max_offset`; anything else answers 400 naming the parameter."""

    max_limit = MAX_LIMIT
    max_offset = MAX_OFFSET

    def _window(self, request: Request) -> dict[str, int]:
        fields = {
            self.limit_query_param: serializers.IntegerField(min_value=1, max_value=self.max_limit),
            self.offset_query_param: serializers.IntegerField(min_value=0, max_value=self.max_offset),
        }
        window = {self.limit_query_param: self.default_limit, self.offset_query_param: 0}
        problems = {}
        for name, field in fields.items():
            if request.query_params.get(name, "") == "":
                continue
            try:
                window[name] = field.run_validation(request.query_params[name])
            except serializers.ValidationError as exc:
                problems[name] = exc.detail
        if problems:
            raise serializers.ValidationError(problems)
        return window

    def get_limit(self, request: Request) -> int:
        return self._window(request)[self.limit_query_param]

    def get_offset(self, request: Request) -> int:
        return self._window(request)[self.offset_query_param]

    def get_next_link(self) -> str | None:
        # Never link to a page the bounds would refuse.
        if self.offset + self.limit > self.max_offset:
            return None
        return super().get_next_link()

    def get_schema_operation_parameters(self, view) -> list[dict]:
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
            self.offset_query_param: {"minimum": 0, "maximum": self.max_offset, "default": 0},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
