"""Listing lifecycle: create, edit, remove, and buy (at most once, whoever races for it)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace import errors
from marketplace.cards import listing_card_forget
from marketplace.errors import ApplicationError, ConflictError, NotFoundError
from marketplace.hooks import listing_changed
from marketplace.models import (
    Brand,
    CartItem,
    Category,
    Condition,
    EventAction,
    Listing,
    ListingSource,
    ListingStatus,
    Offer,
    OfferStatus,
    Order,
    Page,
    Shipper,
)
from marketplace.services.catalog import product_id_for
from marketplace.services.events import event_record
from marketplace.services.photos import photo_reencode

TITLE_REQUIRED = "A listing needs a title."
PRICE_INVALID = "Price must be a number between 0 and 99,999,999.99 USD."
CATEGORY_NOT_LEAF = "Pick the most specific category (three levels)."
CONDITION_INVALID = "Condition must be one of: " + ", ".join(f"{c.value} ({c.label})" for c in Condition)
SHIPPER_INVALID = "Shipping must be paid by 'buyer' or 'seller'."
STATUS_TRANSITION_INVALID = "A listing cannot go from {old} to {new}."
TEXT_CONTROL_CHARACTERS = (
    "Titles and descriptions cannot contain invisible control or text-direction characters "
    "(such as U+202E, the right-to-left override)."
)
# Control characters (tab, newline and carriage return are text) and the bidirectional marks, embeddings,
# overrides and isolates: they make a title read differently from what it says ("Trojan Source").
_FORBIDDEN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# The status machine. Sold and removed are final: a single-stock item never comes back.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    ListingStatus.ACTIVE: {ListingStatus.RESERVED, ListingStatus.SOLD, ListingStatus.REMOVED},
    ListingStatus.RESERVED: {ListingStatus.ACTIVE, ListingStatus.SOLD, ListingStatus.REMOVED},
    ListingStatus.SOLD: set(),
    ListingStatus.REMOVED: set(),
}


def _clean_price(price: Decimal | float | str) -> Decimal:
    try:
        value = Decimal(str(price)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ApplicationError(PRICE_INVALID, extra={"price": str(price)}) from None
    if not value.is_finite() or value < 0 or value >= Decimal("100000000"):
        raise ApplicationError(PRICE_INVALID, extra={"price": str(price)})
    return value


def _validate_fields(*, title: str, description: str, condition: int, shipper: str) -> None:
    if not title.strip():
        raise ApplicationError(TITLE_REQUIRED)
    for name, text in (("title", title), ("description", description)):
        found = _FORBIDDEN_TEXT.search(text)
        if found:
            character = f"U+{ord(found[0]):04X}"
            raise ApplicationError(TEXT_CONTROL_CHARACTERS, extra={"field": name, "character": character})
    if condition not in Condition.values:
        raise ApplicationError(CONDITION_INVALID, extra={"condition": condition})
    if shipper not in Shipper.values:
        raise ApplicationError(SHIPPER_INVALID, extra={"shipper": shipper})


def listing_create(
    *,
    seller: AbstractBaseUser,
    title: str,
    price: Decimal | float | str,
    category: Category | None,
    brand: Brand | None = None,
    description: str = "",
    condition: int = Condition.GOOD,
    size: str = "",
    color: str = "",
    shipper: str = Shipper.SELLER,
    photo: UploadedFile | None = None,
    source: str = ListingSource.USER,
    external_id: str = "",
    created_at: datetime | None = None,
    index: bool = True,
) -> Listing:
    """Post a listing. After commit it is embedded and placed in its interest units (unless `index=False`)."""
    _validate_fields(title=title, description=description, condition=condition, shipper=shipper)
    if category is not None and category.level != 2 and source == ListingSource.USER:
        raise ApplicationError(CATEGORY_NOT_LEAF, extra={"category": category.pk})
    stored_photo = photo_reencode(photo) if photo is not None else None
    path = _category_path(category)
    listing = Listing(
        seller=seller,
        title=title.strip()[:200],
        description=description.strip(),
        price=_clean_price(price),
        c0=path[0],
        c1=path[1],
        c2=path[2],
        brand=brand,
        condition=condition,
        size=size.strip()[:40],
        color=color.strip()[:40],
        shipper=shipper,
        product_id=product_id_for(brand=brand, leaf=path[2]),
        source=source,
        external_id=external_id,
        created_at=created_at or timezone.now(),
    )
    with transaction.atomic():
        if stored_photo is not None:
            listing.photo.save(stored_photo.name, stored_photo, save=False)
        listing.save()
        if index:
            listing_changed.send(sender=Listing, listing_id=listing.pk)  # placed in units, given vectors
    return listing


def _category_path(category: Category | None) -> list[Category | None]:
    """[c0, c1, c2] for a node at any level (missing levels are None)."""
    nodes: list[Category] = []
    node = category
    while node is not None:
        nodes.append(node)
        node = node.parent
    nodes.reverse()
    return (nodes + [None, None, None])[:3]


def listing_update(*, listing: Listing, editor: AbstractBaseUser, **fields: object) -> Listing:
    """Edit a listing's text, price or attributes; only its seller may, and only while it is for sale."""
    if listing.seller_id != editor.pk:
        raise ApplicationError(errors.LISTING_NOT_OWNER, status_code=403)
    editable = {"title", "description", "price", "condition", "size", "color", "shipper"}
    unknown = set(fields) - editable
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status not in (ListingStatus.ACTIVE, ListingStatus.RESERVED):
            raise ConflictError(errors.LISTING_NOT_AVAILABLE)
        for name, value in fields.items():
            setattr(locked, name, _clean_price(value) if name == "price" else value)
        _validate_fields(title=str(locked.title), description=str(locked.description), condition=int(locked.condition),
                         shipper=str(locked.shipper))
        locked.save()
        listing_changed.send(sender=Listing, listing_id=locked.pk)
        transaction.on_commit(partial(listing_card_forget, locked.pk))  # rows show the edit from the next page on
    return locked


def listing_status_change(*, listing_id: int, new_status: str, actor: AbstractBaseUser | None = None) -> Listing:
    """Move a listing through the status machine (reserve, release, remove) under a row lock."""
    with transaction.atomic():
        listing = _lock_listing(listing_id)
        if actor is not None and listing.seller_id != actor.pk:
            raise ApplicationError(errors.LISTING_NOT_OWNER, status_code=403)
        if new_status not in ALLOWED_TRANSITIONS.get(listing.status, set()):
            raise ConflictError(STATUS_TRANSITION_INVALID.format(old=listing.status, new=new_status))
        listing.status = new_status
        listing.save(update_fields=["status", "updated_at"])
    return listing


def listing_remove(*, listing_id: int, actor: AbstractBaseUser) -> Listing:
    return listing_status_change(listing_id=listing_id, new_status=ListingStatus.REMOVED, actor=actor)


def _lock_listing(listing_id: int) -> Listing:
    try:
        return Listing.objects.select_for_update().get(pk=listing_id)
    except Listing.DoesNotExist:
        raise NotFoundError(errors.LISTING_NOT_FOUND, extra={"listing": listing_id}) from None


def listing_buy(
    *,
    listing_id: int,
    buyer: AbstractBaseUser,
    session_id: str = "",
    page: str = Page.VIP,
    bought_at: datetime | None = None,
) -> Order:
    """Sell `listing_id` to `buyer`, exactly once.

    The row lock serialises concurrent buyers: the first commits the order, every later one sees the new
    status and gets LISTING_ALREADY_SOLD. The unique `Order.listing` constraint is the last line of defence.
    """
    bought_at = bought_at or timezone.now()
    try:
        with transaction.atomic():
            listing = _lock_listing(listing_id)
            if listing.seller_id == buyer.pk:
                raise ApplicationError(errors.LISTING_OWN_PURCHASE, status_code=403)
            if listing.status == ListingStatus.SOLD:
                raise ConflictError(errors.LISTING_ALREADY_SOLD)
            if listing.status != ListingStatus.ACTIVE:
                raise ConflictError(errors.LISTING_NOT_AVAILABLE)
            order = Order.objects.create(listing=listing, buyer=buyer, price=listing.price, created_at=bought_at)
            listing.status = ListingStatus.SOLD
            listing.sold_at = bought_at
            listing.save(update_fields=["status", "sold_at", "updated_at"])
            Offer.objects.filter(listing=listing, status=OfferStatus.PENDING).update(status=OfferStatus.DECLINED)
            CartItem.objects.filter(listing=listing).delete()
            event_record(user=buyer, session_id=session_id, listing_id=listing.pk, action=EventAction.BUY_COMP,
                         page=page, created_at=bought_at)
    except IntegrityError:
        raise ConflictError(errors.LISTING_ALREADY_SOLD) from None
    return order
