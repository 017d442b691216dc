"""NUL bytes in REST API input are a 400, wherever they appear.

Postgres text cannot hold NUL, and a filter or field that quietly drops such a value answers something other than
what was asked. Form fields and serializer CharFields already refuse NUL; these two guards make it hold for every
query parameter and every string of a JSON body (keys included), even the ones no field reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

API_PREFIX = "/api/"
NUL = "\x00"
NUL_IN_QUERY = "Null characters are not allowed in query parameters."
NUL_IN_BODY = "Null characters are not allowed in the request body."


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class NulByteRejectingJSONParser(JSONParser):
    """DRF's JSON parser, refusing a document with a NUL in any string (an escaped "\\u0000")."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise ParseError(NUL_IN_BODY)
        return data


class ApiNulByteMiddleware:
    """Answers 400 (JSON) to an /api/ request with a NUL in a query parameter's name or value."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX) and any(
            NUL in name or any(NUL in value for value in values) for name, values in request.GET.lists()
        ):
            return JsonResponse({"detail": NUL_IN_QUERY}, status=400)
        return self.get_response(request)

