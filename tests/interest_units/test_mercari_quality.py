"""Units a shopper trusts, measured on the real Mercari 10k (skipped without ../shared/data; slow: it embeds 10k
listings): semantic units share their leaf category, and held-back listings posted anew land in a unit of their own
leaf (SPU: and brand)."""

import json
import re

import pytest
from django.core.management import call_command

from interest_units.models import InterestUnit, InterestUnitMember, UnitType
from interest_units.services import interest_units_build, listing_embeddings_backfill
from marketplace.models import Listing

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.timeout(2400)]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def titles_quoting_a_member() -> list[str]:
    """Unit titles that repeat one member's title, beyond what its brand and categories say."""
    quoting = []
    for unit in InterestUnit.objects.filter(retired_at__isnull=True):
        head = unit.title.split(" · ")[0].split(", ")[0]
        members = Listing.objects.filter(unit_memberships__unit=unit).select_related("brand", "c0", "c1", "c2")
        named = set()
        for listing in members:
            named |= set(_words(listing.brand.name if listing.brand else ""))
            named |= {w for c in listing.category_path for w in _words(c.name)}
        if set(_words(head)) <= named:
            continue  # brand and category words: a name, not a quote
        if any(_words(listing.title) == _words(head) for listing in members):
            quoting.append(unit.title)
    return quoting


def test_units_on_the_mercari_10k_keep_to_their_leaf_and_new_listings_land_in_their_own(shared_data, tmp_path,
                                                                                        capsys):
    # given: the real Mercari 10k, embedded
    call_command("import_mercari", str(shared_data / "mercari_listings_10k.tsv"), "--no-progress")
    listing_embeddings_backfill()
    # when: units built on all of it
    build = interest_units_build(embed_missing=False)
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
