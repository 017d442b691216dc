from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from interest_units.models import BuildStatus, InterestUnit, InterestUnitMember, UnitBuild, UnitType
from interest_units.services import interest_units_build
from interest_units.services.building import DUPLICATES, NO_LISTINGS, NO_PHOTOS
from marketplace.models import ListingStatus
from tests.factories import ListingFactory
from tests.interest_units.conftest import SMALL

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[dict, dict, dict]:
    units = {(u.type, u.key): u.pk for u in InterestUnit.objects.filter(retired_at__isnull=True)}
    titles = dict(InterestUnit.objects.filter(retired_at__isnull=True).values_list("pk", "title"))
    members = {(m.listing_id, m.type): (m.unit_id, m.joined_at) for m in InterestUnitMember.objects.all()}
    return units, titles, members


def test_build_makes_every_type_and_stores_the_quality_report(built, catalogue):
    # then: a finished build with a report per type
    assert built.status == BuildStatus.DONE
    assert set(built.report) == {"spu", "image", "semantic"}
    spu, image, semantic = built.report["spu"], built.report["image"], built.report["semantic"]
    assert spu["count"] == 5 and spu["coverage"] == 1.0
    assert spu["purity_leaf_category"] == 1.0 and spu["purity_brand"] == 1.0
    assert semantic["coverage"] == 1.0 and semantic["count"] >= 2
    assert semantic["text_cosine_intra"] > semantic["text_cosine_inter"]
    assert image["count"] >= 2 and image["members"] == 9
    for key in ("sizes", "purity_leaf_category", "purity_brand", "text_cosine_intra", "text_cosine_inter"):
        assert key in spu
    # an SPU unit is brand + leaf category, titled after them
    nike = catalogue["Nike"][0]
    unit = InterestUnit.objects.get(type=UnitType.SPU, members__listing=nike)
    assert unit.key == f"p{nike.brand_id}-{nike.c2_id}"
    assert unit.title == "Nike Athletic Shoes"  # brand + what the leaf (Shoes › Athletic) calls its items
    assert unit.active_count == 5
    # image units never mix the red striped shoes with the blue phones
    shoe_units = set(InterestUnitMember.objects.filter(type="image", listing__in=catalogue["Nike"])
                     .values_list("unit_id", flat=True))
    phone_units = set(InterestUnitMember.objects.filter(type="image", listing__in=catalogue["Apple"])
                      .values_list("unit_id", flat=True))
    assert shoe_units and phone_units and not shoe_units & phone_units
    # semantic units are tree nodes: their category (level 1), then their code path inside it
    for unit in InterestUnit.objects.filter(type=UnitType.SEMANTIC):
        partition = unit.attributes["partition"]
        assert unit.key == (f"{partition}/" + "-".join(map(str, unit.codes)) if unit.codes else partition)
        assert len(unit.codes) <= 2
    assert semantic["purity_leaf_category"] == 1.0
    # titles are never empty and distinct within a type
    for unit_type in UnitType.values:
        titles = list(InterestUnit.objects.filter(type=unit_type).values_list("title", flat=True))
        assert all(t.strip() for t in titles)
        assert len(set(titles)) == len(titles)


def test_rebuild_twice_changes_nothing(built):
    # given
    before = _snapshot()
    # when
    second = interest_units_build(config=SMALL)
    # then: same ids, same titles, the very same membership rows
    assert _snapshot() == before
    assert all(r.get("ids_new", 0) == 0 and r.get("ids_retired", 0) == 0 for r in second.report.values())


def test_rebuild_keeps_ids_where_membership_mostly_persists(built, catalogue):
    # given: a unit's stats, some new listings and a sale
    units_before, _, _ = _snapshot()
    nike = catalogue["Nike"]
    for i in range(2):
        ListingFactory(title=f"Nike Air Max {95 + i} neon", brand=nike[0].brand, c0=nike[0].c0, c1=nike[0].c1,
                       c2=nike[0].c2)
    sold = catalogue["Funko"][0]
    sold.status, sold.sold_at = ListingStatus.SOLD, sold.created_at
    sold.save()
    # when
    interest_units_build(config=SMALL)
    # then: every SPU unit keeps its id and the sold listing stays a member
    units_after, _, _ = _snapshot()
    for (unit_type, key), pk in units_before.items():
        if unit_type == UnitType.SPU:
            assert units_after[(unit_type, key)] == pk
    assert InterestUnitMember.objects.filter(listing=sold, type=UnitType.SPU).exists()
    kept_semantic = {pk for (t, _), pk in units_after.items() if t == UnitType.SEMANTIC}
    old_semantic = {pk for (t, _), pk in units_before.items() if t == UnitType.SEMANTIC}
    assert len(kept_semantic & old_semantic) >= 0.6 * len(old_semantic)


def test_empty_catalogue_gets_a_clear_message():
    build = interest_units_build(config=SMALL)
    assert build.status == BuildStatus.DONE
    assert NO_LISTINGS in build.messages
    assert all(r["count"] == 0 for r in build.report.values())
    assert not InterestUnit.objects.exists()


def test_listings_without_brand_category_or_photo_and_duplicates_do_not_crash(media):
    # given: no brand, no category, duplicates, and no photos at all
    for _ in range(3):
        ListingFactory(title="Plain white tee", brand=None)
    bare = ListingFactory(title="Mystery box", brand=None)
    bare.c0 = bare.c1 = bare.c2 = None
    bare.save()
    # when
    build = interest_units_build(config=SMALL)
    # then
    assert build.status == BuildStatus.DONE
    assert NO_PHOTOS in build.messages
    assert DUPLICATES.format(n=2) in build.messages
    assert any("no brand and no category" in m for m in build.messages)
    assert build.report["spu"]["coverage"] == 0.75
    assert build.report["semantic"]["coverage"] == 1.0
    assert not InterestUnitMember.objects.filter(listing=bare, type=UnitType.SPU).exists()


def test_command_prints_report_and_rejects_unknown_types(built, capsys):
    call_command("build_interest_units", "--types", "spu,semantic", "--no-embed")
    out = capsys.readouterr().out
    assert "spu: 5 units" in out and "coverage 100.0%" in out and "purity" in out and "intra" in out
    assert UnitBuild.objects.filter(status=BuildStatus.DONE).count() == 2
    with pytest.raises(CommandError, match="Unknown unit type"):
        call_command("build_interest_units", "--types", "colour")


def test_a_listing_is_in_at_most_one_unit_per_type(built):
    counts = Counter(InterestUnitMember.objects.values_list("listing_id", "type"))
    assert max(counts.values()) == 1
