"""Computing slates, off the request path: what each surface shows, as candidate ids with headroom.

Workers (`surfaces.refresh`) call these when a viewer's events arrive, when a listing is created, when a model
version is activated or a serving slot's choice changes (its slates turn stale and are recomputed on their next
read) and periodically; requests only read what they stored (`surfaces.serve`). A row source that is a serving slot
(`recommender.serving.slots`: "for you", "next up", "picked for you") serves the contender `train` chose on the
evidence (`SurfaceChoice`); without a choice, or when the chosen model no longer serves, it follows the rule
"model served, else baseline".
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict
from itertools import zip_longest

from django.db.models import Count, Max, Min, Q

from experiments.selectors import arm_for, running_experiment
from interest_units.models import InterestUnit, InterestUnitMember, UserUnitStats
from interest_units.selectors import units_representative_listings
from marketplace.models import MODEL_VECTOR_COLUMNS, Event, Listing, ListingStatus
from recommender.base import Query
from recommender.ranking import units as unit_ranking
from recommender.serving.loading import served_choices, served_model, user_vectors_get
from recommender.serving.retrieval import nearest_listing_ids, vector_array, vector_searches
from recommender.serving.shared_lists import SharedList, shared_list_get
from recommender.serving.slots import SLOTS, slot_source
from recommender.surfaces.candidates import (
    INTEREST_WEIGHTS,
    ROW_IDS,
    ViewerHistory,
    because_label,
    co_viewed_listing_ids,
    distinct_vectors,
    mean_vector,
    model_vector_ids,
    popular_listing_ids,
    similar_listing_ids,
    unit_member_ids_active,
    unit_of_listing,
)
from recommender.surfaces.ranking import rows_rerank, served_ranker
from recommender.surfaces.types import StoredCard, StoredRow, StoredSlate, UnitRef

CARDS = 24  # unit cards stored per viewer (the homepage shows 8)
CARD_CANDIDATES = 3  # listings per card: the first still available is shown
UNIT_PAGE_IDS = unit_ranking.STAGE2_MAX_ITEMS


# -- home ------------------------------------------------------------------------------------------------------
HOME_SURFACE = "home_rows"  # the home rows' name for online experiments (experiments.models)
INTERLEAVE_IDS = ROW_IDS  # each interleaved arm's stored ranking (headroom for listings that sell)
HOME_SLOTS = ("home_for_you", "home_next_up")


def home_compute(*, history: ViewerHistory) -> StoredSlate:
    """A signed-in viewer's homepage: "for you" rows per interest and "next up", each from the contender chosen
    for its slot (`_home_rows_chosen`) and re-ranked by the active ranker, and the interest-unit cards (IU-Boosted
    when served, else popular units). The "popular now" row is shared by every viewer and added when the page is
    served. The slots' choices are recorded in the slate (`extra["choices"]`): a new choice stales it.

    While an A/B experiment runs on the home rows, the viewer's arm picks the source of their rows, which carry the
    arm's label (in the one-row layout, the arm's ranking as one row: `home_arm_ranking`). While an interleaving
    experiment runs, both arms' rankings are stored (`extra["interleave"]`) and each request merges them by team
    draft (`surfaces.serve`)."""
    choices = served_choices(wait=True)
    slate = StoredSlate(extra={"surface": HOME_SURFACE, "experiment": None,
                               "choices": {slot: choices.get(slot) for slot in HOME_SLOTS}})
    viewer_id = history.user_id
    recent = history.recent_listing_ids()
    experiment = running_experiment(HOME_SURFACE)
    if experiment is not None and experiment.is_interleaving:
        slate.extra["experiment"] = experiment.name
        slate.extra["interleave"] = [
            home_arm_ranking(_home_rows(arm.model, history, recent, slate.versions, choices=choices))
            for arm in experiment.arm_list
        ]
    else:
        arm = arm_for(experiment, f"u{viewer_id}") if experiment is not None else None
        slate.rows = _home_rows(arm.model if arm is not None else None, history, recent, slate.versions,
                                choices=choices)
        if experiment is not None and arm is not None:
            # impressions name the arm: the experiment's results read them back
            slate.extra["experiment"] = experiment.name
            if experiment.shows_one_row:
                # the arm's ranking in the one row an interleaving would show; the popular row stays everyone's
                slate.rows = [StoredRow("home_for_you", "Picked for you", arm.label(experiment.name),
                                        home_arm_ranking(slate.rows))]
            else:
                slate.extra["arm"] = arm.name
                for row in slate.rows:
                    row.recommender = arm.label(experiment.name)
    slate.cards = unit_cards_compute(viewer_id=viewer_id, history=history, versions=slate.versions)
    return slate


def _home_rows(source: str | None, history: ViewerHistory, recent: list[int],
               versions: dict[str, int], *, choices: dict[str, str]) -> list[StoredRow]:
    """The personal home rows from `source` (None: the product's choice, `_home_rows_chosen`), or an experiment
    arm's recommender: "pwprec" / "mercatran" (the models' rows when served), "content", "cooccurrence", "ranker"
    (the baselines re-ranked), or "popularity" (no personal rows: the shared row only). `choices`: the slots'
    choices the slate records, read once per slate."""
    if not recent:
        return []
    if source is None:
        return _home_rows_chosen(history, recent, versions, choices)
    viewer_id = history.user_id
    rows: list[StoredRow] = []
    if source in ("pwprec", "mercatran"):
        rows = _home_model_rows(viewer_id, recent, versions)
    if source in ("content", "ranker"):
        rows = _home_content_rows(viewer_id, recent) + rows
    ranker = served_ranker() if source in ("ranker", "pwprec", "content") else None
    if ranker is not None:
        versions["ranker"] = ranker[0]
        rows_rerank(rows, ranker=ranker[1], query=history.query(surface="home"))
    if source in ("cooccurrence", "content", "pwprec", "ranker") and not any(
            row.surface == "home_next_up" for row in rows):
        rows.append(_co_viewed_row(recent))
    return rows


def _home_rows_chosen(history: ViewerHistory, recent: list[int], versions: dict[str, int],
                      choices: dict[str, str]) -> list[StoredRow]:
    """The product's home rows: per slot the contender chosen on the evidence: a model's rows, a baseline's
    ("content": content kNN "for you" rows; "cooccurrence": "next up" from the last item viewed), or none
    ("popularity": the shared "popular now" row stands for it). Without a choice, or when the chosen model no
    longer serves: the served models' rows, else the slot's baseline; so is a chosen model that has no vectors
    for this viewer yet. Then the ranker re-ranks them."""
    viewer_id = history.user_id
    for_you_slot, next_up_slot = SLOTS["home_for_you"], SLOTS["home_next_up"]
    served = {name: model for name in (*for_you_slot.models, *next_up_slot.models)
              if (model := served_model(name, wait=True)) is not None}
    for_you = slot_source(for_you_slot, choices.get(for_you_slot.name), served=set(served))
    next_up = slot_source(next_up_slot, choices.get(next_up_slot.name), served=set(served))
    for name, (version_id, _) in served.items():
        source = for_you if name in for_you_slot.models else next_up
        if source not in (None, name):  # passed over by the choice: the slate holds under this version all the same
            versions[name] = version_id
    rows = _home_model_rows(viewer_id, recent, versions,
                            spaces=[name for name in for_you_slot.models if for_you in (None, name)],
                            next_up=next_up in (None, "mercatran"))
    if for_you != "popularity" and not any(row.surface == "home_for_you" for row in rows):
        rows = _home_content_rows(viewer_id, recent) + rows
    ranker = served_ranker()
    if ranker is not None:
        versions["ranker"] = ranker[0]
        rows_rerank(rows, ranker=ranker[1], query=history.query(surface="home"))
    if next_up != "popularity" and not any(row.surface == "home_next_up" for row in rows):
        rows.append(_co_viewed_row(recent))
    return rows


def _co_viewed_row(recent: list[int]) -> StoredRow:
    return StoredRow("home_next_up", "Next up for you", "cooccurrence", co_viewed_listing_ids(recent[0]),
                     exclude=recent)


def home_arm_ranking(rows: list[StoredRow], *, limit: int = INTERLEAVE_IDS) -> list[int]:
    """One interleaving arm's ranking: its rows merged round-robin (each row's best first, as a page shows them
    top to bottom), then the shared popular listings, so an arm without personal rows (popularity, a new viewer)
    still ranks something."""
    per_row = [[i for i in row.ids if i not in set(row.exclude)] for row in rows]
    merged = [i for group in zip_longest(*per_row) for i in group if i is not None]
    return list(dict.fromkeys(merged + popular_listing_ids()))[:limit]


def _home_model_rows(viewer_id: int, recent: list[int], versions: dict[str, int], *,
                     spaces: list[str] | None = None, next_up: bool = True) -> list[StoredRow]:
    """PWPRec's interest rows and Mercatran's "next up" row from the viewer's stored vectors (none: no rows). Any
    other model with item vectors (`MODEL_VECTOR_COLUMNS`) serves "for you" rows the way PWPRec does, once active.
    `spaces` (default: every such model) are the models asked for "for you" rows; `next_up`: whether Mercatran is."""
    rows: list[StoredRow] = []
    steps = _vectors(viewer_id, "mercatran", versions) if next_up else None
    if spaces is None:
        spaces = [space for space in MODEL_VECTOR_COLUMNS if space != "mercatran"]
    with vector_searches():
        for space in spaces:
            interests = _vectors(viewer_id, space, versions)
            for vector in distinct_vectors(interests) if interests is not None else []:
                ids = model_vector_ids(vector, space=space, version=versions[space], viewer_id=viewer_id,
                                       exclude=recent)
                rows.append(StoredRow("home_for_you", because_label(vector, space=space, recent=recent), space,
                                      ids))
        if steps is not None:
            # Mercatran's 4 predicted next interactions: one search each, merged round-robin into one diverse row.
            per_step = [model_vector_ids(v, space="mercatran", version=versions["mercatran"], viewer_id=viewer_id,
                                         exclude=recent) for v in steps]
            merged = [i for group in zip_longest(*per_step) for i in group if i is not None]
            rows.append(StoredRow("home_next_up", "Next up for you", "mercatran",
                                  list(dict.fromkeys(merged))[:ROW_IDS]))
    return rows


def _vectors(viewer_id: int, space: str, versions: dict[str, int]):
    served = served_model(space, wait=True)
    if served is None:
        return None
    vectors = user_vectors_get(user_id=viewer_id, space=space)
    if vectors is not None:
        versions[space] = served[0]
    return vectors


def _home_content_rows(viewer_id: int, recent: list[int]) -> list[StoredRow]:
    """Content kNN rows, one per recent category (the 3 the viewer visited most), around the mean of its items."""
    found = {pk: (c2_id, title) for pk, c2_id, title in
             Listing.objects.filter(pk__in=recent).values_list("pk", "c2_id", "title")}
    by_category: dict[int, list[int]] = defaultdict(list)
    for listing_id in recent:
        by_category[(found[listing_id][0] if listing_id in found else None) or 0].append(listing_id)
    groups = [members for _, members in sorted(by_category.items(), key=lambda kv: -len(kv[1]))[:3]]
    vectors = dict(Listing.objects.filter(pk__in=[i for members in groups for i in members[:10]],
                                          text_embedding__isnull=False).values_list("pk", "text_embedding"))
    rows: list[StoredRow] = []
    with vector_searches():
        for members in groups:
            centre = mean_vector([vector_array(vectors[i]) for i in members[:10] if i in vectors])
            if centre is None:
                continue
            ids = [i for i, _ in nearest_listing_ids(centre, k=ROW_IDS, viewer_id=viewer_id, exclude_ids=recent)]
            rows.append(StoredRow("home_for_you", f"Because you viewed “{found[members[0]][1]}”", "content", ids))
    return rows


# -- interest-unit cards ---------------------------------------------------------------------------------------
def unit_cards_compute(*, viewer_id: int | None, history: ViewerHistory | None,
                       versions: dict[str, int]) -> list[StoredCard]:
    """Stage 1: units ranked by the active IU-Boosted version, each with its best listings for the viewer;
    baseline without one: the viewer's recent units, then units popular this week and the fullest ones, each with
    its newest active listings."""
    query = unit_ranking.viewer_query(viewer_id) if viewer_id is not None else None
    ranked = unit_ranking.unit_cards_ranked(viewer_id=viewer_id, k=CARDS, query=query, per_card=CARD_CANDIDATES)
    if ranked is not None:
        versions[unit_ranking.MODEL_NAME] = served_model(unit_ranking.MODEL_NAME)[0]
        return _cards(ranked, recommender=unit_ranking.MODEL_NAME)
    unit_ids: list[int] = []
    if viewer_id is not None and history is not None and history.events:
        unit_ids += list(
            UserUnitStats.objects.filter(user_id=viewer_id, last_interaction_at__isnull=False)
            .order_by("-last_interaction_at").values_list("unit_id", flat=True)[:CARDS]
        )
    unit_ids += shared_list_get(unit_ranking.POPULAR_UNITS_WEEK)[: CARDS * 2]
    return _newest_cards(list(dict.fromkeys(unit_ids)), viewer_id=viewer_id)[:CARDS]


def _newest_cards(unit_ids: list[int], *, viewer_id: int | None) -> list[StoredCard]:
    """Baseline cards: each unit's picture is its member closest to the unit's centroid (the one that looks most
    like the unit), then its newest members stand in should it sell."""
    pairs, counts = unit_ranking.unit_items_newest(unit_ids, viewer_id, CARD_CANDIDATES)
    listings: dict[int, list[int]] = defaultdict(list)
    for unit_id, listing_id in units_representative_listings(unit_ids=unit_ids, viewer_id=viewer_id).items():
        listings[unit_id].append(listing_id)
    for unit_id, listing_id in pairs:
        if listing_id not in listings[unit_id]:
            listings[unit_id].append(listing_id)
    return _cards([(u, listings[u], counts[u]) for u in unit_ids if u in listings and u in counts],
                  recommender="iu_popularity")


def _cards(ranked: list[tuple[int, list[int], int]], *, recommender: str) -> list[StoredCard]:
    units = InterestUnit.objects.filter(retired_at__isnull=True).only("id", "type", "key", "title").in_bulk(
        [u for u, _, _ in ranked])
    return [StoredCard(unit=UnitRef.of(units[u]), ids=ids, active_count=n, recommender=recommender)
            for u, ids, n in ranked if u in units]


def popular_unit_cards_compute() -> list[dict]:
    """The unit cards of a viewer without a slate of their own (anonymous, new): ranked by IU-Boosted for a viewer
    with no history when it serves, else popular units this week and the fullest ones with their newest listings
    (stored as JSON in a shared list)."""
    return [asdict(card) for card in unit_cards_compute(viewer_id=None, history=None, versions={})]


POPULAR_UNIT_CARDS = SharedList("popular-unit-cards", compute=popular_unit_cards_compute, fallback=list)


# -- the view-item page ----------------------------------------------------------------------------------------
def item_compute(*, listing: Listing) -> StoredSlate:
    """A listing's page rows for any viewer: similar items (content kNN), more from its interest unit, viewed
    together; the similar and viewed-together rows re-ranked by the active ranker for this item."""
    slate = StoredSlate()
    with vector_searches():
        similar = StoredRow("vip_similar", "Similar items", "content", similar_listing_ids(listing))
    unit = unit_of_listing(listing.pk)
    together = StoredRow("vip_cooccurrence", "People also viewed", "cooccurrence", co_viewed_listing_ids(listing.pk))
    ranker = served_ranker()
    if ranker is not None:
        slate.versions["ranker"] = ranker[0]
        query = Query(surface="vip", current_item=listing.pk, timestamp=time.time())
        rows_rerank([similar, together], ranker=ranker[1], query=query)
    slate.rows = [similar]
    if unit is not None:
        slate.rows.append(StoredRow("vip_unit", "More from its interest unit", "iu_members",
                                    unit_member_ids_active(unit.pk, limit=ROW_IDS), unit=unit))
    slate.rows.append(together)
    return slate


def item_for_viewer_compute(*, listing_id: int, history: ViewerHistory, base: StoredSlate) -> StoredSlate | None:
    """A listing's page rows for one viewer: PWPRec's long-short fusion of their session and this item ("picked
    for you", unless a baseline was chosen for that slot: the listing's own rows then serve the page), then the
    listing's rows (`base`) re-ranked by the ranker for this viewer; None when neither model is served (every
    viewer then sees the listing's own rows)."""
    pwprec = served_model("pwprec", wait=True)
    ranker = served_ranker()
    if pwprec is None and ranker is None:
        return None
    slot = SLOTS["vip_for_you"]
    chosen = served_choices(wait=True).get(slot.name)
    slate = StoredSlate(rows=[StoredRow(**vars(row)) for row in base.rows], versions=dict(base.versions),
                        extra={"choices": {slot.name: chosen}})
    query = history.query(surface="vip", current_item=listing_id)
    if pwprec is not None:
        slate.versions["pwprec"] = pwprec[0]  # also when a baseline was chosen: computed under this version
        picks_for_you = slot_source(slot, chosen, served={"pwprec"}) in (None, "pwprec")
        vectors = pwprec[1].user_vectors(query) if picks_for_you else None
        if vectors is not None:
            with vector_searches():
                ids = model_vector_ids(vectors[0], space="pwprec", version=pwprec[0], viewer_id=history.user_id,
                                       exclude=[listing_id])
            slate.rows.insert(0, StoredRow("vip_for_you", "Picked for you, from what you are looking at", "pwprec",
                                           ids))
    if ranker is not None:
        slate.versions["ranker"] = ranker[0]
        rows_rerank([row for row in slate.rows if row.surface != "vip_unit"], ranker=ranker[1], query=query)
    return slate


# -- an interest unit's page (stage 2) --------------------------------------------------------------------------
def unit_page_compute(*, unit: InterestUnit, history: ViewerHistory | None = None,
                      base: StoredSlate | None = None) -> StoredSlate:
    """The unit's active items ranked by the active IU-Boosted version (for `history`'s viewer, or for anyone);
    baseline without one: most interacted-with first, then newest. Its counts and price range ride along."""
    slate = StoredSlate(extra=dict(base.extra) if base is not None else _unit_counts(unit))
    ref = UnitRef.of(unit)
    viewer_id = history.user_id if history is not None else None
    query = unit_ranking.viewer_query(viewer_id) if viewer_id is not None else None
    ranked = unit_ranking.unit_items_ranked(unit_id=unit.pk, viewer_id=viewer_id, query=query)
    if ranked is not None:
        slate.versions[unit_ranking.MODEL_NAME] = served_model(unit_ranking.MODEL_NAME)[0]
        slate.rows = [StoredRow("iu_items", ref.title, unit_ranking.MODEL_NAME, ranked[:UNIT_PAGE_IDS], unit=ref)]
        return slate
    ids = unit_member_ids_active(unit.pk, limit=UNIT_PAGE_IDS)
    popularity = Counter(dict(
        Event.objects.filter(listing_id__in=ids, action__in=list(INTEREST_WEIGHTS), user__isnull=False)
        .values_list("listing_id").annotate(n=Count("user", distinct=True)).values_list("listing_id", "n")
    ))
    ranked = sorted(ids, key=lambda i: -popularity.get(i, 0))  # stable: newest first among ties
    slate.rows = [StoredRow("iu_items", ref.title, "iu_popularity", ranked, unit=ref)]
    return slate


def _unit_counts(unit: InterestUnit) -> dict[str, object]:
    stats = InterestUnitMember.objects.filter(unit=unit).aggregate(
        active=Count("pk", filter=Q(listing__status=ListingStatus.ACTIVE)),
        sold=Count("pk", filter=Q(listing__status=ListingStatus.SOLD)),
        low=Min("listing__price", filter=Q(listing__status=ListingStatus.ACTIVE)),
        high=Max("listing__price", filter=Q(listing__status=ListingStatus.ACTIVE)),
    )
    return {"active": stats["active"], "sold": stats["sold"],
            "low": None if stats["low"] is None else str(stats["low"]),
            "high": None if stats["high"] is None else str(stats["high"])}
