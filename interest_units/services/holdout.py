"""Placement quality on held-back listings: would a new listing land in a unit that holds what it is?

A share of the active listings is held back, the units are built on the rest, and the held-back listings are
posted again through `listing_create` and indexed as a seller's new listing is (`listing_index`). For each type the
report counts the listings placed into a unit whose dominant leaf category (and brand, for SPU) is the listing's
own. Everything happens in one transaction that is rolled back: the database is left as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction

from interest_units.clustering import key_base
from interest_units.models import InterestUnit, InterestUnitMember, UnitType
from interest_units.services.building import BuildConfig, interest_units_build
from interest_units.services.embedding import listings_embed
from interest_units.services.placement import listing_index
from marketplace.errors import ApplicationError
from marketplace.models import Listing, ListingStatus
from marketplace.services.listings import listing_create

log = logging.getLogger(__name__)

HOLDOUT_INVALID = "The held-back share must be between 0 and 0.5 (e.g. 0.1), not {value}."
HOLDOUT_TOO_FEW = "Too few active listings to hold any back ({n})."


@dataclass
class HoldoutResult:
    build_report: dict  # the quality report of the build over the listings kept
    placement: dict  # per type: see `_placement_report`
    held_back: int


class _Rollback(Exception):
    """Raised to leave the evaluation's transaction without a trace."""


def placement_holdout_evaluate(*, fraction: float = 0.1, seed: int = 0, types: Sequence[str] | None = None,
                               config: BuildConfig | None = None,
                               report: Callable[[str], None] | None = None) -> HoldoutResult:
    """Hold back `fraction` of the active listings, build on the rest, post them again and measure placement."""
    if not 0 < fraction <= 0.5:
        raise ValueError(HOLDOUT_INVALID.format(value=fraction))
    say = report or log.info
    types = [t for t in UnitType.values if t in (types or UnitType.values)]
    active = np.array(Listing.objects.available_to(None).order_by("pk").values_list("pk", flat=True))
    n_held = int(round(len(active) * fraction))
    if n_held == 0 or n_held == len(active):
        raise ValueError(HOLDOUT_TOO_FEW.format(n=len(active)))
    held = sorted(np.random.default_rng(seed).choice(active, size=n_held, replace=False).tolist())
    result: HoldoutResult | None = None
    try:
        with transaction.atomic():
            Listing.objects.filter(pk__in=held).update(status=ListingStatus.REMOVED)
            build = interest_units_build(types=types, config=config, embed_missing=True, report=say)
            say(f"built on {len(active) - n_held} listings; posting the {n_held} held back again")
            copies = _repost(held)
            listings_embed(listing_ids=list(copies.values()))  # one batch; indexing each then hits the cache
            for done, listing_id in enumerate(copies.values(), start=1):
                listing_index(listing_id=listing_id)
                if done % 200 == 0:
                    say(f"indexed {done}/{len(copies)}")
            result = HoldoutResult(build.report, _placement_report(list(copies.values()), types), len(copies))
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def _repost(listing_ids: list[int]) -> dict[int, int]:
    """{original id: id of the same listing posted anew by its seller}, photo included."""
    copies: dict[int, int] = {}
    for original in Listing.objects.filter(pk__in=listing_ids).select_related("seller", "brand", "c0", "c1", "c2"):
        category = original.c2 or original.c1 or original.c0
        try:
            copy = listing_create(
                seller=original.seller, title=original.title, price=original.price, category=category,
                brand=original.brand, description=original.description, condition=original.condition,
                size=original.size, color=original.color, shipper=original.shipper, source=original.source,
                index=False,
            )
        except ApplicationError as error:  # an imported row the sell form would refuse: not a new listing
            log.info("listing %s cannot be posted again: %s", original.pk, error.message)
            continue
        if original.photo:
            Listing.objects.filter(pk=copy.pk).update(photo=original.photo.name)
        copies[original.pk] = copy.pk
    return copies


def _placement_report(listing_ids: list[int], types: Sequence[str]) -> dict:
    """Per type: listings, placed, placed into a unit whose dominant leaf (SPU: and brand) is the listing's.

    SPU counts only listings whose brand + leaf unit exists ("eligible"); semantic and image count every listing,
    and report the match share both of the placed ones and of all.
    """
    listings = {x.pk: x for x in Listing.objects.filter(pk__in=listing_ids)}
    memberships = {(m[0], m[1]): m[2] for m in InterestUnitMember.objects.filter(listing_id__in=listing_ids)
                   .values_list("listing_id", "type", "unit_id")}
    units = {u.pk: u for u in InterestUnit.objects.filter(retired_at__isnull=True)}
    spu_products = {key_base(u.key) for u in units.values() if u.type == UnitType.SPU}
    out: dict[str, dict] = {}
    for unit_type in types:
        judged = [x for x in listings.values() if unit_type != UnitType.IMAGE or x.photo]
        if unit_type == UnitType.SPU:
            judged = [x for x in judged if x.brand_id and x.c2_id and f"p{x.brand_id}-{x.c2_id}" in spu_products]
        placed = matched = 0
        for listing in judged:
            unit = units.get(memberships.get((listing.pk, unit_type), -1))
            if unit is None:
                continue
            placed += 1
            attrs = unit.attributes or {}
            same_leaf = attrs.get("top_leaf_id") == listing.c2_id
            same_brand = unit_type != UnitType.SPU or attrs.get("top_brand_id") == listing.brand_id
            matched += int(same_leaf and same_brand)
        out[unit_type] = {
            "listings": len(judged), "placed": placed, "matched": matched,
            "placed_share": round(placed / len(judged), 4) if judged else 0.0,
            "match_share_of_placed": round(matched / placed, 4) if placed else 0.0,
            "match_share": round(matched / len(judged), 4) if judged else 0.0,
        }
    return out


def placement_report_lines(result: HoldoutResult) -> list[str]:
    """The placement part of the report, as lines for a terminal."""
    lines = [f"placement of {result.held_back} held-back listings posted anew:"]
    for unit_type, row in result.placement.items():
        scope = "with their brand + leaf unit" if unit_type == UnitType.SPU else "in all"
        what = "brand and leaf" if unit_type == UnitType.SPU else "leaf"
        lines.append(
            f"  {unit_type}: {row['listings']} {scope}, {row['placed_share']:.1%} placed; {what} match "
            f"{row['match_share_of_placed']:.1%} of the placed ({row['match_share']:.1%} of all)"
        )
    return lines
