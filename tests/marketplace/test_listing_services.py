from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from marketplace import errors
from marketplace.errors import ApplicationError, ConflictError
from marketplace.models import Event, EventAction, Listing, ListingStatus, Order
from marketplace.services.listings import listing_buy, listing_create, listing_remove, listing_update
from tests.factories import ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db


def test_listing_create_fills_category_path_and_product_id():
    # given
    seller = UserFactory()
    c0, c1, c2 = category_path()
    from marketplace.services.catalog import brand_get_or_create

    brand = brand_get_or_create(name="Nike")
    # when
    listing = listing_create(seller=seller, title="  Nike tee  ", price="12.5", category=c2, brand=brand, index=False)
    # then
    listing.refresh_from_db()
    assert (listing.c0, listing.c1, listing.c2) == (c0, c1, c2)
    assert listing.product_id == f"{brand.pk}-{c2.pk}"
    assert listing.title == "Nike tee"
    assert listing.price == Decimal("12.50")
    assert listing.status == ListingStatus.ACTIVE


@pytest.mark.parametrize("price", ["-1", "abc", "NaN", "1e12"])
def test_listing_create_rejects_bad_price_without_writing(price):
    seller = UserFactory()
    with pytest.raises(ApplicationError) as caught:
        listing_create(seller=seller, title="Lamp", price=price, category=category_path()[2], index=False)
    assert caught.value.status_code == 400
    assert not Listing.objects.exists()


def test_listing_create_requires_leaf_category_for_users():
    seller = UserFactory()
    c0, _, _ = category_path()
    with pytest.raises(ApplicationError):
        listing_create(seller=seller, title="Lamp", price=5, category=c0, index=False)


def test_listing_buy_sells_once_and_records_buy_comp():
    listing = ListingFactory()
    buyer = UserFactory()
    order = listing_buy(listing_id=listing.pk, buyer=buyer)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SOLD and listing.sold_at is not None
    assert order.price == listing.price
    assert Event.objects.filter(listing=listing, action=EventAction.BUY_COMP, user=buyer).count() == 1
    with pytest.raises(ConflictError) as caught:
        listing_buy(listing_id=listing.pk, buyer=UserFactory())
    assert caught.value.message == errors.LISTING_ALREADY_SOLD
    assert Order.objects.filter(listing=listing).count() == 1


def test_seller_cannot_buy_own_listing():
    listing = ListingFactory()
    with pytest.raises(ApplicationError) as caught:
        listing_buy(listing_id=listing.pk, buyer=listing.seller)
    assert caught.value.message == errors.LISTING_OWN_PURCHASE
    assert caught.value.status_code == 403
    listing.refresh_from_db()
    assert listing.status == ListingStatus.ACTIVE


def test_removed_listing_cannot_be_bought_or_edited():
    listing = ListingFactory()
    listing_remove(listing_id=listing.pk, actor=listing.seller)
    with pytest.raises(ConflictError):
        listing_buy(listing_id=listing.pk, buyer=UserFactory())
    with pytest.raises(ConflictError):
        listing_update(listing=listing, editor=listing.seller, title="New title")


def test_only_the_seller_edits_or_removes():
    listing = ListingFactory()
    intruder = UserFactory()
    with pytest.raises(ApplicationError) as caught:
        listing_update(listing=listing, editor=intruder, price="1")
    assert caught.value.status_code == 403
    with pytest.raises(ApplicationError):
        listing_remove(listing_id=listing.pk, actor=intruder)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.ACTIVE and listing.price == Decimal("25.00")


def test_database_rejects_second_order_and_negative_price():
    listing = ListingFactory()
    Order.objects.create(listing=listing, buyer=UserFactory(), price=1, created_at=listing.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(listing=listing, buyer=UserFactory(), price=1, created_at=listing.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(price=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(status="lost")
