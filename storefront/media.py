"""Uploaded files (listing photos) under MEDIA_URL, served by Django only where settings.MEDIA_SERVE is on.

On in local settings and the demo (one process, no web server in front); off by default in production, where the
web server or object storage serves MEDIA_ROOT (docker/compose.yml turns it on for its single web container).
`django.views.static.serve` joins the path under MEDIA_ROOT safely (no `..`, no absolute paths), refuses
directory listings and answers conditional requests; it streams the file through a worker, which is fine for a
demo and a small site, not for heavy traffic.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve


def media_file(request: HttpRequest, path: str) -> HttpResponse:
    if not settings.MEDIA_SERVE:
        raise Http404("Media files are not served by this process.")
    return serve(request, path, document_root=settings.MEDIA_ROOT, show_indexes=False)
