"""My activity: every listing it lists shows its picture, and the pictures cost no query per listing."""

import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import CartItem, Like, Offer
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

PICTURE = re.compile(r'<img class="thumb small" src="[^"]+" alt="([^"]+)"|<div class="thumb placeholder small" '
                     r'role="img" aria-label="([^"]+)"')


def _activity(user, count: int) -> list[str]:
    """`count` purchases, cart items, likes, offers and own listings, every other one with a photo; their titles."""
    titles = []
    for n in range(count):
        listings = [ListingFactory(title=f"{kind} {user.pk}-{n}") for kind in ("Bought", "Carted", "Liked", "Offered")]
        listings.append(ListingFactory(title=f"Own {user.pk}-{n}", seller=user))
        if n % 2 == 0:
            for listing in listings:
                listing.photo.save(f"p{listing.pk}.jpg", ContentFile(b"stored bytes"), save=True)
        bought, carted, liked, offered, _ = listings
        listing_buy(listing_id=bought.pk, buyer=user)
        CartItem.objects.create(user=user, listing=carted)
        Like.objects.create(user=user, listing=liked)
        Offer.objects.create(buyer=user, listing=offered, amount=10)
        titles += [listing.title for listing in listings]
    return titles


def _page_queries(client, user) -> tuple[str, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("my-activity")).content.decode()
    return body, len(queries)


def test_my_activity_shows_every_listing_picture_in_a_fixed_number_of_queries(client):
    # given two shoppers, one with one listing in each list and one with four
    small, large = UserFactory(), UserFactory()
    _activity(small, 1)
    titles = _activity(large, 4)
    # when each opens "my activity"
    _, small_queries = _page_queries(client, small)
    body, large_queries = _page_queries(client, large)
    # then every listing shows its picture (the photo, or the placeholder), and four times as many cost no more
    pictured = [photo or placeholder for photo, placeholder in PICTURE.findall(body)]
    assert sorted(pictured) == sorted(titles)
    assert body.count('<img class="thumb small"') == len(titles) // 2  # every other one has a photo
    assert large_queries == small_queries
