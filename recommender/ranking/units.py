"""IU4Rec two-stage serving (section 4.1.2 / 4.2): interest-unit cards on the homepage, then the items of one unit.

Both stages score with the active `iu_boosted` version; each function returns None when no version is active, and
the caller (`recommender.surfaces.compute`) computes its baseline instead.
- Stage 1 (`unit_cards_ranked`): candidate units from the viewer's IU history (their clicks' units and the units
  they acted on most recently), units whose text centroid is nearest to the viewer's recent listings, and units
  popular this week, at most 5k candidates for k cards. Each candidate's 6 newest active items are scored in one
  batch by the network (the viewer's clicks are projected once for all of them), whose IU parts
  (unit statistics, user x unit cross features, attention over the viewer's hierarchical IU click sequence and
  their clicks' unit ids) carry what the units share; a unit's score is that of its best item, which is the item
  its card shows. A unit without an active item the viewer may buy has no candidate item and never becomes a card.
- Stage 2 (`unit_items_ranked`): every active item of the unit (not the viewer's own), ranked by the network.

Query count is fixed per call (no per-unit loops); the network scores candidates in one forward pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

import numpy as np
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from interest_units.models import InterestUnit, InterestUnitMember, UnitDailyStats, UserUnitStats
from interest_units.services.stats import POPULAR_MIN_CLICKS
from marketplace.models import LISTING_AVAILABLE_SQL, Event, EventAction, Listing, ListingStatus
from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE
from recommender.dataset_db import UNIT_TYPE_PRIORITY, item_table_from_db, unit_features_from_db
from recommender.serving.loading import served_model
from recommender.serving.retrieval import vector_array, vector_literal
from recommender.serving.shared_lists import SharedList, shared_list_get

MODEL_NAME = "iu_boosted"
HISTORY_DAYS = 30  # the click window the network was trained with (5.1.4)
HISTORY_CLICKS = 150
UNIT_FEATURES_SECONDS = 300  # how stale a process's copy of the unit statistics may be
POPULAR_UNITS_LIMIT = 300  # popular units kept: 3k for the largest k the API accepts
STAGE1_ITEMS_PER_UNIT = 6  # newest active items of each candidate unit the network scores
STAGE1_UNITS_PER_CARD = 5  # candidate units scored per card asked for (k cards: at most 5k units, 30k items)
STAGE2_MAX_ITEMS = 500  # a unit's active items ranked on its page (newest first when it has more)
NEAR_VECTORS = 2  # the viewer's recent embeddings searched: mean of the last clicks, and the last click
NEAR_RECENT_CLICKS = 10
CLICK = ACTION_CODE["item_view"]

_features_at: dict[int, float] = {}  # version id -> when its unit statistics were last refreshed
_lock = threading.Lock()


# -- the served model ----------------------------------------------------------------------------------------
def _served(*, wait: bool = True) -> Recommender | None:
    served = served_model(MODEL_NAME, wait=wait)
    if served is None:
        return None
    version_id, model = served
    if not getattr(model.config, "unit_stats", False):  # the model does not read unit statistics
        return model
    now = time.monotonic()
    with _lock:
        stale = now - _features_at.get(version_id, -np.inf) > UNIT_FEATURES_SECONDS
        if stale:
            _features_at[version_id] = now
    if stale:  # unit statistics grow all the time; a new listing inherits its unit's (IU4Rec 4.2.1)
        model.set_unit_features(unit_features_from_db())
    return model


def viewer_query(viewer_id: int | None) -> Query:
    """The viewer's item clicks of the last 30 days (oldest first, at most 150), as the network reads them."""
    now = timezone.now()
    if viewer_id is None:
        return Query(surface="iu", timestamp=now.timestamp())
    rows = list(
        Event.objects.filter(user_id=viewer_id, action=EventAction.ITEM_VIEW, listing_id__isnull=False,
                             created_at__gte=now - timedelta(days=HISTORY_DAYS))
        .order_by("-created_at", "-pk").values_list("listing_id", "created_at")[:HISTORY_CLICKS]
    )
    rows.reverse()
    return Query(
        user_id=viewer_id,
        history=[r[0] for r in rows],
        history_actions=[CLICK] * len(rows),
        history_timestamps=[r[1].timestamp() for r in rows],
        surface="iu",
        timestamp=now.timestamp() + 1.0,  # clicks of this very second count
    )


def _score(model: Recommender, query: Query, listing_ids: list[int]) -> np.ndarray:
    """Click probabilities of the listings for the query; listings the model has not seen (posted after its
    training), candidates or the viewer's clicks, are added to its catalog first (one query), so they are scored
    and read through their content (text vector included) and their unit."""
    ids = np.asarray(listing_ids, dtype=np.int64)
    if len(ids) == 0:
        return np.zeros(0)
    catalog = getattr(model, "catalog", None)
    needed = np.unique(np.r_[ids, np.asarray(query.history, dtype=np.int64)])
    missing = needed if catalog is None else needed[~np.isin(needed, catalog.item_id)]
    if len(missing):
        model.catalog_extend(item_table_from_db(listing_ids=missing.tolist()))
    return np.asarray(model.score(query, ids), dtype=np.float64)


# -- stage 2: the items of one unit --------------------------------------------------------------------------
def unit_items_ranked(*, unit_id: int, viewer_id: int | None, query: Query | None = None) -> list[int] | None:
    """The unit's active items not owned by the viewer, best first for this viewer (`query`: their clicks, read
    when not given); None when no version is active."""
    model = _served()
    if model is None:
        return None
    members = InterestUnitMember.objects.filter(unit_id=unit_id, listing__status=ListingStatus.ACTIVE)
    if viewer_id is not None:
        members = members.exclude(listing__seller_id=viewer_id)
    ids = list(members.order_by("-listing__created_at", "-listing_id").values_list("listing_id", flat=True)
               [:STAGE2_MAX_ITEMS])
    scores = _score(model, query or viewer_query(viewer_id), ids)
    order = np.argsort(-scores, kind="stable")  # ties: newest first
    return [ids[i] for i in order]


# -- stage 1: units for the homepage -------------------------------------------------------------------------
def _history_units(viewer_id: int, query: Query, limit: int) -> list[int]:
    """Units of the viewer's clicked listings (most clicked, then most recent) and the units they last acted on."""
    clicked = query.history[::-1]  # newest first
    by_listing = dict(
        InterestUnitMember.objects.filter(listing_id__in=set(clicked), type__in=UNIT_TYPE_PRIORITY,
                                          unit__retired_at__isnull=True)
        .order_by("type").values_list("listing_id", "unit_id")  # "semantic" after "spu": semantic wins
    )
    counts: dict[int, int] = {}
    for listing_id in clicked:
        unit_id = by_listing.get(listing_id)
        if unit_id is not None:
            counts[unit_id] = counts.get(unit_id, 0) + 1
    units = sorted(counts, key=lambda u: -counts[u])[:limit]  # stable: the most recent first among ties
    units += list(
        UserUnitStats.objects.filter(user_id=viewer_id, last_interaction_at__isnull=False,
                                     unit__retired_at__isnull=True, unit__type__in=UNIT_TYPE_PRIORITY)
        .order_by("-last_interaction_at").values_list("unit_id", flat=True)[:limit]
    )
    return units


def _near_units(query: Query, limit: int) -> list[int]:
    """Units whose text centroid is closest to the viewer's recent listings (the mean of the last clicks, and
    the last click), in one statement."""
    recent = list(dict.fromkeys(query.history[::-1]))[:NEAR_RECENT_CLICKS]
    if not recent:
        return []
    found = dict(Listing.objects.filter(pk__in=recent, text_embedding__isnull=False)
                 .values_list("pk", "text_embedding"))
    vectors = [vector_array(found[i]) for i in recent if i in found]
    if not vectors:
        return []
    mean = np.mean(vectors, axis=0)
    searches = [mean / max(float(np.linalg.norm(mean)), 1e-12), vectors[0]][:NEAR_VECTORS]
    part = (
        f"(SELECT id FROM {InterestUnit._meta.db_table} WHERE retired_at IS NULL AND active_count > 0 "
        f"AND centroid IS NOT NULL AND type = ANY(%s) ORDER BY centroid <=> %s::halfvec LIMIT %s)"
    )
    params: list[object] = []
    for vector in searches:
        params += [list(UNIT_TYPE_PRIORITY), vector_literal(vector), limit]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(searches)), params)
        return [row[0] for row in cursor.fetchall()]


def _popular_units(limit: int) -> list[int]:
    """Live units with the most clicks this week, then the fullest ones (at most `POPULAR_UNITS_LIMIT`), as the
    beat task last stored them."""
    return shared_list_get(POPULAR_UNITS)[:limit]


def popular_unit_ids_compute(*, types: Sequence[str] | None = UNIT_TYPE_PRIORITY,
                             limit: int = POPULAR_UNITS_LIMIT) -> list[int]:
    """Live units of `types` (every type when None) with an active item and at least `POPULAR_MIN_CLICKS` clicks
    this week, most clicked first, then the fullest ones: one list for every k (its first n are what a limit of n
    gives)."""
    since = (timezone.now() - timedelta(days=7)).date()
    stats = UnitDailyStats.objects.filter(day__gte=since, unit__retired_at__isnull=True, unit__active_count__gt=0)
    if types is not None:
        stats = stats.filter(unit__type__in=types)
    units = list(
        stats.values("unit_id").annotate(n=Sum("clicks")).filter(n__gte=POPULAR_MIN_CLICKS)
        .order_by("-n", "-unit_id").values_list("unit_id", flat=True)[:limit]
    )
    return units + unit_ids_fullest(types=types, limit=limit - len(units), exclude=units)


def unit_ids_fullest(*, types: Sequence[str] | None = UNIT_TYPE_PRIORITY, limit: int = POPULAR_UNITS_LIMIT,
                     exclude: Sequence[int] = ()) -> list[int]:
    """Live units of `types` (every type when None) with the most active items (a cheap indexed read: the stand-in
    while the list above is being computed)."""
    if limit <= 0:
        return []
    units = InterestUnit.objects.filter(retired_at__isnull=True, active_count__gt=0)
    if types is not None:
        units = units.filter(type__in=types)
    return list(units.exclude(pk__in=list(exclude)).order_by("-active_count", "-pk").values_list("pk", flat=True)
                [:limit])


# Stage 1's candidates (its unit types), and the homepage's unit cards without an IU-Boosted version (any type).
POPULAR_UNITS = SharedList("iu-popular-units", compute=popular_unit_ids_compute, fallback=unit_ids_fullest)
POPULAR_UNITS_WEEK = SharedList("popular-units-week", compute=partial(popular_unit_ids_compute, types=None),
                                fallback=partial(unit_ids_fullest, types=None))


def candidate_units(*, viewer_id: int | None, query: Query, k: int) -> list[int]:
    """Stage-1 candidates in order of source: IU history, near the viewer's vectors, popular (no duplicates)."""
    units: list[int] = []
    if viewer_id is not None and query.history:
        units += _history_units(viewer_id, query, limit=2 * k)
        units += _near_units(query, limit=2 * k)
    units += _popular_units(limit=3 * k)
    return list(dict.fromkeys(units))[: STAGE1_UNITS_PER_CARD * k]


def unit_items_newest(unit_ids: list[int], viewer_id: int | None,
                      per_unit: int) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """(unit id, listing id) pairs of each unit's newest active items the viewer may buy, and the units' numbers of
    such items, in one statement."""
    sql = f"""
        SELECT unit_id, listing_id, n FROM (
            SELECT m.unit_id, m.listing_id,
                   ROW_NUMBER() OVER (PARTITION BY m.unit_id ORDER BY l.created_at DESC, l.id DESC) AS r,
                   COUNT(*) OVER (PARTITION BY m.unit_id) AS n
            FROM {InterestUnitMember._meta.db_table} m
            JOIN {Listing._meta.db_table} l ON l.id = m.listing_id
            WHERE m.unit_id = ANY(%s) AND {LISTING_AVAILABLE_SQL}
        ) ranked WHERE r <= %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(unit_ids), viewer_id, viewer_id, per_unit])
        rows = cursor.fetchall()
    return [(r[0], r[1]) for r in rows], {r[0]: int(r[2]) for r in rows}


def unit_cards_ranked(*, viewer_id: int | None, k: int, query: Query | None = None,
                      per_card: int = 3) -> list[tuple[int, list[int], int]] | None:
    """Stage 1: up to `k` (unit id, its best listings for the viewer, best first, at most `per_card`, its number of
    active items), best unit first; None when no version is active. Only units with an active item the viewer may
    buy are returned; a card shows the first of its listings still available when it is served."""
    model = _served()
    if model is None:
        return None
    query = query or viewer_query(viewer_id)
    units = candidate_units(viewer_id=viewer_id, query=query, k=k)
    if not units:
        return []
    pairs, counts = unit_items_newest(units, viewer_id, STAGE1_ITEMS_PER_UNIT)
    if not pairs:
        return []
    listing_ids = list(dict.fromkeys(listing for _, listing in pairs))
    score_of = dict(zip(listing_ids, _score(model, query, listing_ids), strict=True))
    scored: dict[int, list[tuple[float, int]]] = {}
    for unit_id, listing_id in pairs:
        scored.setdefault(unit_id, []).append((score_of[listing_id], listing_id))
    for items in scored.values():
        items.sort(key=lambda item: -item[0])
    source_rank = {unit_id: rank for rank, unit_id in enumerate(units)}
    ranked = sorted(scored, key=lambda u: (-scored[u][0][0], source_rank[u]))
    # One card per item: a listing in two candidate units shows on the better one only.
    cards: list[tuple[int, list[int], int]] = []
    used: set[int] = set()
    for unit_id in ranked:
        best = scored[unit_id][0][1]
        if best in used:
            continue
        used.add(best)
        cards.append((unit_id, [listing for _, listing in scored[unit_id][:per_card]], counts[unit_id]))
        if len(cards) == k:
            break
    return cards
