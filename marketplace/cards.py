"""Listing cards: what a recommendation row shows of a listing, built once and kept in Redis.

A card never decides whether a listing may be shown: the surfaces ask Postgres that for every listing of every
request (`recommender.serving.retrieval.listing_ids_available`) and then read the cards of those that may be, in
one Redis MGET. Cards are dropped when their listing is edited (`listing_card_forget`, on commit) and expire after
`CARD_SECONDS` in any case (an edit through the admin); with Redis down they are built from Postgres, one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from rest_framework import serializers

from marketplace.cache import cache_try
from marketplace.models import Condition, Listing, ListingStatus

CARD_SECONDS = 60 * 60  # edits drop a card at once (`listing_card_forget`); this bounds an edit made elsewhere
_DATETIME = serializers.DateTimeField()
_CONDITIONS = dict(Condition.choices)


def _key(listing_id: int) -> str:
    return f"marketplace:card:v1:{listing_id}"


@dataclass(frozen=True)
class _Named:
    name: str


@dataclass(frozen=True)
class _Photo:
    url: str

    def __bool__(self) -> bool:
        return bool(self.url)


class ListingCard:
    """A shown listing, with the names templates use on a `Listing` (pk, title, price, photo.url, brand.name,
    get_condition_display) and `payload(request)`, what the API returns for it (`ListingSerializer`'s fields)."""

    __slots__ = ("data",)
    status = ListingStatus.ACTIVE  # a card is only ever built for a listing just checked to be available

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"ListingCard({self.pk}, {self.title!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ListingCard) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.pk)

    pk = property(lambda self: self.data["id"])
    id = pk
    title = property(lambda self: self.data["title"])
    price = property(lambda self: Decimal(self.data["price"]))
    condition = property(lambda self: self.data["condition"])
    seller_id = property(lambda self: self.data["seller_id"])
    brand = property(lambda self: _Named(self.data["brand"]) if self.data["brand"] else None)
    photo = property(lambda self: _Photo(self.data["photo"] or ""))

    def get_condition_display(self) -> str:
        return self.data["condition_name"]

    def payload(self, *, request: Any | None) -> dict[str, Any]:
        data = {key: value for key, value in self.data.items() if key != "seller_id"}
        if data["photo"] and request is not None:
            data["photo"] = request.build_absolute_uri(data["photo"])
        return data


def _card_data(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.pk,
        "title": listing.title,
        "description": listing.description,
        "price": f"{listing.price:.2f}",
        "status": ListingStatus.ACTIVE.value,
        "brand": listing.brand.name if listing.brand_id is not None else None,
        "category": [c.name for c in listing.category_path],
        "condition": listing.condition,
        "condition_name": _CONDITIONS.get(listing.condition, ""),
        "size": listing.size,
        "color": listing.color,
        "shipper": listing.shipper,
        "product_id": listing.product_id,
        "seller": listing.seller.username,
        "seller_id": listing.seller_id,
        "photo": listing.photo.url if listing.photo else None,
        "created_at": _DATETIME.to_representation(listing.created_at),
        "sold_at": None,
    }


def listing_cards(listing_ids: list[int]) -> dict[int, ListingCard]:
    """The cards of these (available) listings: one Redis MGET, and one query for the cards not cached yet."""
    cached = cache_try(lambda: cache.get_many([_key(i) for i in listing_ids]), None)
    cards = {data["id"]: ListingCard(data) for data in (cached or {}).values()}
    return cards | _cards_build([i for i in listing_ids if i not in cards], cache_them=cached is not None)


def listing_cards_warm(listing_ids: list[int]) -> int:
    """Build and cache the cards of these listings that are not cached (workers, when they compute the slates that
    hold them, so a request finds every card it shows); returns how many were built."""
    cached = cache_try(lambda: cache.get_many([_key(i) for i in listing_ids]), None)
    if cached is None:
        return 0
    present = {data["id"] for data in cached.values()}
    return len(_cards_build([i for i in dict.fromkeys(listing_ids) if i not in present], cache_them=True))


def _cards_build(missing: list[int], *, cache_them: bool) -> dict[int, ListingCard]:
    cards: dict[int, ListingCard] = {}
    if missing:
        built = {
            listing.pk: _card_data(listing)
            for listing in Listing.objects.filter(pk__in=missing).select_related("brand", "c0", "c1", "c2", "seller")
            .only("id", "title", "description", "price", "condition", "size", "color", "shipper", "product_id",
                  "photo", "created_at", "seller_id", "seller__username", "brand__name", "c0__name", "c1__name",
                  "c2__name")
        }
        cards.update({i: ListingCard(data) for i, data in built.items()})
        if cache_them and built:
            cache_try(lambda: cache.set_many({_key(i): data for i, data in built.items()}, CARD_SECONDS), None,
                      warning="redis unavailable: listing cards not cached")
    return cards


def listing_card_forget(listing_id: int) -> None:
    """Drop a listing's cached card (after an edit): the next page builds it again."""
    cache_try(lambda: cache.delete(_key(listing_id)), None,
              warning="redis unavailable: the card of listing %s expires by itself", args=(listing_id,))
