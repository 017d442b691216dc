"""A buyer's interactions with a listing: likes, cart, offers. Each also records its MerRec event."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from marketplace import errors
from marketplace.errors import ApplicationError, ConflictError, NotFoundError
from marketplace.models import CartItem, EventAction, Like, Listing, ListingStatus, Offer, Page
from marketplace.services.events import event_record


def _available_listing(listing_id: int) -> Listing:
    listing = Listing.objects.filter(pk=listing_id).first()
    if listing is None:
        raise NotFoundError(errors.LISTING_NOT_FOUND, extra={"listing": listing_id})
    if listing.status != ListingStatus.ACTIVE:
        raise ConflictError(errors.LISTING_NOT_AVAILABLE)
    return listing


def like_set(*, user: AbstractBaseUser, listing_id: int, liked: bool, session_id: str = "",
             page: str = Page.VIP) -> bool:
    """Like or unlike; returns whether the listing is now liked. Liking records `item_like`."""
    with transaction.atomic():
        if not liked:
            Like.objects.filter(user=user, listing_id=listing_id).delete()
            return False
        listing = _available_listing(listing_id)
        _, created = Like.objects.get_or_create(user=user, listing=listing)
        if created:
            event_record(user=user, session_id=session_id, listing_id=listing.pk, action=EventAction.ITEM_LIKE,
                         page=page)
    return True


def cart_set(*, user: AbstractBaseUser, listing_id: int, in_cart: bool, session_id: str = "",
             page: str = Page.VIP) -> bool:
    """Add to or remove from the cart; adding records `item_add_to_cart_tap`."""
    with transaction.atomic():
        if not in_cart:
            CartItem.objects.filter(user=user, listing_id=listing_id).delete()
            return False
        listing = _available_listing(listing_id)
        if listing.seller_id == user.pk:
            raise ApplicationError(errors.LISTING_OWN_PURCHASE, status_code=403)
        _, created = CartItem.objects.get_or_create(user=user, listing=listing)
        if created:
            event_record(user=user, session_id=session_id, listing_id=listing.pk,
                         action=EventAction.ITEM_ADD_TO_CART_TAP, page=page)
    return True


def offer_make(*, buyer: AbstractBaseUser, listing_id: int, amount: Decimal | str | float, session_id: str = "",
               page: str = Page.VIP) -> Offer:
    """Propose a price to the seller; records `offer_make`."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ApplicationError(errors.OFFER_AMOUNT_INVALID) from None
    if not value.is_finite() or value <= 0 or value >= Decimal("100000000"):
        raise ApplicationError(errors.OFFER_AMOUNT_INVALID)
    with transaction.atomic():
        listing = _available_listing(listing_id)
        if listing.seller_id == buyer.pk:
            raise ApplicationError(errors.OFFER_OWN_LISTING, status_code=403)
        offer = Offer.objects.create(buyer=buyer, listing=listing, amount=value, created_at=timezone.now())
        event_record(user=buyer, session_id=session_id, listing_id=listing.pk, action=EventAction.OFFER_MAKE,
                     page=page)
    return offer
