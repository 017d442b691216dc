"""Reads of the interest-unit app: a listing's units, a unit's members and history, nearest units, the unit map."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from pgvector.django import CosineDistance

from interest_units.clustering import semantic_key
from interest_units.embeddings import as_vector
from interest_units.models import BuildStatus, InterestUnit, InterestUnitMember, UnitBuild, UnitDailyStats, UnitType
from interest_units.services.stats import COUNTERS
from marketplace.models import LISTING_AVAILABLE_SQL, Category, Listing, ListingStatus


def unit_list_live(*, unit_type: str | None = None) -> QuerySet[InterestUnit]:
    """Live units (not retired), most active members first."""
    queryset = InterestUnit.objects.filter(retired_at__isnull=True)
    if unit_type:
        queryset = queryset.filter(type=unit_type)
    return queryset.order_by("-active_count", "pk")


def listing_units(*, listing_id: int) -> list[InterestUnit]:
    """The units a listing belongs to (one per type at most), SPU first."""
    order = Case(*[When(type=t, then=Value(i)) for i, t in enumerate(UnitType.values)], output_field=IntegerField())
    return list(InterestUnit.objects.filter(members__listing_id=listing_id).annotate(o=order).order_by("o"))


def unit_members(*, unit_id: int, limit: int = 100) -> list[Listing]:
    """Members, active ones first, then newest first."""
    active_first = Case(When(status=ListingStatus.ACTIVE, then=Value(0)), default=Value(1),
                        output_field=IntegerField())
    return list(
        Listing.objects.filter(unit_memberships__unit_id=unit_id)
        .select_related("brand", "c2").annotate(a=active_first).order_by("a", "-created_at")[:limit]
    )


def unit_representative_listing(*, unit_id: int, viewer_id: int | None = None) -> Listing | None:
    """The active member closest to the unit's centroid (the card picture of IU4Rec stage 1); never the viewer's
    own listing."""
    unit = InterestUnit.objects.filter(pk=unit_id).only("centroid").first()
    if unit is None:
        return None
    queryset = Listing.objects.available_to(viewer_id).filter(unit_memberships__unit_id=unit_id)
    if unit.centroid is not None:
        queryset = queryset.exclude(text_embedding__isnull=True).order_by(
            CosineDistance("text_embedding", unit.centroid), "pk")
    else:
        queryset = queryset.order_by("-created_at")
    return queryset.first()


def units_representative_listings(*, unit_ids: list[int], viewer_id: int | None = None) -> dict[int, int]:
    """{unit id: its active member closest to the unit's text centroid} in one query: the picture a unit card
    shows (the member that looks most like the unit as a whole); never the viewer's own listing."""
    if not unit_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT ON (m.unit_id) m.unit_id, l.id
            FROM {InterestUnitMember._meta.db_table} m
            JOIN {Listing._meta.db_table} l ON l.id = m.listing_id
            JOIN {InterestUnit._meta.db_table} u ON u.id = m.unit_id
            WHERE m.unit_id = ANY(%s) AND {LISTING_AVAILABLE_SQL}
            ORDER BY m.unit_id, (u.centroid IS NULL OR l.text_embedding IS NULL),
                     l.text_embedding <=> u.centroid, l.created_at DESC, l.id
            """,
            [list(unit_ids), viewer_id, viewer_id],
        )
        return dict(cursor.fetchall())


def units_nearest(*, unit: InterestUnit, limit: int = 10, same_type: bool = False) -> list[InterestUnit]:
    """Live units with the closest text centroids (annotated with `distance`, cosine)."""
    if unit.centroid is None:
        return []
    queryset = InterestUnit.objects.filter(retired_at__isnull=True, centroid__isnull=False).exclude(pk=unit.pk)
    if same_type:
        queryset = queryset.filter(type=unit.type)
    return list(queryset.annotate(distance=CosineDistance("centroid", unit.centroid)).order_by("distance")[:limit])


def unit_daily_series(*, unit_id: int, days: int = 30) -> list[dict]:
    """One row per day (oldest first) with every counter, zero-filled."""
    today = timezone.now().date()
    first = today - dt.timedelta(days=days - 1)
    rows = {r["day"]: r for r in UnitDailyStats.objects.filter(unit_id=unit_id, day__gte=first).values("day",
                                                                                                     *COUNTERS)}
    series = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        row = rows.get(day) or {"day": day, **dict.fromkeys(COUNTERS, 0)}
        series.append(row)
    return series


def unit_code_path(*, unit: InterestUnit) -> list[dict]:
    """For a semantic unit, each node of its path with the live unit at that node, if any: level 1 is its category
    (shown by name), the deeper levels its codes within that category."""
    partition = (unit.attributes or {}).get("partition")
    if unit.type != UnitType.SEMANTIC or not partition:
        return []
    keys = [partition] + [semantic_key(unit.codes[:depth], partition) for depth in range(1, len(unit.codes) + 1)]
    found = {u.key: u for u in InterestUnit.objects.filter(type=UnitType.SEMANTIC, retired_at__isnull=True,
                                                           key__in=keys)}
    level, _, category_id = partition.partition(":")
    name = Category.objects.filter(pk=int(category_id)).values_list("name", flat=True).first() if category_id else None
    codes = [name or partition, *unit.codes]
    return [{"level": i + 1, "code": code, "key": key, "unit": found.get(key)}
            for i, (code, key) in enumerate(zip(codes, keys, strict=True))]


def build_latest() -> UnitBuild | None:
    return UnitBuild.objects.filter(status=BuildStatus.DONE).order_by("-finished_at", "-pk").first()


@dataclass
class UnitMap:
    """Live units projected to 2-D (PCA of their text centroids)."""

    ids: list[int]
    titles: list[str]
    types: list[str]
    groups: list[str]  # the colour group of each point (type or top category)
    sizes: list[int]
    xy: np.ndarray  # (n, 2)


def units_map(*, colour_by: str = "type", limit: int = 4000) -> UnitMap:
    """The `limit` largest live units with a centroid, projected on the two main axes of their centroids."""
    rows = list(
        InterestUnit.objects.filter(retired_at__isnull=True, centroid__isnull=False)
        .order_by("-member_count", "pk").values_list("pk", "title", "type", "attributes", "member_count",
                                                     "centroid")[:limit]
    )
    if not rows:
        return UnitMap([], [], [], [], [], np.zeros((0, 2)))
    x = np.array([as_vector(r[5]) for r in rows], dtype=np.float64)
    x -= x.mean(axis=0)
    if len(rows) >= 2:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        xy = x @ vt[:2].T
        if xy.shape[1] < 2:
            xy = np.hstack([xy, np.zeros((len(xy), 1))])
    else:
        xy = np.zeros((1, 2))
    if colour_by == "category":
        names = [r[3].get("top_category") or "(none)" for r in rows]
        top = {name for name, _ in Counter(names).most_common(9)}
        groups = [name if name in top else "other" for name in names]
    else:
        groups = [r[2] for r in rows]
    return UnitMap([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], groups,
                   [r[4] for r in rows], xy)
