"""The API's one exception handler (settings.REST_FRAMEWORK's EXCEPTION_HANDLER): ApplicationError to its 4xx."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from marketplace import errors
from marketplace.errors import ApplicationError


def exception_handler(exc: Exception, context: dict) -> Response:
    """ApplicationError -> its status and message; Django validation errors -> 400; what DRF knows as DRF does;
    anything else is logged with its traceback and answered as a JSON 500, never Django's HTML page."""
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **({"extra": exc.extra} if exc.extra else {})},
                        status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    request = context.get("request")
    # django.request is where Django itself reports unhandled exceptions (and where ADMINS mail hooks in)
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", getattr(request, "path", "?"), exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    set_rollback()
    return Response({"detail": errors.SERVER_ERROR}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
