"""Serving a surface: read its stored slate, check availability once, and build the page's rows.

A request costs one Redis GET per slate (Postgres only when Redis is down or lost its copy) and one availability
query for every row and card together (`id = ANY(...) AND status = 'active' AND seller <> viewer`), so a listing
sold a millisecond before the read is never shown and the viewer's own listings never are (invariants 1 and 3).
A viewer or listing without a slate yet is served a cheap fallback at once (the shared popular lists) while its
slate is computed in the background; a stale slate is served while it is recomputed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.shortcuts import get_object_or_404

from experiments.selectors import interleave_for, running_experiment
from interest_units.models import InterestUnit
from marketplace.cards import listing_cards
from marketplace.models import Listing
from recommender.ranking import units as unit_ranking
from recommender.serving.loading import served_version
from recommender.serving.retrieval import listing_ids_available
from recommender.serving.shared_lists import shared_list_get
from recommender.surfaces.candidates import popular_listing_ids, unit_member_ids_active
from recommender.surfaces.compute import HOME_SURFACE, POPULAR_UNIT_CARDS
from recommender.surfaces.store import refresh_seconds, slate_get, slate_is_stale
from recommender.surfaces.types import (
    Row,
    Slate,
    StoredCard,
    StoredRow,
    StoredSlate,
    UnitCard,
    UnitCards,
    UnitPage,
    UnitRef,
)
from recommender.tasks import slate_refresh_request

HEADROOM = 3  # a row reads up to 3x k candidates to stay full while some of them sell


def _refreshed_inline() -> bool:
    """Whether a requested refresh has already run in this process (eager tasks: tests, and the request's own
    commit). A real worker has not run it yet, so reading the slate again would only repeat the miss's queries."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def slate_read(key: str, *, exists: Callable[[], bool] | None = None) -> StoredSlate | None:
    """The stored slate under `key`; asks for a refresh when there is none or it is stale (served meanwhile).
    `exists` is asked before a missing slate's refresh, so an unknown id costs a query, never a worker's task."""
    stored = slate_get(key)
    if stored is None and exists is not None and not exists():
        return None
    if stored is None or slate_is_stale(stored, max_age=refresh_seconds(), now=time.time()):
        if slate_refresh_request(key) and _refreshed_inline():
            stored = slate_get(key) or stored
    return stored


def slate_fill(rows: list[StoredRow], *, viewer_id: int | None, k: int, cards: list[StoredCard] = (),
               card_k: int = 0, shown: set[int] | None = None) -> tuple[list[Row], list[UnitCard]]:
    """Rows of up to k listings each (the first available among a row's first 3k candidates not shown above it),
    then up to `card_k` unit cards (each the first available of its listings, one card per listing): one
    availability query for all of them, then the shown listings' cards (one Redis read)."""
    shown = set() if shown is None else shown
    windows: list[list[int]] = []
    above = 0
    for row in rows:
        # the rows above may show `above` more listings before this one fills: read that many more candidates
        exclude = set(row.exclude)
        windows.append([i for i in row.ids if i not in exclude and i not in shown][: k * HEADROOM + above])
        above += k
    cards = list(cards)[: card_k * 2]  # a card whose listings are all gone leaves room for the next
    wanted = [i for window in windows for i in window] + [i for card in cards for i in card.ids]
    available = listing_ids_available(wanted, viewer_id=viewer_id)
    chosen_rows: list[tuple[StoredRow, list[int]]] = []
    for row, window in zip(rows, windows, strict=True):
        candidates = [i for i in window if i not in shown][: k * HEADROOM]
        ids = [i for i in dict.fromkeys(candidates) if i in available][:k]
        shown.update(ids)
        if ids:
            chosen_rows.append((row, ids))
    chosen_cards: list[tuple[StoredCard, int]] = []
    used: set[int] = set()
    for card in cards:
        listing_id = next((i for i in card.ids if i in available and i not in used), None)
        if listing_id is None or len(chosen_cards) == card_k:
            continue
        used.add(listing_id)
        chosen_cards.append((card, listing_id))
    shown_cards = listing_cards([i for _, ids in chosen_rows for i in ids] + [i for _, i in chosen_cards])
    filled = [Row(row.surface, row.label, row.recommender, [shown_cards[i] for i in ids if i in shown_cards],
                  interest_unit=row.unit, recommenders=_labels(row, [i for i in ids if i in shown_cards]))
              for row, ids in chosen_rows]
    unit_cards = [UnitCard(card.unit, shown_cards[i], card.active_count, card.recommender)
                  for card, i in chosen_cards if i in shown_cards]
    return filled, unit_cards


def _labels(row: StoredRow, ids: list[int]) -> list[str] | None:
    """An interleaved row's team labels of the listings it shows (None for any other row)."""
    if row.recommenders is None:
        return None
    label_of = dict(zip(row.ids, row.recommenders, strict=True))
    return [label_of[i] for i in ids]


# -- home -------------------------------------------------------------------------------------------------------
def _popular_row(stored: StoredSlate | None = None) -> StoredRow:
    """The shared "popular now" row; within an A/B experiment it carries the viewer's arm like their other rows
    (an arm is the whole page a viewer sees)."""
    extra = stored.extra if stored is not None else {}
    label = f"{extra['experiment']}:{extra['arm']}" if extra.get("experiment") and extra.get("arm") else "popularity"
    return StoredRow("home_popular", "Popular right now", label, popular_listing_ids())


def _home_stored(viewer_id: int | None) -> StoredSlate:
    """The viewer's home slate; anonymous viewers (and a signed-in one whose slate is being computed) share one."""
    stored = slate_read(f"home:{viewer_id}") if viewer_id is not None else None
    if stored is None:
        stored = StoredSlate(cards=[StoredCard(**{**card, "unit": UnitRef(**card["unit"])})
                                    for card in shared_list_get(POPULAR_UNIT_CARDS)])
    return stored


def _home_rows(stored: StoredSlate, *, viewer_id: int | None, request_id: str, k: int) -> list[StoredRow]:
    """The stored rows and the shared popular row; under an interleaving experiment, the row its two arms' rankings
    make by team draft for this request (each position labelled with its team)."""
    interleaved = _interleaved_row(stored, viewer_id=viewer_id, request_id=request_id, k=k)
    return [*([interleaved] if interleaved is not None else stored.rows), _popular_row(stored)]


def _interleaved_row(stored: StoredSlate, *, viewer_id: int | None, request_id: str, k: int) -> StoredRow | None:
    """Team draft of the arms' available listings (available first, so a sold listing leaves no gap in a team), the
    coin flips seeded by the request; None without an interleaving slate, or once its experiment stopped (the slate
    is stale then and being recomputed: the viewer sees the shared row meanwhile)."""
    lists = stored.extra.get("interleave")
    if not lists or viewer_id is None:
        return None
    experiment = running_experiment(HOME_SURFACE)
    if experiment is None or not experiment.is_interleaving or experiment.name != stored.extra.get("experiment"):
        return None
    windows = [[int(i) for i in ids[: k * HEADROOM]] for ids in lists]
    available = listing_ids_available([i for window in windows for i in window], viewer_id=viewer_id)
    a_ids, b_ids = ([i for i in window if i in available] for window in windows)
    ids, labels = interleave_for(experiment, viewer_key=f"u{viewer_id}", request_id=request_id, a_ids=a_ids,
                                 b_ids=b_ids, k=k)
    return StoredRow("home_for_you", "Picked for you", experiment.name, ids, recommenders=labels)


def home_serve(*, viewer_id: int | None, k: int = 12, card_k: int = 8) -> tuple[Slate, UnitCards]:
    """The homepage: its rows ("for you", "next up", "popular now") and its interest-unit cards, one read each."""
    stored = _home_stored(viewer_id)
    slate = Slate()
    slate.rows, cards = slate_fill(_home_rows(stored, viewer_id=viewer_id, request_id=slate.request_id, k=k),
                                   viewer_id=viewer_id, k=k, cards=stored.cards, card_k=card_k)
    return slate, UnitCards(cards=cards, request_id=slate.request_id)


def home_rows_serve(*, viewer_id: int | None, k: int = 12) -> Slate:
    stored = _home_stored(viewer_id)
    slate = Slate()
    slate.rows, _ = slate_fill(_home_rows(stored, viewer_id=viewer_id, request_id=slate.request_id, k=k),
                               viewer_id=viewer_id, k=k)
    return slate


def unit_cards_serve(*, viewer_id: int | None, k: int = 8) -> UnitCards:
    stored = _home_stored(viewer_id)
    _, cards = slate_fill([], viewer_id=viewer_id, k=0, cards=stored.cards, card_k=k)
    return UnitCards(cards=cards)


# -- the view-item page ------------------------------------------------------------------------------------------
def _personal(kind: str, viewer_id: int | None, ident: int, *models: str) -> StoredSlate | None:
    """A viewer's personal slate of a page, while one of `models` serves (else every viewer shares the page's)."""
    if viewer_id is None or all(served_version(name) is None for name in models):
        return None
    key = f"{kind}-for:{viewer_id}:{ident}"
    stored = slate_get(key, durable=False)
    if stored is None or slate_is_stale(stored, max_age=refresh_seconds(), now=time.time()):
        if slate_refresh_request(key) and _refreshed_inline():
            stored = slate_get(key, durable=False) or stored
    return stored


def item_serve(*, listing_id: int, viewer_id: int | None, k: int = 12) -> Slate:
    """A listing's page rows (also for a sold or removed listing: its page is where a late shopper looks for the
    next one); 404 for an unknown listing. Until the listing's slate exists, the popular row stands in."""
    shared = slate_read(f"item:{listing_id}", exists=Listing.objects.filter(pk=listing_id).exists)
    if shared is None:  # a listing whose slate is being computed, or no listing at all
        get_object_or_404(Listing.objects.only("id"), pk=listing_id)
    # A viewer's own rows are asked for only once the listing's exist (so never for an unknown id).
    personal = _personal("item", viewer_id, listing_id, "pwprec", "ranker") if shared is not None else None
    stored = personal or shared
    rows = stored.rows if stored is not None else [_popular_row()]
    filled, _ = slate_fill(rows, viewer_id=viewer_id, k=k, shown={listing_id})
    return Slate(rows=filled)


# -- an interest unit's page -------------------------------------------------------------------------------------
def unit_page_serve(*, unit_id: int, viewer_id: int | None, k: int = 60) -> UnitPage:
    """A unit's items ranked for the viewer (404 for an unknown unit). Until the unit's slate exists, its newest
    active items stand in."""
    shared = slate_read(f"unit:{unit_id}", exists=InterestUnit.objects.filter(pk=unit_id).exists)
    personal = _personal("unit", viewer_id, unit_id, unit_ranking.MODEL_NAME) if shared is not None else None
    stored = personal or shared
    if stored is None or not stored.rows:
        unit = get_object_or_404(InterestUnit, pk=unit_id)
        ref = UnitRef.of(unit)
        stored = StoredSlate(rows=[StoredRow("iu_items", unit.title, "iu_popularity",
                                             unit_member_ids_active(unit_id, limit=k * HEADROOM), unit=ref)],
                             extra={"active": unit.active_count, "sold": 0, "low": None, "high": None})
    row = stored.rows[0]
    filled, _ = slate_fill([row], viewer_id=viewer_id, k=k)
    extra = stored.extra
    return UnitPage(
        unit=row.unit, listings=filled[0].listings if filled else [], active_count=int(extra.get("active", 0)),
        sold_count=int(extra.get("sold", 0)), recommender=row.recommender,
        min_price=None if extra.get("low") is None else Decimal(extra["low"]),
        max_price=None if extra.get("high") is None else Decimal(extra["high"]),
    )
