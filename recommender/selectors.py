"""What each surface shows: rows of listings with a label, the recommender that chose them and a request id.

Until a trained model is active for a surface, rows come from baselines computed in Postgres: recent
popularity, session co-occurrence, content kNN over text embeddings, and interest-unit membership. Every row
passes `listings_available` last, so a sold, removed or own listing never reaches a page or the API.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import zip_longest

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from interest_units.models import InterestUnit, InterestUnitMember, UserUnitStats
from marketplace.models import Event, EventAction, Listing, ListingStatus
from recommender.base import Query, Recommender
from recommender.retrieval import listings_available, nearest_listing_ids, vector_array, vector_searches
from recommender.serving import (
    VECTOR_COLUMNS,
    served_model,
    user_query,
    user_vectors_get,
    user_vectors_request,
)
from recommender.shared_lists import SharedList, shared_list_get

logger = logging.getLogger(__name__)

POPULAR_LIMIT = 500  # popular listings kept (the popular row reads the first 3k not shown above it)
POPULAR_MIN_PEOPLE = 2  # minimum evidence: a listing one person pushed is not "popular"
INTEREST_WEIGHTS = {
    EventAction.ITEM_VIEW: 1.0,
    EventAction.ITEM_LIKE: 2.0,
    EventAction.ITEM_ADD_TO_CART_TAP: 3.0,
    EventAction.OFFER_MAKE: 3.0,
    EventAction.BUY_START: 3.0,
}


@dataclass
class Row:
    surface: str  # where impressions are attributed, e.g. "home_for_you"
    label: str
    recommender: str
    listings: list[Listing]
    interest_unit: InterestUnit | None = None


@dataclass
class Slate:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row, *, min_items: int = 1) -> None:
        if len(row.listings) >= min_items:
            self.rows.append(row)


@dataclass
class UnitCard:
    unit: InterestUnit
    listing: Listing  # the unit's best active item for this viewer
    active_count: int
    recommender: str


# -- building blocks ---------------------------------------------------------------------------------------
def popular_listing_ids() -> list[int]:
    """Listings ranked by recent interest (`popular_listing_ids_compute`), as the beat task last stored them."""
    return shared_list_get(POPULAR_LISTINGS)


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
            JOIN marketplace_listing l ON l.id = p.listing_id AND l.status = %s
            GROUP BY p.listing_id HAVING COUNT(*) >= %s
            ORDER BY SUM(p.weight) DESC, p.listing_id DESC
            LIMIT %s
            """,
            [since, list(INTEREST_WEIGHTS), ListingStatus.ACTIVE, POPULAR_MIN_PEOPLE, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) < limit:  # a quiet marketplace: fill with the newest listings
        ids += list(
            Listing.objects.filter(status=ListingStatus.ACTIVE).exclude(pk__in=ids)
            .order_by("-created_at").values_list("pk", flat=True)[: limit - len(ids)]
        )
    return ids


def listing_ids_newest(*, limit: int = POPULAR_LIMIT) -> list[int]:
    """The newest active listings: one indexed read, the stand-in while the popular list is being computed."""
    return list(
        Listing.objects.filter(status=ListingStatus.ACTIVE).order_by("-created_at").values_list("pk", flat=True)
        [:limit]
    )


POPULAR_LISTINGS = SharedList("popular-listings", compute=popular_listing_ids_compute, fallback=listing_ids_newest)


def user_recent_listing_ids(user_id: int, *, limit: int = 50, days: int = 30) -> list[int]:
    """The listings this user interacted with most recently (newest first, distinct)."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        Event.objects.filter(user_id=user_id, created_at__gte=since, action__in=list(INTEREST_WEIGHTS))
        .order_by("-created_at").values_list("listing_id", flat=True)[: limit * 4]
    )
    return list(dict.fromkeys(rows))[:limit]


def co_viewed_listing_ids(listing_id: int, *, limit: int = 100) -> list[int]:
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


def _mean_vector(vectors: list[np.ndarray]) -> np.ndarray | None:
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def _take(ids: list[int], *, viewer_id: int | None, k: int, exclude: set[int]) -> list[Listing]:
    candidates = [i for i in ids if i not in exclude][: k * 3]
    return listings_available(candidates, viewer_id=viewer_id)[:k]


@dataclass
class _Candidates:
    """A row waiting for its listings: its candidate `ids` in order, the `k` it shows, ids it never shows."""

    row: Row
    ids: list[int]
    k: int
    exclude: set[int] = field(default_factory=set)


def _rows_add(slate: Slate, pending: list[_Candidates], *, viewer_id: int | None, shown: set[int]) -> None:
    """Fill the rows in order as `_take` would, one after another (each row's first k available listings among
    its first 3k candidates not shown above it), from one availability query for all of them; `shown` grows as
    they fill, so no listing shows twice."""
    windows: list[list[int]] = []
    above = 0
    for row in pending:
        # the rows above may show `above` more listings before this one fills: read that many more candidates
        windows.append([i for i in row.ids if i not in row.exclude and i not in shown][: row.k * 3 + above])
        above += row.k
    available = {x.pk: x for x in listings_available([i for w in windows for i in w], viewer_id=viewer_id)}
    for row, window in zip(pending, windows, strict=True):
        candidates = [i for i in window if i not in shown][: row.k * 3]
        row.row.listings = [available[i] for i in dict.fromkeys(candidates) if i in available][: row.k]
        shown.update(x.pk for x in row.row.listings)
        slate.add(row.row)


# -- surfaces ----------------------------------------------------------------------------------------------
def _vector_row(vector: np.ndarray, *, space: str, k: int, viewer_id: int | None, exclude: set[int],
                shown: set[int]) -> list[Listing]:
    hits = nearest_listing_ids(vector, k=k * 2, viewer_id=viewer_id, column=VECTOR_COLUMNS[space], cast="vector",
                               exclude_ids=sorted(exclude | shown))
    listings = _take([i for i, _ in hits], viewer_id=viewer_id, k=k, exclude=shown)
    shown.update(listing.pk for listing in listings)
    return listings


def _distinct(vectors: np.ndarray, *, max_cosine: float = 0.95) -> list[np.ndarray]:
    """Drop interest vectors that nearly repeat an earlier one (multi-interest heads can collapse)."""
    kept: list[np.ndarray] = []
    for vector in vectors:
        if all(float(vector @ other) < max_cosine for other in kept):
            kept.append(vector)
    return kept


def _because_label(vector: np.ndarray, *, space: str, recent: list[int]) -> str:
    """"Because you viewed X": the history item closest to this interest vector."""
    column = VECTOR_COLUMNS[space]
    rows = Listing.objects.filter(pk__in=recent[:30]).exclude(**{f"{column}__isnull": True}).values_list(
        "title", column)
    best = max(rows, key=lambda row: float(vector_array(row[1]) @ vector), default=None)
    return f"Because you viewed “{best[0]}”" if best else "Picked for you"


def _home_rows_from_models(slate: Slate, *, viewer_id: int, recent: list[int], k: int, shown: set[int]) -> bool:
    """PWPRec multi-interest rows and the Mercatran "next up" row; False when no model serves this user."""
    interests = user_vectors_get(user_id=viewer_id, space="pwprec")
    steps = user_vectors_get(user_id=viewer_id, space="mercatran")
    if (interests is None and served_model("pwprec")) or (steps is None and served_model("mercatran")):
        # No vectors yet under the active versions (e.g. the viewer has not acted since an activation): compute
        # them in the background, so the next page is personalised; this one falls back to the baselines.
        user_vectors_request(user_id=viewer_id)
    if interests is None and steps is None:
        return False
    with vector_searches():
        _home_rows_from_vectors(slate, interests=interests, steps=steps, viewer_id=viewer_id, recent=recent, k=k,
                                shown=shown)
    return interests is not None


def _home_rows_from_vectors(slate: Slate, *, interests: np.ndarray | None, steps: np.ndarray | None,
                            viewer_id: int, recent: list[int], k: int, shown: set[int]) -> None:
    if interests is not None:
        for vector in _distinct(interests):
            listings = _vector_row(vector, space="pwprec", k=k, viewer_id=viewer_id, exclude=set(recent), shown=shown)
            slate.add(Row("home_for_you", _because_label(vector, space="pwprec", recent=recent), "pwprec", listings))
    if steps is not None:
        # Mercatran's 4 predicted next interactions: one search each, merged round-robin into one diverse row.
        per_step = [_vector_row(v, space="mercatran", k=k, viewer_id=viewer_id, exclude=set(recent), shown=set())
                    for v in steps]
        merged = [x for group in zip_longest(*per_step) for x in group if x is not None]
        listings = list({x.pk: x for x in merged if x.pk not in shown}.values())[:k]
        shown.update(x.pk for x in listings)
        slate.add(Row("home_next_up", "Next up for you", "mercatran", listings))


def _home_content_rows(*, viewer_id: int, recent: list[int], k: int) -> list[_Candidates]:
    """Content kNN rows, one per recent category (the 3 the viewer visited most): candidates only."""
    found = {pk: (c2_id, title) for pk, c2_id, title in
             Listing.objects.filter(pk__in=recent).values_list("pk", "c2_id", "title")}
    by_category: dict[int, list[int]] = defaultdict(list)
    for listing_id in recent:
        by_category[(found[listing_id][0] if listing_id in found else None) or 0].append(listing_id)
    groups = [members for _, members in sorted(by_category.items(), key=lambda kv: -len(kv[1]))[:3]]
    vectors = dict(Listing.objects.filter(pk__in=[i for members in groups for i in members[:10]],
                                          text_embedding__isnull=False).values_list("pk", "text_embedding"))
    centres = [(members, _mean_vector([vector_array(vectors[i]) for i in members[:10] if i in vectors]))
               for members in groups]
    centres = [(members, centre) for members, centre in centres if centre is not None]
    if not centres:
        return []
    pending: list[_Candidates] = []
    with vector_searches():
        for members, centre in centres:
            ids = [i for i, _ in nearest_listing_ids(centre, k=k * 2, viewer_id=viewer_id, exclude_ids=recent)]
            label = f"Because you viewed “{found[members[0]][1]}”"
            pending.append(_Candidates(Row("home_for_you", label, "content", []), ids, k))
    return pending


def recommendations_for_home(*, viewer_id: int | None, k: int = 12) -> Slate:
    """Homepage rows: "for you" rows per interest (PWPRec multi-interest when served, else content kNN per recent
    category), "next up" (Mercatran when served, else co-occurrence with the last viewed item), "popular now".
    With an active ranker, each "for you" row reads RERANK_POOL times more candidates and shows the ranker's top k.
    Rows that need no model are filled together, from one availability query."""
    slate = Slate()
    shown: set[int] = set()
    ranker = served_ranker()
    fetch = k * RERANK_POOL if ranker is not None else k
    recent = user_recent_listing_ids(viewer_id) if viewer_id is not None else []
    served = bool(recent) and _home_rows_from_models(slate, viewer_id=viewer_id, recent=recent, k=fetch, shown=shown)
    pending: list[_Candidates] = []
    if recent and not served:
        pending = _home_content_rows(viewer_id=viewer_id, recent=recent, k=fetch)
    if ranker is not None and viewer_id is not None:
        _rows_add(slate, pending, viewer_id=viewer_id, shown=shown)
        pending = []
        rows_rerank(slate, ranker=ranker, query=user_query(viewer_id, surface="home")[0],
                    surfaces={"home_for_you", "home_next_up"}, k=k)
        shown = {x.pk for row in slate.rows for x in row.listings}  # candidates cut by the ranker may show below
    if recent and not any(row.surface == "home_next_up" for row in slate.rows):
        pending.append(_Candidates(Row("home_next_up", "Next up for you", "cooccurrence", []),
                                   co_viewed_listing_ids(recent[0]), k, exclude=set(recent)))
    pending.append(_Candidates(Row("home_popular", "Popular right now", "popularity", []), popular_listing_ids(), k))
    _rows_add(slate, pending, viewer_id=viewer_id, shown=shown)
    return slate


def recommendations_for_item(*, listing: Listing, viewer_id: int | None, k: int = 12) -> Slate:
    """View-item page rows: similar items (content kNN), more from its interest unit, viewed together. With an
    active ranker, the "for you", similar and viewed-together rows read RERANK_POOL times more candidates and show
    the ranker's top k. Rows that need no model are filled together, from one availability query."""
    slate = Slate()
    shown = {listing.pk}
    ranker = served_ranker()
    fetch = k * RERANK_POOL if ranker is not None else k
    served = served_model("pwprec")
    query = None
    if served is not None or ranker is not None:  # the session so far plus this item, read once
        query = user_query(viewer_id, surface="vip", current_item=listing.pk)[0] if viewer_id else Query(
            surface="vip", current_item=listing.pk, timestamp=timezone.now().timestamp())
    pending: list[_Candidates] = []
    searches = listing.text_embedding is not None or (served is not None and query is not None)
    with vector_searches() if searches else nullcontext():
        if served is not None and query is not None:
            # PWPRec long-short fusion: the session so far plus this item, one vector, one filtered search.
            vectors = served[1].user_vectors(query)
            if vectors is not None:
                listings = _vector_row(vectors[0], space="pwprec", k=fetch, viewer_id=viewer_id, exclude=set(),
                                       shown=shown)
                slate.add(Row("vip_for_you", "Picked for you, from what you are looking at", "pwprec", listings))
        if listing.text_embedding is not None:
            centre = vector_array(listing.text_embedding)
            ids = [i for i, _ in nearest_listing_ids(centre, k=fetch * 2, viewer_id=viewer_id,
                                                     exclude_ids=[listing.pk])]
            pending.append(_Candidates(Row("vip_similar", "Similar items", "content", []), ids, fetch))
    if ranker is not None and query is not None:
        _rows_add(slate, pending, viewer_id=viewer_id, shown=shown)
        pending = []
        rows_rerank(slate, ranker=ranker, query=query, surfaces={"vip_for_you", "vip_similar"}, k=k)
        shown = {listing.pk} | {x.pk for row in slate.rows for x in row.listings}
    unit = unit_of_listing(listing.pk)
    if unit is not None:
        pending.append(_Candidates(Row("vip_unit", "More from its interest unit", "iu_members", [],
                                       interest_unit=unit), unit_member_ids_active(unit.pk), k))
    pending.append(_Candidates(Row("vip_cooccurrence", "People also viewed", "cooccurrence", []),
                               co_viewed_listing_ids(listing.pk), fetch))
    _rows_add(slate, pending, viewer_id=viewer_id, shown=shown)
    if ranker is not None and query is not None:
        rows_rerank(slate, ranker=ranker, query=query, surfaces={"vip_cooccurrence"}, k=k)
    return slate

UNIT_TYPE_PREFERENCE = ("semantic", "spu", "image")


def unit_of_listing(listing_id: int) -> InterestUnit | None:
    """The listing's interest unit to show it in (semantic first: it groups by meaning)."""
    members = {
        m.type: m.unit
        for m in InterestUnitMember.objects.filter(listing_id=listing_id, unit__retired_at__isnull=True)
        .select_related("unit")
    }
    for unit_type in UNIT_TYPE_PREFERENCE:
        if unit_type in members:
            return members[unit_type]
    return None


def unit_member_ids_active(unit_id: int) -> list[int]:
    return list(
        InterestUnitMember.objects.filter(unit_id=unit_id, listing__status=ListingStatus.ACTIVE)
        .order_by("-listing__created_at").values_list("listing_id", flat=True)[:500]
    )


def interest_units_for_home(*, viewer_id: int | None, k: int = 8) -> list[UnitCard]:
    """Stage 1: units ranked by the active IU-Boosted version (`recommender.unit_ranking`), each card showing the
    unit's best item for the viewer. Baseline without one: the viewer's recent units, then units popular this week
    and the fullest ones (a shared list, read from the cache), each with its newest active item."""
    from recommender.unit_ranking import MODEL_NAME, POPULAR_UNITS_WEEK, unit_cards_ranked

    ranked = unit_cards_ranked(viewer_id=viewer_id, k=k)
    if ranked is not None:
        return unit_cards([u for u, _, _ in ranked], viewer_id=viewer_id, recommender=MODEL_NAME,
                          best={u: listing for u, listing, _ in ranked}, counts={u: n for u, _, n in ranked})
    unit_ids: list[int] = []
    if viewer_id is not None:
        unit_ids += list(
            UserUnitStats.objects.filter(user_id=viewer_id, last_interaction_at__isnull=False)
            .order_by("-last_interaction_at").values_list("unit_id", flat=True)[: k * 2]
        )
    unit_ids += shared_list_get(POPULAR_UNITS_WEEK)[: k * 3]
    return unit_cards(list(dict.fromkeys(unit_ids)), viewer_id=viewer_id, recommender="iu_popularity")[:k]


def unit_cards(
    unit_ids: list[int],
    *,
    viewer_id: int | None,
    recommender: str,
    best: dict[int, int] | None = None,
    counts: dict[int, int] | None = None,
) -> list[UnitCard]:
    """Cards for these units in order, each with `best[unit]` (a ranker's pick) or else its newest active item for
    this viewer; a unit whose item is not available to the viewer is never shown. A fixed number of queries,
    whatever the number of units."""
    if not unit_ids:
        return []
    if best is None or counts is None:
        members = InterestUnitMember.objects.filter(unit_id__in=unit_ids, listing__status=ListingStatus.ACTIVE)
        if viewer_id is not None:
            members = members.exclude(listing__seller_id=viewer_id)
        best, counts = {}, Counter()
        for unit_id, listing_id in members.order_by("-listing__created_at", "-listing_id").values_list(
            "unit_id", "listing_id"
        ):
            counts[unit_id] += 1
            best.setdefault(unit_id, listing_id)
    listings = {x.pk: x for x in listings_available(list(best.values()), viewer_id=viewer_id)}
    units = InterestUnit.objects.filter(retired_at__isnull=True).defer("centroid", "image_centroid").in_bulk(
        [u for u in unit_ids if u in best])
    return [
        UnitCard(unit=units[u], listing=listings[best[u]], active_count=counts.get(u, 0), recommender=recommender)
        for u in unit_ids
        if u in units and best.get(u) in listings
    ]


@dataclass
class UnitPage:
    unit: InterestUnit
    listings: list[Listing]
    active_count: int
    sold_count: int
    min_price: object
    max_price: object
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    recommender: str = "iu_popularity"


def interest_unit_items(*, unit: InterestUnit, viewer_id: int | None, k: int = 60) -> UnitPage:
    """Stage 2: the unit's active items ranked for the viewer by the active IU-Boosted version
    (`recommender.unit_ranking`); baseline without one: most interacted-with first, then newest."""
    from recommender.unit_ranking import MODEL_NAME, unit_items_ranked

    members = InterestUnitMember.objects.filter(unit=unit)
    stats = members.aggregate(
        active=Count("pk", filter=Q(listing__status=ListingStatus.ACTIVE)),
        sold=Count("pk", filter=Q(listing__status=ListingStatus.SOLD)),
        low=Min("listing__price", filter=Q(listing__status=ListingStatus.ACTIVE)),
        high=Max("listing__price", filter=Q(listing__status=ListingStatus.ACTIVE)),
    )
    ranked = unit_items_ranked(unit_id=unit.pk, viewer_id=viewer_id)
    recommender = MODEL_NAME
    if ranked is None:
        recommender = "iu_popularity"
        ids = unit_member_ids_active(unit.pk)
        popularity = Counter(
            dict(
                Event.objects.filter(listing_id__in=ids, action__in=list(INTEREST_WEIGHTS), user__isnull=False)
                .values_list("listing_id").annotate(n=Count("user", distinct=True)).values_list("listing_id", "n")
            )
        )
        ranked = sorted(ids, key=lambda i: -popularity.get(i, 0))  # stable: newest first among ties
    return UnitPage(
        unit=unit,
        listings=listings_available(ranked[:k], viewer_id=viewer_id),
        active_count=stats["active"],
        sold_count=stats["sold"],
        min_price=stats["low"],
        max_price=stats["high"],
        recommender=recommender,
    )


# -- the ranking stage (MercadoLibre SCID + Yandex two-tower features in LightGBM, recommender.ranker) ----------
RERANK_POOL = 3  # a re-ranked row reads this many times k candidates


def served_ranker() -> Recommender | None:
    """The active `ranker` version's model, or None (the surfaces then keep their retrieval order)."""
    served = served_model("ranker")
    return None if served is None else served[1]


def rows_rerank(slate: Slate, *, ranker: Recommender, query: Query, surfaces: set[str], k: int) -> None:
    """Re-rank the rows of `surfaces` in place: one batched scoring of all their candidates (features from the
    model's lookups, no per-candidate queries), each row cut to its top k and labelled "ranker". The listings
    were already filtered by `listings_available`; re-ranking only reorders and cuts them."""
    rows = [row for row in slate.rows if row.surface in surfaces and row.listings]
    if not rows:
        return
    ids = np.array([x.pk for row in rows for x in row.listings], dtype=np.int64)
    try:
        if hasattr(ranker, "score_lists"):
            scores = ranker.score_lists([query], [ids], incremental=True)[0]
        else:
            scores = ranker.score(query, ids)
    except Exception:  # a broken model must not break the page: keep the retrieval order
        logger.exception("ranker failed; rows keep their retrieval order")
        for row in rows:
            row.listings = row.listings[:k]
        return
    start = 0
    for row in rows:
        part = np.asarray(scores[start : start + len(row.listings)])
        start += len(row.listings)
        order = np.argsort(-part, kind="stable")[:k]
        row.listings = [row.listings[i] for i in order]
        row.recommender = "ranker"
