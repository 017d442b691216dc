"""Units a shopper trusts, measured on the real Mercari 10k (skipped without ../shared/data; slow: it embeds 10k
listings): semantic units share their leaf category, and held-back listings posted anew land in a unit of their own
leaf (SPU: and brand)."""

import json
import re
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import connection

from interest_units.models import InterestUnit, InterestUnitMember, UnitType
from interest_units.services import interest_units_build, listing_embeddings_backfill
from marketplace.models import Listing

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.timeout(2400)]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _analyze() -> None:
    """Statistics for the rows this test's transaction wrote (autovacuum cannot see them): without them the planner
    takes the new tables for empty and nests loops over 10k listings."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def titles_quoting_a_member() -> list[str]:
    """Unit titles that repeat one member's title, beyond what its brand and categories say (one query: a query
    per unit runs into a poor plan inside the test's transaction, where the 10k new rows have no statistics)."""
    members: dict[int, list[tuple]] = defaultdict(list)
    for row in InterestUnitMember.objects.filter(unit__retired_at__isnull=True).values_list(
            "unit_id", "listing__title", "listing__brand__name", "listing__c0__name", "listing__c1__name",
            "listing__c2__name"):
        members[row[0]].append(row[1:])
    quoting = []
    for unit_id, title in InterestUnit.objects.filter(retired_at__isnull=True).values_list("pk", "title"):
        head = title.split(" · ")[0].split(", ")[0]
        named = {w for _, *names in members[unit_id] for name in names for w in _words(name or "")}
        if set(_words(head)) <= named:
            continue  # brand and category words: a name, not a quote
        if any(_words(listing_title) == _words(head) for listing_title, *_ in members[unit_id]):
            quoting.append(title)
    return quoting


def test_units_on_the_mercari_10k_keep_to_their_leaf_and_new_listings_land_in_their_own(shared_data, tmp_path,
                                                                                        capsys):
    # given: the real Mercari 10k, embedded
    call_command("import_mercari", str(shared_data / "mercari_listings_10k.tsv"), "--no-progress")
    listing_embeddings_backfill()
    _analyze()
    # when: units built on all of it
    build = interest_units_build(embed_missing=False)
    _analyze()
    # then: semantic units share their leaf, and almost every listing is in one
    semantic, spu = build.report["semantic"], build.report["spu"]
    print(json.dumps({"semantic": semantic, "spu": spu}, indent=1))
    assert semantic["purity_leaf_category"] >= 0.8 and semantic["coverage"] >= 0.9
    assert spu["purity_leaf_category"] >= 0.9
    assert not [t for t in InterestUnit.objects.values_list("title", flat=True) if "“" in t or '"' in t]
    assert titles_quoting_a_member() == []

    # when: 10% held back, units built on the rest, the 10% posted anew through listing_create
    path = tmp_path / "holdout.json"
    listings_before = Listing.objects.count()
    call_command("build_interest_units", "--holdout", "0.1", "--types", "spu,semantic", "--no-embed",
                 "--report", str(path))
    report = json.loads(path.read_text())
    print(capsys.readouterr().out)
    # then: SPU placement keeps brand and leaf; semantic placement keeps the leaf; units built on 90% stay pure
    placement = report["placement"]
    assert placement["spu"]["listings"] >= 250 and placement["spu"]["match_share_of_placed"] >= 0.98
    assert placement["spu"]["placed_share"] >= 0.98
    assert placement["semantic"]["match_share"] >= 0.8
    assert report["build"]["semantic"]["purity_leaf_category"] >= 0.8
    # and the database is as it was: no held-back copies, the full build's units
    assert Listing.objects.count() == listings_before
    assert InterestUnitMember.objects.filter(type=UnitType.SEMANTIC).count() == semantic["members"]
