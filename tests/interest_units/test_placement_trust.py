"""Placement a shopper trusts: own brand + leaf first, never another department, waiting rather than guessing."""

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from interest_units.clustering import SpuItem, spu_resolve
from interest_units.embeddings import as_vector
from interest_units.models import InterestUnit, InterestUnitMember, UnitType
from interest_units.selectors import units_representative_listings
from interest_units.services import listing_index, listings_place
from marketplace.models import Listing, ListingStatus
from marketplace.services.listings import listing_create
from tests.factories import ListingFactory, UserFactory, category_path
from tests.interest_units.conftest import RED, photo_bytes

pytestmark = pytest.mark.django_db


def _memberships(listing_id: int) -> dict[str, int]:
    return dict(InterestUnitMember.objects.filter(listing_id=listing_id).values_list("type", "unit_id"))


def test_sneakers_in_a_department_without_their_units_wait_instead_of_joining_a_wrong_unit(built, catalogue):
    # given: Nike running sneakers posted in Women > Shoes > Sneakers, a leaf and parent no unit has yet (the
    # Nike units are in Men, Women has only dresses); the photo looks just like the Men's Nike shoes
    _, _, sneakers = category_path("Women", "Shoes", "Sneakers")
    photo = SimpleUploadedFile("shoe.png", photo_bytes(RED, stripes=True, seed=1), content_type="image/png")
    listing = listing_create(seller=UserFactory(), title="Nike Air Zoom Pegasus 40 Running Sneakers", price=90,
                             category=sneakers, brand=catalogue["Nike"][0].brand, photo=photo, index=False)
    # when
    units = listing_index(listing_id=listing.pk)
    # then: no semantic or image unit of Men (shoes) or of Women's dresses; the next build will group it
    assert units == {}


def test_semantic_placement_keeps_to_the_listings_own_leaf(built, catalogue):
    # given: a listing in the Funko leaf whose words sound like the phones
    funko = catalogue["Funko"][0]
    listing = ListingFactory(title="iPhone 7 unlocked 32GB phone figure", brand=None, c0=funko.c0, c1=funko.c1,
                             c2=funko.c2)
    # when
    units = listing_index(listing_id=listing.pk)
    # then: its own leaf's semantic unit, not the phones'
    unit = InterestUnit.objects.get(pk=units[UnitType.SEMANTIC])
    assert unit.attributes["partition"] == f"c2:{funko.c2_id}" and unit.attributes["top_leaf_id"] == funko.c2_id


def test_an_active_listing_edited_into_an_unknown_leaf_leaves_its_old_units(built, catalogue):
    # given: a placed phone moved to a leaf no unit has
    phone = catalogue["Apple"][1]
    assert UnitType.SEMANTIC in _memberships(phone.pk)
    c0, c1, c2 = category_path("Home", "Lighting", "Floor Lamps")
    Listing.objects.filter(pk=phone.pk).update(c0=c0, c1=c1, c2=c2, brand=None)
    # when
    placed = listings_place(listing_ids=[phone.pk])
    # then: out of the phones' semantic and SPU units, waiting for the next build
    assert placed[phone.pk] == {} and _memberships(phone.pk) == {}


def test_spu_placement_walks_a_split_group_without_an_other_unit():
    # given: Nike + leaf 2 split by size into m and l (no "other sizes" unit), and the leaf's various-brands unit
    units = {"p1-2:size=l": 11, "p1-2:size=m": 10, "c2:2": 12}
    item = SpuItem(listing_id=1, brand_id=1, c0=None, c1=None, c2=2, size="XL")
    # when / then: an XL listing still joins a Nike + leaf 2 unit, not the various-brands one
    assert spu_resolve(item, units, rest_units={}) in {10, 11}
    assert spu_resolve(SpuItem(2, 9, None, None, 2), units, rest_units={}) == 12


def test_card_picture_is_the_active_member_closest_to_the_centroid_never_the_viewers_own(built, catalogue):
    # given: the Nike SPU unit and its members' distance to its centroid
    unit = InterestUnit.objects.get(type=UnitType.SPU, members__listing=catalogue["Nike"][0])
    centroid = as_vector(unit.centroid)
    members = Listing.objects.filter(unit_memberships__unit=unit, status=ListingStatus.ACTIVE)
    ranked = sorted(members, key=lambda x: -float(as_vector(x.text_embedding) @ centroid
                                                  / np.linalg.norm(as_vector(x.text_embedding))))
    closest = ranked[0]
    # when
    pictures = units_representative_listings(unit_ids=[unit.pk])
    others = units_representative_listings(unit_ids=[unit.pk], viewer_id=closest.seller_id)
    # then
    assert pictures == {unit.pk: closest.pk}
    assert others == {}  # every member is this viewer's own listing: no picture for them
