"""What the recommender does when the marketplace announces a change (`marketplace.hooks`; connected in
`RecommenderConfig.ready`, after the interest units' receivers)."""

from __future__ import annotations

from marketplace.background import enqueue_on_commit
from marketplace.models import INTEREST_ACTIONS, Event


def listing_vectors_enqueue(*, listing_id: int, **kwargs: object) -> None:
    """A new or edited listing gets its vectors in the served models' spaces, after the commit."""
    # Imported on first use: the tasks pull in the services' and models' code, which app loading need not.
    from recommender.tasks import listing_vectors_store

    enqueue_on_commit(listing_vectors_store, listing_id)


def viewer_slates_refresh(*, user_id: int | None, events: list[Event], **kwargs: object) -> None:
    """A signed-in viewer's interest events: their vectors, then their homepage and personal pages."""
    from recommender.tasks import slate_refresh_request

    if user_id is not None and any(e.action in INTEREST_ACTIONS for e in events):
        slate_refresh_request(f"home:{user_id}")
