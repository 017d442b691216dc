"""Who an event belongs to: the signed-in user, and a server-side id for the visit.

The session cookie is a login: an event row holding it would let anyone who reads the row act as its user. Events
therefore store a keyed hash of the session key (HMAC with the project's secret key), which groups a visit's
events and joins them to later requests of the same visit, but cannot be turned back into the cookie.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

SESSION_ID_SALT = "marketplace.viewers.session_id"
SESSION_ID_LENGTH = 40  # Django session keys are 32 characters: a stored id can never be one


def session_id_for(session_key: str) -> str:
    """The id events store for a session key ("" for none)."""
    if not session_key:
        return ""
    return salted_hmac(SESSION_ID_SALT, session_key, algorithm="sha256").hexdigest()[:SESSION_ID_LENGTH]


def viewer_session_id(request: HttpRequest) -> str:
    """The stored id of this request's visit. Creates the session of an anonymous visitor (its cookie goes out
    with the response), so that the events of one visit, and the requests it reports on, belong together. A
    signed-in API client without a session (token authentication) is known by its user alone: "" here."""
    if not request.session.session_key:
        if request.user.is_authenticated:
            return ""
        request.session.save()
    return session_id_for(request.session.session_key or "")
