"""API throttles that fail open: the rate counters live in Redis, and a cache outage must not fail requests."""

from __future__ import annotations

import logging

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from marketplace.cache import CACHE_ERRORS
from marketplace.viewers import session_id_for

logger = logging.getLogger(__name__)


class _FailOpen:
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS:  # Redis unreachable: serve, and say so in the logs
            logger.warning("rate limiting skipped: cache unavailable", exc_info=True)
            return True


class AnonThrottle(_FailOpen, AnonRateThrottle):
    pass


class UserThrottle(_FailOpen, UserRateThrottle):
    pass


class EventsIpThrottle(_FailOpen, SimpleRateThrottle):
    """Event reports per client address, signed in or not (rate `events_ip`)."""

    scope = "events_ip"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class EventsViewerThrottle(_FailOpen, SimpleRateThrottle):
    """Event reports per viewer: the user, or an anonymous visit's session (rate `events_viewer`)."""

    scope = "events_viewer"

    def get_cache_key(self, request, view) -> str | None:
        if request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        elif request.session.session_key:
            ident = f"visit:{session_id_for(request.session.session_key)}"
        else:
            return None  # no visit yet: it has been shown nothing, so it has nothing to report (the IP bound holds)
        return self.cache_format % {"scope": self.scope, "ident": ident}
