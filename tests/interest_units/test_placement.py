import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from interest_units.embeddings import as_vector
from interest_units.models import InterestUnit, InterestUnitMember, ListingImageFeature, UnitType
from interest_units.services import listing_embeddings_backfill, listing_index, listings_place
from interest_units.tasks import listing_index as listing_index_task
from marketplace.models import Listing, ListingStatus
from marketplace.services.listings import listing_buy, listing_create, listing_update
from tests.factories import ListingFactory, UserFactory
from tests.interest_units.conftest import RED, photo_bytes

pytestmark = pytest.mark.django_db


def _memberships(listing_id: int) -> dict[str, int]:
    return dict(InterestUnitMember.objects.filter(listing_id=listing_id).values_list("type", "unit_id"))


def test_new_listing_is_embedded_and_joins_its_units_on_commit(built, catalogue, django_capture_on_commit_callbacks):
    # given
    nike = catalogue["Nike"][0]
    red_photo = SimpleUploadedFile("shoe.png", photo_bytes(RED, stripes=True, seed=42), content_type="image/png")
    # when: posted through the service; the indexing task runs after commit
    with django_capture_on_commit_callbacks(execute=True):
        listing = listing_create(seller=UserFactory(), title="Nike Air Max 95 neon", price=80, category=nike.c2,
                                 brand=nike.brand, photo=red_photo)
    # then
    listing.refresh_from_db()
    assert listing.text_embedding is not None
    units = _memberships(listing.pk)
    assert units[UnitType.SPU] == InterestUnit.objects.get(type=UnitType.SPU, members__listing=nike).pk
    assert units[UnitType.SEMANTIC] == _memberships(nike.pk)[UnitType.SEMANTIC]
    assert units[UnitType.IMAGE] == _memberships(nike.pk)[UnitType.IMAGE]  # red stripes go with red stripes
    assert ListingImageFeature.objects.filter(listing=listing).exists()
    assert InterestUnit.objects.get(pk=units[UnitType.SPU]).active_count == 6


def test_indexing_twice_changes_nothing(built, catalogue):
    # given
    listing = ListingFactory(title="Funko Pop Spider-Man", brand=catalogue["Funko"][0].brand,
                             c0=catalogue["Funko"][0].c0, c1=catalogue["Funko"][0].c1, c2=catalogue["Funko"][0].c2)
    first = listing_index_task(listing.pk)
    rows = list(InterestUnitMember.objects.filter(listing=listing).values_list("unit_id", "type", "joined_at"))
    embedding = as_vector(Listing.objects.get(pk=listing.pk).text_embedding)
    # when
    second = listing_index_task(listing.pk)
    # then
    assert first == second and set(first) == {UnitType.SPU, UnitType.SEMANTIC}
    assert list(InterestUnitMember.objects.filter(listing=listing).values_list("unit_id", "type", "joined_at")) == rows
    assert np.array_equal(as_vector(Listing.objects.get(pk=listing.pk).text_embedding), embedding)


def test_unknown_brand_in_known_category_falls_back_to_a_category_unit(built, catalogue, media):
    # given: "various brands" coffee mugs exist as a leaf-category unit (the mugs have no brand)
    mug = catalogue["mugs"][0]
    listing = ListingFactory(title="Stoneware coffee mug", brand=None, c0=mug.c0, c1=mug.c1, c2=mug.c2)
    # when
    units = listing_index(listing_id=listing.pk)
    # then
    assert units[UnitType.SPU] == _memberships(mug.pk)[UnitType.SPU]
    assert InterestUnit.objects.get(pk=units[UnitType.SPU]).key == f"c2:{mug.c2_id}"
    assert UnitType.IMAGE not in units  # no photo: no image unit


def test_sold_listing_keeps_its_unit_and_edits_re_place_active_ones(built, catalogue):
    # given
    phone = catalogue["Apple"][0]
    before = _memberships(phone.pk)
    listing_buy(listing_id=phone.pk, buyer=UserFactory())
    # when
    listings_place(listing_ids=[phone.pk])
    # then
    assert _memberships(phone.pk) == before
    assert Listing.objects.get(pk=phone.pk).status == ListingStatus.SOLD
    # and an edit of an active listing re-indexes it (idempotently)
    other = catalogue["Apple"][1]
    updated = listing_update(listing=other, editor=other.seller, title="iPhone 7 plus 128GB rose gold mint")
    assert _memberships(updated.pk)[UnitType.SPU] == before[UnitType.SPU]


def test_index_of_a_deleted_listing_is_a_no_op(built):
    assert listing_index(listing_id=999_999) == {}


def test_without_units_a_listing_is_only_embedded(media):
    listing = ListingFactory(title="Lonely lamp")
    assert listing_index(listing_id=listing.pk) == {}
    assert Listing.objects.get(pk=listing.pk).text_embedding is not None


def test_backfill_is_batched_resumable_and_idempotent():
    # given
    listings = [ListingFactory(title=f"Desk lamp model {i}") for i in range(5)]
    progress: list[tuple[int, int]] = []
    # when: an interrupted run (limit), then the rest, then nothing left
    first = listing_embeddings_backfill(batch_size=2, limit=3, progress=lambda d, t: progress.append((d, t)))
    second = listing_embeddings_backfill(batch_size=2)
    third = listing_embeddings_backfill(batch_size=2)
    # then
    assert (first, second, third) == (3, 2, 0)
    assert progress == [(2, 3), (3, 3)]
    assert not Listing.objects.filter(pk__in=[x.pk for x in listings], text_embedding__isnull=True).exists()
