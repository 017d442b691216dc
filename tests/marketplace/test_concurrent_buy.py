"""Invariant 2: concurrent buy attempts against the real Postgres yield exactly one order."""

import threading

import pytest
from django.db import connection

from marketplace import errors
from marketplace.errors import ConflictError
from marketplace.models import Listing, ListingStatus, Order
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory

BUYERS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_buying_one_listing_make_exactly_one_order():
    # given
    listing = ListingFactory()
    buyers = [UserFactory() for _ in range(BUYERS)]
    start = threading.Barrier(BUYERS)
    orders, refusals, failures = [], [], []

    def attempt(buyer):
        try:
            start.wait()
            orders.append(listing_buy(listing_id=listing.pk, buyer=buyer))
        except ConflictError as error:
            refusals.append(error.message)
        except Exception as error:  # anything else is a bug the test must show
            failures.append(repr(error))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=attempt, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    assert failures == []
    assert len(orders) == 1
    assert refusals == [errors.LISTING_ALREADY_SOLD] * (BUYERS - 1)
    assert Order.objects.filter(listing_id=listing.pk).count() == 1
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.SOLD
