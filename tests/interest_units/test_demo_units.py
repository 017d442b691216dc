"""Units built on a small seeded demo: titles a shopper can read, and statistics from the whole seeded history."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models.functions import TruncDate

from interest_units.models import InterestUnit, InterestUnitMember, UnitType
from marketplace.models import Event, Listing

pytestmark = pytest.mark.django_db

DEMO = {"users": 60, "listings": 400, "days": 20, "seed": 5}  # 20 days: all inside the 30-day window


@pytest.fixture
def demo_units(media):
    call_command("seed_demo", **DEMO)
    call_command("build_interest_units", "--seed", "0")
    return list(InterestUnit.objects.filter(retired_at__isnull=True).order_by("pk"))


def _words(text: str) -> set[str]:
    words = set(re.findall(r"[a-z0-9']+", text.lower()))
    return words | {w[:-1] for w in words if w.endswith("s")}


def _dominant(values: list) -> object:
    return Counter(values).most_common(1)[0][0]


def test_every_demo_unit_title_names_its_dominant_leaf_or_parent_or_brand(demo_units):
    # given: the members of every unit
    members: dict[int, list[Listing]] = {u.pk: [] for u in demo_units}
    for m in InterestUnitMember.objects.filter(unit__in=demo_units).select_related(
        "listing__brand", "listing__c0", "listing__c1", "listing__c2"
    ):
        members[m.unit_id].append(m.listing)
    assert {u.type for u in demo_units} >= {UnitType.SPU, UnitType.SEMANTIC, UnitType.IMAGE}
    # then: each title names what most of its members are (a department-wide unit: its department), and quotes
    # none of them
    unnamed = []
    for unit in demo_units:
        listings = members[unit.pk]
        leaf = _dominant([x.c2.name if x.c2 else "" for x in listings])
        parent = _dominant([x.c1.name if x.c1 else "" for x in listings])
        brand = _dominant([x.brand.name if x.brand else "" for x in listings])
        names = [leaf, parent, brand]
        if unit.attributes.get("partition", "").startswith("c0:"):
            names.append(_dominant([x.c0.name if x.c0 else "" for x in listings]))
        if not any(name and _words(name) <= _words(unit.title) for name in names):
            unnamed.append((unit.type, unit.title, leaf, parent, brand))
        assert "“" not in unit.title and unit.title.lower() not in {x.title.lower() for x in listings}
    assert unnamed == []


def test_seeded_history_feeds_unit_statistics_and_windows_differ(demo_units):
    # then: the build recounted the seeded events into every window, and the windows tell different stories
    with_history = [u for u in demo_units if u.window_stats.get("30d", {}).get("clicks")]
    assert len(with_history) > len(demo_units) / 2
    for unit in demo_units:
        windows = unit.window_stats
        for counter in ("impressions", "clicks", "likes", "purchases"):
            assert windows["1d"][counter] <= windows["7d"][counter] <= windows["30d"][counter]
    assert sum(u.window_stats["30d"]["clicks"] > u.window_stats["7d"]["clicks"] for u in demo_units) > 0
    assert sum(u.window_stats["7d"]["clicks"] > u.window_stats["1d"]["clicks"] for u in demo_units) > 0
    # and a unit's 30-day clicks are its members' seeded views: one per person and day
    unit = max(demo_units, key=lambda u: u.window_stats["30d"]["clicks"])
    views = (Event.objects.filter(action="item_view", listing__unit_memberships__unit=unit, user__isnull=False)
             .annotate(day=TruncDate("created_at", tzinfo=dt.UTC)).values("user", "day").distinct())
    assert unit.window_stats["30d"]["clicks"] == views.count() > 0
