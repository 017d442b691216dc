"""The one error type for expected failures; the API and the views turn it into a 4xx with its message."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """An expected failure a user can act on ("already sold", "you cannot buy your own listing")."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = 404


class ConflictError(ApplicationError):
    """The request was valid but the world changed under it (the listing sold a moment ago)."""

    status_code = 409


# Message constants: tests assert on these, templates show them.
LISTING_ALREADY_SOLD = "Sorry, this item has already been sold."
LISTING_NOT_AVAILABLE = "This item is no longer available."
LISTING_OWN_PURCHASE = "You cannot buy your own listing."
LISTING_NOT_OWNER = "Only the seller can change this listing."
LISTING_NOT_FOUND = "Listing not found."
OFFER_OWN_LISTING = "You cannot make an offer on your own listing."
OFFER_AMOUNT_INVALID = "An offer must be a positive amount."
EVENT_LISTING_REQUIRED = "This event needs a listing."
LOGIN_REQUIRED = "Log in to do that."
LOGIN_LOCKED_OUT = "Too many failed log-ins for this account from your address. Try again in {minutes} minutes."
SERVER_ERROR = "Something went wrong on our side. Please try again later."
NOT_FOUND = "Not found."
BAD_REQUEST = "Bad request."
PERMISSION_DENIED = "You do not have permission to perform this action."
