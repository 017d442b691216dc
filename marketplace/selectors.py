"""Reads of the marketplace domain. Every list of listings goes through `listing_list_active`."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.models import Listing, ListingStatus


def listing_list_active(*, viewer_id: int | None = None) -> QuerySet[Listing]:
    """Listings that may be shown: active, and not the viewer's own (invariants 1 and 3), newest first."""
    queryset = Listing.objects.filter(status=ListingStatus.ACTIVE)
    if viewer_id is not None:
        queryset = queryset.exclude(seller_id=viewer_id)
    return queryset.select_related("brand", "c0", "c1", "c2").order_by("-created_at", "-pk")
