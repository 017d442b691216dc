"""`next` after a cart toggle or a demo switch only ever leads back into this site."""

import pytest
from django.urls import reverse

from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

OFFSITE = ["//evil.example", "https://evil.example", "/\\evil.example", "http://evil.example/path", "///evil.example",
           "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFFSITE)
def test_cart_toggle_ignores_an_offsite_next(client, target):
    listing = ListingFactory()
    client.force_login(UserFactory())
    response = client.post(reverse("listing-cart", args=[listing.pk]), {"in_cart": "1", "next": target})
    assert response.status_code == 302 and response.url == reverse("listing-detail", args=[listing.pk])


def test_cart_toggle_follows_a_local_next(client):
    listing = ListingFactory()
    client.force_login(UserFactory())
    response = client.post(reverse("listing-cart", args=[listing.pk]), {"in_cart": "1", "next": "/search/?q=lamp"})
    assert response.status_code == 302 and response.url == "/search/?q=lamp"


@pytest.mark.parametrize("target", OFFSITE)
def test_demo_switch_ignores_an_offsite_next(client, target):
    UserFactory(username="demo_alice")
    response = client.post(reverse("demo-switch"), {"username": "demo_alice", "next": target})
    assert response.status_code == 302 and response.url == reverse("home")


def test_demo_switch_follows_a_local_next(client):
    UserFactory(username="demo_alice")
    response = client.post(reverse("demo-switch"), {"username": "demo_alice", "next": "/me/"})
    assert response.status_code == 302 and response.url == "/me/"
