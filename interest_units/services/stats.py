"""Unit statistics (IU4Rec 4.2.1): daily counters per unit, user x unit cross features, and the unit features
derived from them (1 / 7 / 30-day windows, smoothed CTR, member counts, price range).

Every counter is a recount from the event table through the current memberships, never a blind increment, so
applying the same events twice changes nothing.

A unit's daily counters are shared by every viewer (they rank the homepage's unit cards), so each counts people,
not requests: the signed-in users who were shown, clicked, liked, carted or made an offer in the unit that day, each
once (purchases count orders: each is a real sale). Anonymous traffic is logged but does not vote, and a handful
of page views from one or two users cannot take over a shared surface. The user x unit features are the user's
own and count every event. Events arrive incrementally (only the touched unit-days and
user-unit pairs are recounted) and a periodic full refresh recounts recent days of every live unit. Sold members
stay members, so a unit's counters keep what its sold items earned. Retired units are frozen as they were.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from interest_units.models import InterestUnit, InterestUnitMember, UnitDailyStats, UserUnitStats
from interest_units.services.sql import bulk_update_fast
from marketplace.models import Event, EventAction, Listing

log = logging.getLogger(__name__)

# Which counter each event action feeds (a view is a click on a shown item; offers are IU4Rec's inquiries).
ACTION_COUNTER: dict[str, str] = {
    EventAction.IMPRESSION: "impressions",
    EventAction.ITEM_VIEW: "clicks",
    EventAction.ITEM_LIKE: "likes",
    EventAction.ITEM_ADD_TO_CART_TAP: "cart_adds",
    EventAction.OFFER_MAKE: "offers",
    EventAction.BUY_COMP: "purchases",
}
COUNTERS = list(dict.fromkeys(ACTION_COUNTER.values()))
WINDOWS = {"1d": 1, "7d": 7, "30d": 30}
CTR_PRIOR_WEIGHT = 50.0  # impressions' worth of the global CTR added to every unit (Beta smoothing)
CTR_PRIOR_DEFAULT = 0.05  # used until there are enough impressions to measure the global rate
REFRESH_DAYS = 35  # the full refresh recounts this many recent days (older days are settled)
# Minimum evidence: a unit is "popular" only once this many person-days of clicks back it (ranking.units).
POPULAR_MIN_CLICKS = 3

T_EVENT = Event._meta.db_table
T_MEMBER = InterestUnitMember._meta.db_table
T_DAILY = UnitDailyStats._meta.db_table
T_CROSS = UserUnitStats._meta.db_table
T_UNIT = InterestUnit._meta.db_table
T_LISTING = Listing._meta.db_table

_COUNT_COLUMNS = ", ".join(
    f"count(*) FILTER (WHERE e.action = '{action}') AS {counter}" for action, counter in ACTION_COUNTER.items()
)
# The shared daily counters: distinct signed-in users per unit-day (orders for purchases), see the docstring.
_PEOPLE_COLUMNS = ", ".join(
    f"count({'*' if action == EventAction.BUY_COMP else 'DISTINCT e.user_id'}) FILTER (WHERE e.action = '{action}')"
    f" AS {counter}"
    for action, counter in ACTION_COUNTER.items()
)
_ZERO = ", ".join(f"{c} = 0" for c in COUNTERS)
_EXCLUDED = ", ".join(f"{c} = EXCLUDED.{c}" for c in COUNTERS)
_ALL_ZERO = " AND ".join(f"{c} = 0" for c in COUNTERS)
_ACTIONS = "(" + ", ".join(f"'{a}'" for a in ACTION_COUNTER) + ")"


def _utc_day(value: dt.datetime) -> dt.date:
    return value.astimezone(dt.UTC).date()


def unit_stats_apply_events(*, event_ids: Iterable[int]) -> int:
    """Recount the unit-days and user-unit pairs these events touch. Returns how many pairs were recounted."""
    events = list(
        Event.objects.filter(pk__in=list(event_ids), action__in=list(ACTION_COUNTER), listing__isnull=False,
                             user__isnull=False)
        .values_list("user_id", "listing_id", "created_at")
    )
    if not events:
        return 0
    units_of: dict[int, list[int]] = {}
    for listing_id, unit_id in InterestUnitMember.objects.filter(
        listing_id__in={e[1] for e in events}, unit__retired_at__isnull=True
    ).values_list("listing_id", "unit_id"):
        units_of.setdefault(listing_id, []).append(unit_id)
    unit_days: set[tuple[int, dt.date]] = set()
    user_units: set[tuple[int, int]] = set()
    for user_id, listing_id, created_at in events:
        for unit_id in units_of.get(listing_id, []):
            unit_days.add((unit_id, _utc_day(created_at)))
            if user_id is not None:
                user_units.add((user_id, unit_id))
    if not unit_days:
        return 0
    with transaction.atomic():
        _daily_recount(sorted(unit_days))
        _cross_recount(sorted(user_units))
        unit_features_recompute(unit_ids={u for u, _ in unit_days})
    return len(unit_days) + len(user_units)


def _daily_recount(unit_days: list[tuple[int, dt.date]]) -> None:
    units = [u for u, _ in unit_days]
    days = [d for _, d in unit_days]
    pairs = "SELECT * FROM unnest(%s::bigint[], %s::date[]) AS p(unit_id, day)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {T_DAILY} s SET {_ZERO} FROM ({pairs}) p WHERE s.unit_id = p.unit_id AND s.day = p.day",
            [units, days],
        )
        cursor.execute(
            f"""
            INSERT INTO {T_DAILY} (unit_id, day, {", ".join(COUNTERS)})
            SELECT p.unit_id, p.day, {_PEOPLE_COLUMNS}
            FROM ({pairs}) p
            JOIN {T_MEMBER} m ON m.unit_id = p.unit_id
            JOIN {T_EVENT} e ON e.listing_id = m.listing_id
                AND e.created_at >= (p.day::timestamp AT TIME ZONE 'UTC')
                AND e.created_at < ((p.day + 1)::timestamp AT TIME ZONE 'UTC')
            WHERE e.action IN {_ACTIONS} AND e.user_id IS NOT NULL
            GROUP BY p.unit_id, p.day
            ON CONFLICT (unit_id, day) DO UPDATE SET {_EXCLUDED}
            """,
            [units, days],
        )
        cursor.execute(
            f"DELETE FROM {T_DAILY} s USING ({pairs}) p WHERE s.unit_id = p.unit_id AND s.day = p.day AND {_ALL_ZERO}",
            [units, days],
        )


def _cross_recount(user_units: list[tuple[int, int]]) -> None:
    if not user_units:
        return
    users = [u for u, _ in user_units]
    units = [i for _, i in user_units]
    pairs = "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS p(user_id, unit_id)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {T_CROSS} s SET {_ZERO}, last_interaction_at = NULL FROM ({pairs}) p
                WHERE s.user_id = p.user_id AND s.unit_id = p.unit_id""",
            [users, units],
        )
        cursor.execute(
            f"""
            INSERT INTO {T_CROSS} (user_id, unit_id, {", ".join(COUNTERS)}, last_interaction_at)
            SELECT p.user_id, p.unit_id, {_COUNT_COLUMNS},
                   max(e.created_at) FILTER (WHERE e.action <> '{EventAction.IMPRESSION}')
            FROM ({pairs}) p
            JOIN {T_MEMBER} m ON m.unit_id = p.unit_id
            JOIN {T_EVENT} e ON e.listing_id = m.listing_id AND e.user_id = p.user_id
            WHERE e.action IN {_ACTIONS}
            GROUP BY p.user_id, p.unit_id
            ON CONFLICT (user_id, unit_id) DO UPDATE SET {_EXCLUDED},
                last_interaction_at = EXCLUDED.last_interaction_at
            """,
            [users, units],
        )
        cursor.execute(
            f"""DELETE FROM {T_CROSS} s USING ({pairs}) p
                WHERE s.user_id = p.user_id AND s.unit_id = p.unit_id AND {_ALL_ZERO}""",
            [users, units],
        )


def unit_stats_refresh(*, days: int = REFRESH_DAYS, unit_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Recount the last `days` days of live units (every one, or just `unit_ids`: a unit build recounts the units it
    made from the history they already have), their user x unit pairs and their features. Idempotent; what the
    periodic task runs."""
    since = timezone.now().date() - dt.timedelta(days=days - 1)
    live = InterestUnit.objects.filter(retired_at__isnull=True)
    if unit_ids is not None:
        live = live.filter(pk__in=list(unit_ids))
    units = list(live.values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {T_DAILY} SET {_ZERO} WHERE day >= %s AND unit_id = ANY(%s)", [since, units])
        cursor.execute(
            f"""
            INSERT INTO {T_DAILY} (unit_id, day, {", ".join(COUNTERS)})
            SELECT m.unit_id, (e.created_at AT TIME ZONE 'UTC')::date AS day, {_PEOPLE_COLUMNS}
            FROM {T_EVENT} e
            JOIN {T_MEMBER} m ON m.listing_id = e.listing_id
            WHERE m.unit_id = ANY(%s) AND e.action IN {_ACTIONS} AND e.user_id IS NOT NULL
                AND e.created_at >= (%s::timestamp AT TIME ZONE 'UTC')
            GROUP BY 1, 2
            ON CONFLICT (unit_id, day) DO UPDATE SET {_EXCLUDED}
            """,
            [units, since],
        )
        cursor.execute(f"DELETE FROM {T_DAILY} WHERE day >= %s AND unit_id = ANY(%s) AND {_ALL_ZERO}", [since, units])
        cursor.execute(f"UPDATE {T_CROSS} SET {_ZERO}, last_interaction_at = NULL WHERE unit_id = ANY(%s)", [units])
        cursor.execute(
            f"""
            INSERT INTO {T_CROSS} (user_id, unit_id, {", ".join(COUNTERS)}, last_interaction_at)
            SELECT e.user_id, m.unit_id, {_COUNT_COLUMNS},
                   max(e.created_at) FILTER (WHERE e.action <> '{EventAction.IMPRESSION}')
            FROM {T_EVENT} e
            JOIN {T_MEMBER} m ON m.listing_id = e.listing_id
            WHERE m.unit_id = ANY(%s) AND e.action IN {_ACTIONS} AND e.user_id IS NOT NULL
            GROUP BY 1, 2
            ON CONFLICT (user_id, unit_id) DO UPDATE SET {_EXCLUDED},
                last_interaction_at = EXCLUDED.last_interaction_at
            """,
            [units],
        )
        cursor.execute(f"DELETE FROM {T_CROSS} WHERE unit_id = ANY(%s) AND {_ALL_ZERO}", [units])
        recomputed = unit_features_recompute(unit_ids=units)
    return {
        "units": recomputed,
        "daily_rows": UnitDailyStats.objects.filter(day__gte=since, unit_id__in=units).count(),
        "user_unit_rows": UserUnitStats.objects.filter(unit_id__in=units).count(),
    }


def ctr_prior(today: dt.date | None = None) -> float:
    """The global 30-day click-through rate of live units, the prior every unit's CTR is smoothed towards."""
    today = today or timezone.now().date()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT coalesce(sum(s.clicks), 0), coalesce(sum(s.impressions), 0) FROM {T_DAILY} s
                JOIN {T_UNIT} u ON u.id = s.unit_id AND u.retired_at IS NULL WHERE s.day >= %s""",
            [today - dt.timedelta(days=29)],
        )
        clicks, impressions = cursor.fetchone()
    if impressions < 100:
        return CTR_PRIOR_DEFAULT
    return min(max(clicks / impressions, 0.001), 0.5)


def smoothed_ctr(clicks: int, impressions: int, prior: float) -> float:
    return round(min(1.0, (clicks + CTR_PRIOR_WEIGHT * prior) / (impressions + CTR_PRIOR_WEIGHT)), 5)


def unit_features_recompute(*, unit_ids: Iterable[int], windows: bool = True) -> int:
    """Member counts, active price range and (with `windows`) windowed counters and CTR of these units."""
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return 0
    today = timezone.now().date()
    members: dict[int, tuple] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT m.unit_id, count(*),
                   count(*) FILTER (WHERE l.status = 'active'), count(*) FILTER (WHERE l.status = 'sold'),
                   min(l.price) FILTER (WHERE l.status = 'active'), max(l.price) FILTER (WHERE l.status = 'active'),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY l.price) FILTER (WHERE l.status = 'active')
            FROM {T_MEMBER} m JOIN {T_LISTING} l ON l.id = m.listing_id
            WHERE m.unit_id = ANY(%s) GROUP BY m.unit_id
            """,
            [unit_ids],
        )
        for row in cursor.fetchall():
            members[row[0]] = row[1:]
    sums: dict[int, dict[str, dict[str, int]]] = {}
    prior = 0.0
    if windows:
        prior = ctr_prior(today)
        first = today - dt.timedelta(days=max(WINDOWS.values()) - 1)
        for row in UnitDailyStats.objects.filter(unit_id__in=unit_ids, day__gte=first).values("unit_id", "day",
                                                                                               *COUNTERS):
            age = (today - row["day"]).days
            per_window = sums.setdefault(row["unit_id"], {w: dict.fromkeys(COUNTERS, 0) for w in WINDOWS})
            for window, length in WINDOWS.items():
                if age < length:
                    for counter in COUNTERS:
                        per_window[window][counter] += row[counter]
    now = timezone.now()
    fields = ["member_count", "active_count", "sold_count", "price_min", "price_max", "price_median"]
    if windows:
        fields += ["window_stats", "ctr", "purchases_30d", "stats_refreshed_at"]
    with transaction.atomic():
        # Rows locked in id order: concurrent placements and event tasks touching the same units cannot deadlock.
        units = list(InterestUnit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk"))
        _features_fill(units, members, sums if windows else None, prior, now)
        bulk_update_fast(units, fields)
    return len(units)


def _features_fill(units: list[InterestUnit], members: dict[int, tuple], sums: dict | None, prior: float,
                   now: dt.datetime) -> None:
    for unit in units:
        total, active, sold, low, high, median = members.get(unit.pk, (0, 0, 0, None, None, None))
        unit.member_count, unit.active_count, unit.sold_count = total, active, sold
        unit.price_min, unit.price_max = low, high
        unit.price_median = Decimal(str(round(median, 2))) if median is not None else None
        if sums is not None:
            per_window = sums.get(unit.pk, {w: dict.fromkeys(COUNTERS, 0) for w in WINDOWS})
            for counts in per_window.values():
                counts["ctr"] = smoothed_ctr(counts["clicks"], counts["impressions"], prior)
            unit.window_stats = per_window
            unit.ctr = per_window["30d"]["ctr"]
            unit.purchases_30d = per_window["30d"]["purchases"]
            unit.stats_refreshed_at = now
