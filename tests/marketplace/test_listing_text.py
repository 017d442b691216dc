"""Titles and descriptions refuse control and bidirectional override characters, everywhere a listing is written."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.errors import ApplicationError
from marketplace.models import Listing
from marketplace.services.listings import TEXT_CONTROL_CHARACTERS, listing_create, listing_update
from tests.factories import ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db

# "iPhone 15" followed by an override that makes the rest read backwards: a title that lies about itself
HOSTILE = ["iPhone 15 \u202egnp.exe", "Lamp \u2066hidden\u2069", "Mark\u200fed", "Embed \u202a x", "Nul \u0000 byte",
           "Bell \u0007", "Arabic mark \u061c"]


@pytest.mark.parametrize("text", HOSTILE)
def test_service_refuses_hostile_titles_and_descriptions_without_writing(text):
    seller, leaf = UserFactory(), category_path()[2]
    with pytest.raises(ApplicationError) as in_title:
        listing_create(seller=seller, title=text, price="10", category=leaf, index=False)
    with pytest.raises(ApplicationError) as in_description:
        listing_create(seller=seller, title="Fine title", description=text, price="10", category=leaf, index=False)
    assert in_title.value.message == in_description.value.message == TEXT_CONTROL_CHARACTERS
    assert in_title.value.extra["field"] == "title" and in_description.value.extra["field"] == "description"
    assert not Listing.objects.exists()


def test_ordinary_text_with_newlines_tabs_and_other_scripts_is_kept():
    listing = listing_create(seller=UserFactory(), title="Café crème — 東京 שלום", price="10",
                             description="Line one\nLine two\twith a tab\r\n", category=category_path()[2], index=False)
    assert listing.title == "Café crème — 東京 שלום" and "\t" in listing.description


def test_update_refuses_a_hostile_title_and_keeps_the_old_one():
    listing = ListingFactory(title="Blue vase")
    with pytest.raises(ApplicationError) as refused:
        listing_update(listing=listing, editor=listing.seller, title="Blue \u202evase")
    assert refused.value.message == TEXT_CONTROL_CHARACTERS
    listing.refresh_from_db()
    assert listing.title == "Blue vase"


def test_api_post_refuses_an_override_with_a_400_and_the_message():
    api = APIClient()
    api.force_authenticate(UserFactory())
    leaf = category_path()[2]
    response = api.post(reverse("api-listing-list"), {"title": "Invoice \u202efdp.exe", "price": "10",
                                                      "category_id": leaf.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == TEXT_CONTROL_CHARACTERS
    assert not Listing.objects.exists()


def test_sell_form_refuses_an_override_with_a_400_and_the_message(client):
    client.force_login(UserFactory())
    leaf = category_path()[2]
    response = client.post(reverse("sell"), {"title": "Sneakers", "description": "size \u202e01", "price": "10",
                                             "category": leaf.pk, "condition": 3, "shipper": "seller"})
    assert response.status_code == 400
    assert TEXT_CONTROL_CHARACTERS in response.context["form"].non_field_errors()
    assert not Listing.objects.exists()


def test_edit_form_refuses_an_override_with_a_400_and_the_message(client):
    listing = ListingFactory(title="Green chair")
    client.force_login(listing.seller)
    response = client.post(reverse("listing-edit", args=[listing.pk]),
                           {"title": "Green \u2067chair", "description": "", "price": "10"})
    assert response.status_code == 400
    assert TEXT_CONTROL_CHARACTERS in response.context["form"].non_field_errors()
    listing.refresh_from_db()
    assert listing.title == "Green chair"
