"""The near-real-time side of the surfaces: recompute and store slates (Celery task `recommender.tasks.slate_refresh`).

Keys name what a slate is for: `home:<user>` (a viewer's homepage rows and unit cards; its refresh also refreshes
the viewer's model vectors first, and their personal item and unit pages), `item:<listing>` (a listing's page for
anyone), `unit:<unit>` (a unit's page for anyone). The personal `item-for:<user>:<listing>` and
`unit-for:<user>:<unit>` slates are written by the viewer's refresh.
"""

from __future__ import annotations

import logging

from interest_units.models import InterestUnit
from marketplace.models import Listing
from recommender.ranking import units as unit_ranking
from recommender.serving import loading as serving
from recommender.surfaces.candidates import ViewerHistory
from recommender.surfaces.compute import (
    home_compute,
    item_compute,
    item_for_viewer_compute,
    unit_page_compute,
)
from recommender.surfaces.store import slate_get, slate_put, slate_refresh_started
from recommender.surfaces.types import StoredSlate

logger = logging.getLogger(__name__)

PERSONAL_ITEM_MODELS = ("pwprec", "ranker")  # while neither serves, every viewer shares a listing's page
VIEWED_ITEM_PAGES = 3  # a viewer's personal item pages kept fresh: the listings they viewed last
UNIT_PAGES = 8  # a viewer's personal unit pages kept fresh: their first unit cards


def slate_refresh(key: str) -> int:
    """Recompute the slate(s) behind `key`; returns how many were stored. Idempotent; an unknown key stores none."""
    slate_refresh_started(key)
    kind, *parts = key.split(":")
    if not parts or not all(part.isdigit() for part in parts):
        logger.warning("not a slate key: %r", key)
        return 0
    ids = [int(part) for part in parts]
    if kind == "home" and len(ids) == 1:
        return viewer_slates_refresh(user_id=ids[0])
    if kind == "item" and len(ids) == 1:
        listing = Listing.objects.filter(pk=ids[0]).first()
        return 0 if listing is None else int(item_slate_refresh(listing=listing) is not None)
    if kind == "item-for" and len(ids) == 2:
        return item_for_viewer_refresh(user_id=ids[0], listing_id=ids[1], history=ViewerHistory.read(ids[0]))
    if kind in ("unit", "unit-for"):
        unit = InterestUnit.objects.filter(pk=ids[-1]).first()
        if unit is None:
            return 0
        if kind == "unit":
            slate_put(key, unit_page_compute(unit=unit))
            return 1
        return unit_for_viewer_refresh(unit=unit, history=ViewerHistory.read(ids[0]))
    logger.warning("not a slate key: %r", key)
    return 0


def item_slate_refresh(*, listing: Listing) -> StoredSlate:
    slate = item_compute(listing=listing)
    slate_put(f"item:{listing.pk}", slate)
    return slate


def viewer_slates_refresh(*, user_id: int) -> int:
    """A viewer's slates after their events: model vectors first, then the homepage, then their personal pages of
    the listings they viewed last and of their first unit cards' units (only while a model personalises those)."""
    serving.user_vectors_refresh(user_id=user_id)
    history = ViewerHistory.read(user_id)
    home = home_compute(history=history)
    slate_put(f"home:{user_id}", home)
    stored = 1
    if any(serving.served_model(name, wait=True) for name in PERSONAL_ITEM_MODELS):
        for listing_id in history.viewed_listing_ids(limit=VIEWED_ITEM_PAGES):
            stored += item_for_viewer_refresh(user_id=user_id, listing_id=listing_id, history=history)
    if serving.served_model(unit_ranking.MODEL_NAME, wait=True) is not None:
        units = InterestUnit.objects.in_bulk([card.unit.pk for card in home.cards[:UNIT_PAGES]])
        for unit in units.values():
            stored += unit_for_viewer_refresh(unit=unit, history=history)
    return stored


def item_for_viewer_refresh(*, user_id: int, listing_id: int, history: ViewerHistory) -> int:
    """A viewer's personal rows of a listing's page (from the listing's own slate); how many slates were stored."""
    stored = 0
    base = slate_get(f"item:{listing_id}")
    if base is None:
        listing = Listing.objects.filter(pk=listing_id).first()
        if listing is None:
            return 0
        base = item_slate_refresh(listing=listing)
        stored += 1
    personal = item_for_viewer_compute(listing_id=listing_id, history=history, base=base)
    if personal is not None:
        slate_put(f"item-for:{user_id}:{listing_id}", personal, durable=False)
        stored += 1
    return stored


def unit_for_viewer_refresh(*, unit: InterestUnit, history: ViewerHistory) -> int:
    """A viewer's personal ranking of a unit's page (while IU-Boosted serves); how many slates were stored."""
    if serving.served_model(unit_ranking.MODEL_NAME, wait=True) is None:
        return 0
    base = slate_get(f"unit:{unit.pk}")
    slate_put(f"unit-for:{history.user_id}:{unit.pk}", unit_page_compute(unit=unit, history=history, base=base),
              durable=False)
    return 1
