"""Where a surface's candidates come from, as ids: the viewer's history, popularity, co-occurrence, content kNN,
model vectors and interest units. Workers call these when they compute a slate (`surfaces.compute`); a request
never does (it reads the stored slate and checks availability once, `surfaces.fill`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from interest_units.models import UNIT_TYPE_PREFERENCE, InterestUnitMember
from marketplace.models import LISTING_AVAILABLE_SQL, MODEL_VECTOR_COLUMNS, Event, EventAction, Listing, ListingStatus
from recommender.base import Query
from recommender.data import ACTION_CODE, INTERACTION_ACTIONS
from recommender.serving.loading import version_column
from recommender.serving.retrieval import nearest_listing_ids, vector_array
from recommender.serving.shared_lists import SharedList, shared_list_get
from recommender.surfaces.types import UnitRef

POPULAR_LIMIT = 500  # popular listings kept (the popular row reads the first 3k not shown above it)
POPULAR_MIN_PEOPLE = 2  # minimum evidence: a listing one person pushed is not "popular"
ROW_IDS = 100  # candidate ids stored per row: 3x headroom for rows of up to 33
INTEREST_WEIGHTS = {
    EventAction.ITEM_VIEW: 1.0,
    EventAction.ITEM_LIKE: 2.0,
    EventAction.ITEM_ADD_TO_CART_TAP: 3.0,
    EventAction.OFFER_MAKE: 3.0,
    EventAction.BUY_START: 3.0,
}
HISTORY_DAYS = 30
HISTORY_EVENTS = 200
QUERY_LENGTH = 50  # interactions a sequence model reads (recommender.serving.loading.HISTORY_LENGTH)


# -- the viewer's history, read once -------------------------------------------------------------------------
@dataclass
class ViewerHistory:
    """A signed-in viewer's interactions of the last 30 days, newest first: (listing id, action, unix time)."""

    user_id: int
    events: list[tuple[int, str, float]]

    @classmethod
    def read(cls, user_id: int) -> ViewerHistory:
        since = timezone.now() - timedelta(days=HISTORY_DAYS)
        rows = (
            Event.objects.filter(user_id=user_id, created_at__gte=since, action__in=list(INTERACTION_ACTIONS),
                                 listing_id__isnull=False)
            .order_by("-created_at", "-pk").values_list("listing_id", "action", "created_at")[:HISTORY_EVENTS]
        )
        return cls(user_id=user_id, events=[(listing, action, at.timestamp()) for listing, action, at in rows])

    def recent_listing_ids(self, *, limit: int = 50) -> list[int]:
        """The listings this viewer showed interest in most recently (newest first, distinct)."""
        ids = [listing for listing, action, _ in self.events if action in INTEREST_WEIGHTS]
        return list(dict.fromkeys(ids))[:limit]

    def viewed_listing_ids(self, *, limit: int) -> list[int]:
        return list(dict.fromkeys(listing for listing, action, _ in self.events if action == "item_view"))[:limit]

    def query(self, *, surface: str, current_item: int | None = None) -> Query:
        """The sequence models' view: the last interactions, oldest first."""
        last = self.events[:QUERY_LENGTH][::-1]
        return Query(user_id=self.user_id, history=[e[0] for e in last],
                     history_actions=[ACTION_CODE[e[1]] for e in last], history_timestamps=[e[2] for e in last],
                     surface=surface, current_item=current_item, timestamp=time.time())


# -- popularity ----------------------------------------------------------------------------------------------
def popular_listing_ids_compute(*, days: int = 7, limit: int = POPULAR_LIMIT) -> list[int]:
    """Listings ranked by recent interest (ids only): each signed-in person's strongest action on a listing counts
    once, so no one person (and no anonymous traffic) can push a listing up, and a listing needs
    `POPULAR_MIN_PEOPLE` people behind it to count as popular. Tens of milliseconds on a large catalogue: requests
    read it from `shared_lists`, never run it."""
    since = timezone.now() - timedelta(days=days)
    weights = " ".join(f"WHEN '{action}' THEN {weight}" for action, weight in INTEREST_WEIGHTS.items())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT p.listing_id FROM (
                SELECT e.listing_id, e.user_id, MAX(CASE e.action {weights} ELSE 0 END) AS weight
                FROM marketplace_event e
                WHERE e.created_at >= %s AND e.action = ANY(%s) AND e.user_id IS NOT NULL
                GROUP BY e.listing_id, e.user_id
            ) p
            JOIN marketplace_listing l ON l.id = p.listing_id AND {LISTING_AVAILABLE_SQL}
            GROUP BY p.listing_id HAVING COUNT(*) >= %s
            ORDER BY SUM(p.weight) DESC, p.listing_id DESC
            LIMIT %s
            """,
            [since, list(INTEREST_WEIGHTS), None, None, POPULAR_MIN_PEOPLE, limit],  # anyone's listings
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) < limit:  # a quiet marketplace: fill with the newest listings
        ids += list(
            Listing.objects.available_to(None).exclude(pk__in=ids)
            .order_by("-created_at").values_list("pk", flat=True)[: limit - len(ids)]
        )
    return ids


def listing_ids_newest(*, limit: int = POPULAR_LIMIT) -> list[int]:
    """The newest active listings: one indexed read, the stand-in while the popular list is being computed."""
    return list(
        Listing.objects.available_to(None).order_by("-created_at").values_list("pk", flat=True)
        [:limit]
    )


POPULAR_LISTINGS = SharedList("popular-listings", compute=popular_listing_ids_compute, fallback=listing_ids_newest)


def popular_listing_ids() -> list[int]:
    """Listings ranked by recent interest, as the beat task last stored them (`popular_listing_ids_compute`)."""
    return shared_list_get(POPULAR_LISTINGS)


# -- item to item ---------------------------------------------------------------------------------------------
def co_viewed_listing_ids(listing_id: int, *, limit: int = ROW_IDS) -> list[int]:
    """Item-to-item co-occurrence: listings viewed in the same sessions as `listing_id`, by how many signed-in people
    did so (each once, so one person's repeated views cannot pair two listings)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e2.listing_id FROM marketplace_event e1
            JOIN marketplace_event e2 ON e2.session_id = e1.session_id AND e2.listing_id <> e1.listing_id
            WHERE e1.listing_id = %s AND e1.action = 'item_view' AND e2.action = 'item_view'
                AND e1.user_id IS NOT NULL AND e1.session_id <> ''
            GROUP BY e2.listing_id ORDER BY COUNT(DISTINCT e1.user_id) DESC, e2.listing_id DESC LIMIT %s
            """,
            [listing_id, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def similar_listing_ids(listing: Listing, *, limit: int = ROW_IDS) -> list[int]:
    """Content kNN over text embeddings (any seller: the viewer's own are dropped when the row is served)."""
    if listing.text_embedding is None:
        return []
    hits = nearest_listing_ids(vector_array(listing.text_embedding), k=limit, viewer_id=None,
                               exclude_ids=[listing.pk])
    return [i for i, _ in hits]


# -- vectors ---------------------------------------------------------------------------------------------------
def mean_vector(vectors: list[np.ndarray]) -> np.ndarray | None:
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def distinct_vectors(vectors: np.ndarray, *, max_cosine: float = 0.95) -> list[np.ndarray]:
    """Drop interest vectors that nearly repeat an earlier one (multi-interest heads can collapse)."""
    kept: list[np.ndarray] = []
    for vector in vectors:
        if all(float(vector @ other) < max_cosine for other in kept):
            kept.append(vector)
    return kept


def model_vector_ids(vector: np.ndarray, *, space: str, version: int, viewer_id: int | None, exclude: list[int],
                     limit: int = ROW_IDS) -> list[int]:
    """The nearest active listings (not the viewer's own) to a vector of model version `version`, among the item
    vectors of that same version (during a backfill, listings still holding the old version's are left out)."""
    hits = nearest_listing_ids(vector, k=limit, viewer_id=viewer_id, column=MODEL_VECTOR_COLUMNS[space],
                               cast="vector", exclude_ids=exclude, extra_where=f"{version_column(space)} = %s",
                               extra_params=[version])
    return [i for i, _ in hits]


def because_label(vector: np.ndarray, *, space: str, recent: list[int]) -> str:
    """"Because you viewed X": the history item closest to this interest vector."""
    column = MODEL_VECTOR_COLUMNS[space]
    rows = Listing.objects.filter(pk__in=recent[:30]).exclude(**{f"{column}__isnull": True}).values_list(
        "title", column)
    best = max(rows, key=lambda row: float(vector_array(row[1]) @ vector), default=None)
    return f"Because you viewed “{best[0]}”" if best else "Picked for you"


# -- interest units --------------------------------------------------------------------------------------------
def unit_of_listing(listing_id: int) -> UnitRef | None:
    """The listing's live interest unit to show it in (semantic first: it groups by meaning)."""
    members = {
        m.type: m.unit
        for m in InterestUnitMember.objects.filter(listing_id=listing_id, unit__retired_at__isnull=True)
        .select_related("unit").defer("unit__centroid", "unit__image_centroid")
    }
    for unit_type in UNIT_TYPE_PREFERENCE:
        if unit_type in members:
            return UnitRef.of(members[unit_type])
    return None


def unit_member_ids_active(unit_id: int, *, limit: int = 500) -> list[int]:
    """The unit's active members, newest first."""
    return list(
        InterestUnitMember.objects.filter(unit_id=unit_id, listing__status=ListingStatus.ACTIVE)
        .order_by("-listing__created_at", "-listing_id").values_list("listing_id", flat=True)[:limit]
    )
