"""Content-Security-Policy per path: one strict policy for the site, a few sources added under named prefixes.

The base policy is `settings.CONTENT_SECURITY_POLICY` (django-csp 4); `settings.CSP_PATH_ADDITIONS` maps a path
prefix to the sources added there, so an exception (Swagger UI's CDN, the admin's inline styles) is stated once, in
settings, and never widens the storefront's policy. A view's own `@csp_update` still wins over the prefix.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def csp_additions_for_path(path: str) -> dict[str, list[str]] | None:
    """The sources added under the longest configured prefix of `path`, or None."""
    additions: dict[str, dict[str, list[str]]] = getattr(settings, "CSP_PATH_ADDITIONS", {})
    matches = [prefix for prefix in additions if path.startswith(prefix)]
    return additions[max(matches, key=len)] if matches else None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False,
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.update is None:
            parts.update = csp_additions_for_path(request.path_info)
        return parts
