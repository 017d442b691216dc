"""Django's error handlers (handler400/403/404/500 in config/urls.py): JSON `{"detail": ...}` under /api/,
the site's plain error pages (templates/404.html, 500.html) elsewhere. DRF views answer their own errors through
storefront.api.exceptions.exception_handler; these cover what never reaches a DRF view (an unknown /api/ path, a
failure in a middleware)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from marketplace import errors
from storefront.api.nul_bytes import API_PREFIX


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": errors.BAD_REQUEST}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": errors.PERMISSION_DENIED}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": errors.NOT_FOUND}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": errors.SERVER_ERROR}, status=500)
    return defaults.server_error(request)
