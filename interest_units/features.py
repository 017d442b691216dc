"""IU-level and user x IU feature vectors for the rankers (IU4Rec 4.2.1), read from the stored unit features.

Counts enter as log1p; CTRs are the smoothed ones; the vectors keep the order of the *_FEATURE_NAMES lists.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
from django.utils import timezone

from interest_units.models import InterestUnit, UserUnitStats
from interest_units.services.stats import COUNTERS, WINDOWS

UNIT_FEATURE_NAMES: list[str] = (
    [f"{counter}_{window}" for window in WINDOWS for counter in COUNTERS]
    + [f"ctr_{window}" for window in WINDOWS]
    + ["active_count", "sold_count", "sold_share", "price_median"]
)
USER_UNIT_FEATURE_NAMES: list[str] = [*COUNTERS, "days_since_last_interaction"]
NEVER_DAYS = 365.0  # days_since_last_interaction when the user never acted on the unit


def unit_feature_vector(unit: InterestUnit) -> np.ndarray:
    values: list[float] = []
    stats = unit.window_stats or {}
    for window in WINDOWS:
        counts = stats.get(window, {})
        values.extend(math.log1p(counts.get(counter, 0)) for counter in COUNTERS)
    values.extend(float(stats.get(window, {}).get("ctr", unit.ctr)) for window in WINDOWS)
    values += [
        math.log1p(unit.active_count),
        math.log1p(unit.sold_count),
        unit.sold_count / unit.member_count if unit.member_count else 0.0,
        math.log1p(float(unit.price_median or 0)),
    ]
    return np.asarray(values, dtype=np.float32)


def unit_feature_vectors(*, unit_ids: Iterable[int] | None = None) -> dict[int, np.ndarray]:
    """Unit id -> (len(UNIT_FEATURE_NAMES),) float32; every live unit when `unit_ids` is None."""
    queryset = InterestUnit.objects.all() if unit_ids is not None else InterestUnit.objects.filter(
        retired_at__isnull=True)
    if unit_ids is not None:
        queryset = queryset.filter(pk__in=list(unit_ids))
    fields = ["window_stats", "ctr", "active_count", "sold_count", "member_count", "price_median"]
    return {unit.pk: unit_feature_vector(unit) for unit in queryset.only(*fields)}


def user_unit_feature_vectors(*, user_id: int, unit_ids: Iterable[int] | None = None,
                              now: dt.datetime | None = None) -> dict[int, np.ndarray]:
    """Unit id -> (len(USER_UNIT_FEATURE_NAMES),) float32 for the units this user interacted with (or `unit_ids`,
    zeros for the ones without interactions)."""
    now = now or timezone.now()
    queryset = UserUnitStats.objects.filter(user_id=user_id)
    wanted = list(unit_ids) if unit_ids is not None else None
    if wanted is not None:
        queryset = queryset.filter(unit_id__in=wanted)
    out: dict[int, np.ndarray] = {}
    for row in queryset.values("unit_id", "last_interaction_at", *COUNTERS):
        last = row["last_interaction_at"]
        days = (now - last).total_seconds() / 86400 if last else NEVER_DAYS
        out[row["unit_id"]] = np.asarray([math.log1p(row[c]) for c in COUNTERS] + [min(days, NEVER_DAYS)],
                                         dtype=np.float32)
    for unit_id in wanted or []:
        out.setdefault(unit_id, np.asarray([0.0] * len(COUNTERS) + [NEVER_DAYS], dtype=np.float32))
    return out
