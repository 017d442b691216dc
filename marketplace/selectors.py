"""Reads of the marketplace domain. Every list of listings goes through `listing_list_active`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Q, QuerySet

from marketplace.models import CartItem, Category, Event, EventAction, Like, Listing, ListingStatus, Offer, Order


def listing_list_active(*, viewer_id: int | None = None) -> QuerySet[Listing]:
    """Listings that may be shown: active, and not the viewer's own (invariants 1 and 3), newest first."""
    queryset = Listing.objects.filter(status=ListingStatus.ACTIVE)
    if viewer_id is not None:
        queryset = queryset.exclude(seller_id=viewer_id)
    return queryset.select_related("brand", "c0", "c1", "c2").order_by("-created_at", "-pk")


def listing_search(
    *,
    viewer_id: int | None,
    query: str = "",
    category: Category | None = None,
    brand: str = "",
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    condition: int | None = None,
) -> QuerySet[Listing]:
    """Search active listings by title (trigram word similarity, so typos still match) and filters."""
    queryset = listing_list_active(viewer_id=viewer_id)
    if category is not None:
        queryset = queryset.filter(**{f"c{category.level}": category})
    if brand:
        queryset = queryset.filter(brand__name__iexact=brand.strip())
    if min_price is not None:
        queryset = queryset.filter(price__gte=min_price)
    if max_price is not None:
        queryset = queryset.filter(price__lte=max_price)
    if condition is not None:
        queryset = queryset.filter(condition=condition)
    query = " ".join(query.split())
    if query:
        queryset = (
            queryset.annotate(match=TrigramWordSimilarity(query, "title"))
            .filter(Q(title__icontains=query) | Q(match__gte=0.45))
            .order_by("-match", "-created_at", "-pk")
        )
    return queryset


def listing_get_for_page(listing_id: int) -> Listing | None:
    """A listing's own page is reachable in any status (a sold item shows "Sold"), with its relations."""
    return (
        Listing.objects.select_related("seller", "brand", "c0", "c1", "c2")
        .filter(pk=listing_id).first()
    )


def user_activity(*, user_id: int) -> dict[str, list]:
    """Everything for "my activity": likes, cart, offers, purchases and own listings, newest first."""
    return {
        "likes": list(Like.objects.filter(user_id=user_id).select_related("listing").order_by("-created_at")[:100]),
        "cart": list(CartItem.objects.filter(user_id=user_id, listing__status=ListingStatus.ACTIVE)
                     .select_related("listing").order_by("-created_at")[:100]),
        "offers": list(Offer.objects.filter(buyer_id=user_id).select_related("listing").order_by("-created_at")[:100]),
        "orders": list(Order.objects.filter(buyer_id=user_id).select_related("listing").order_by("-created_at")[:100]),
        "listings": list(Listing.objects.filter(seller_id=user_id).select_related("brand")
                         .order_by("-created_at")[:200]),
    }


def viewer_events(*, user_id: int | None, session_id: str, since: datetime) -> QuerySet[Event]:
    """One viewer's events since `since`: a signed-in user's, or an anonymous visit's (by its stored session id)."""
    queryset = Event.objects.filter(created_at__gte=since)
    if user_id is not None:
        return queryset.filter(user_id=user_id)
    if session_id:
        return queryset.filter(user__isnull=True, session_id=session_id)
    return queryset.none()


def impression_shown(*, user_id: int | None, session_id: str, request_id: str, listing_id: int,
                     since: datetime) -> Event | None:
    """The server's impression of `listing_id` in the response `request_id` to this viewer, if there was one."""
    if not request_id:
        return None
    return (viewer_events(user_id=user_id, session_id=session_id, since=since)
            .filter(request_id=request_id, listing_id=listing_id, action=EventAction.IMPRESSION).first())
