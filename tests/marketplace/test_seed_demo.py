import pytest
from django.core.management import CommandError, call_command

from marketplace.models import Event, Listing, ListingSource, ListingStatus, Order

pytestmark = pytest.mark.django_db

SMALL = {"users": 40, "listings": 300, "days": 4, "seed": 3, "no_photos": True}


def _snapshot() -> tuple:
    titles = tuple(Listing.objects.filter(source=ListingSource.DEMO).order_by("external_id").values_list("title",
                                                                                                        "price"))
    return titles, Event.objects.count(), Order.objects.count()


def test_seed_demo_loads_a_consistent_marketplace_deterministically():
    call_command("seed_demo", **SMALL)
    first = _snapshot()
    assert len(first[0]) == 300 and first[1] > 0
    # every order sold its listing; no order for an active listing; no self-purchase
    for order in Order.objects.select_related("listing"):
        assert order.listing.status == ListingStatus.SOLD and order.buyer_id != order.listing.seller_id
    # events never touch a listing after it sold (except the buy_comp itself)
    for listing in Listing.objects.filter(status=ListingStatus.SOLD):
        later = Event.objects.filter(listing=listing, created_at__gt=listing.sold_at)
        assert not later.exists()
    with pytest.raises(CommandError, match="already exists"):
        call_command("seed_demo", **SMALL)
    call_command("seed_demo", reset=True, **SMALL)
    assert _snapshot() == first


def test_seed_demo_rejects_bad_sizes():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--users", "0")
