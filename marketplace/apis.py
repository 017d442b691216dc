"""REST API of the marketplace domain, and the one exception handler that maps ApplicationError to a 4xx."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.errors import ApplicationError


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """ApplicationError -> its status and message; Django validation errors -> 400; the rest as DRF does."""
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **({"extra": exc.extra} if exc.extra else {})},
                        status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)
