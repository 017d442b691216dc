"""Storefront pages (server-rendered). Views stay thin: selectors read, services write."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace.selectors import listing_list_active


def home(request: HttpRequest) -> HttpResponse:
    viewer_id = request.user.pk if request.user.is_authenticated else None
    listings = listing_list_active(viewer_id=viewer_id)[:48]
    return render(request, "marketplace/home.html", {"listings": listings})
