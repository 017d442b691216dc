"""Unit titles: generated from the members' content (interest_units.titles), saved only when they change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from interest_units.models import InterestUnit, InterestUnitMember, UnitType
from interest_units.services.sql import bulk_update_fast
from interest_units.titles import (
    KIND_BRAND,
    KIND_CATEGORY,
    KIND_IMAGE,
    KIND_PRODUCT,
    KIND_SEMANTIC,
    TitleInput,
    titles_generate,
)
from marketplace.models import Condition, ListingStatus

TITLE_SAMPLE = 200  # member titles read per unit (active first, then sold, oldest id first: deterministic)
SPLIT_LABELS = {"size": "size {}", "color": "{}", "condition": "{}"}


def _qualifier(attributes: dict) -> str:
    parts = []
    for attr, value in attributes.get("split", []):
        if value == "*":
            parts.append(f"other {'colours' if attr == 'color' else attr + 's'}")
        elif attr == "condition" and value.isdigit():
            parts.append(Condition(int(value)).label)
        else:
            parts.append(SPLIT_LABELS.get(attr, "{}").format(value.upper() if attr == "size" else value.title()))
    return ", ".join(parts)


SPU_KINDS = {"product": (KIND_PRODUCT, 2), "leaf": (KIND_CATEGORY, 2), "c1": (KIND_CATEGORY, 1),
             "c0": (KIND_CATEGORY, 0), "brand": (KIND_BRAND, None)}


def _title_inputs(units: Sequence[InterestUnit]) -> list[TitleInput]:
    rows: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        InterestUnitMember.objects.filter(unit_id__in=[u.pk for u in units])
        .order_by("unit_id", "listing_id")
        .values_list("unit_id", "listing__status", "listing__title", "listing__brand__name", "listing__c0__name",
                      "listing__c1__name", "listing__c2__name", "listing__color", "listing__price")
    ):
        rows[row[0]].append(row[1:])
    inputs = []
    for unit in units:
        members = rows.get(unit.pk, [])
        members.sort(key=lambda r: r[0] != ListingStatus.ACTIVE)  # stable: active first, then by id
        sample = members[:TITLE_SAMPLE]
        attrs = unit.attributes or {}
        kind, level = (KIND_SEMANTIC if unit.type == UnitType.SEMANTIC else KIND_IMAGE), None
        if unit.type == UnitType.SPU:
            kind, level = SPU_KINDS.get(attrs.get("kind", ""), (KIND_CATEGORY, None))
        inputs.append(TitleInput(
            titles=[r[1] for r in sample],
            brands=[r[2] or "" for r in sample],
            categories=[(r[3] or "", r[4] or "", r[5] or "") for r in sample],
            kind=kind,
            fixed_brand=attrs.get("brand_name", "") if kind in (KIND_PRODUCT, KIND_BRAND) else "",
            category_level=level,
            qualifier=_qualifier(attrs) if unit.type == UnitType.SPU else "",
            prices=[float(r[7]) for r in sample if r[0] == ListingStatus.ACTIVE],
            colours=[r[6] or "" for r in sample],
        ))
    return inputs


def interest_units_retitle(*, unit_types: Iterable[str] | None = None, unit_ids: Iterable[int] | None = None) -> int:
    """Regenerate the titles of live units (of `unit_types`, or of the types of `unit_ids`). Titles are compared
    across all live units of a type, so a whole type is retitled at once. Returns how many titles changed."""
    if unit_ids is not None:
        unit_types = set(InterestUnit.objects.filter(pk__in=list(unit_ids)).values_list("type", flat=True))
    changed = 0
    for unit_type in unit_types or UnitType.values:
        units = list(InterestUnit.objects.filter(type=unit_type, retired_at__isnull=True).order_by("pk"))
        if not units:
            continue
        titles = titles_generate(_title_inputs(units))
        dirty = []
        for unit, title in zip(units, titles, strict=True):
            if unit.title != title:
                unit.title = title
                dirty.append(unit)
        bulk_update_fast(dirty, ["title"])
        changed += len(dirty)
    return changed
