"""The API's edges: pagination bounds, NUL bytes, and JSON error bodies for every error (invariant 4)."""

import logging

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from marketplace import errors
from marketplace.models import Listing
from storefront import error_views
from storefront.api.nul_bytes import NUL_IN_BODY, NUL_IN_QUERY
from storefront.api.pagination import MAX_LIMIT, MAX_OFFSET, BoundedLimitOffsetPagination
from tests.factories import BrandFactory, ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    # Django's test client re-raises what a view leaks; a real client sees the response, so this one does too.
    return APIClient(raise_request_exception=False)


# -- pagination -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"limit": "9223372036854775808"}, {"limit": str(MAX_LIMIT + 1)}, {"limit": "0"}, {"limit": "-1"},
    {"limit": "many"}, {"limit": "1.5"}, {"offset": "-1"}, {"offset": str(MAX_OFFSET + 1)},
    {"offset": "9223372036854775808"}, {"offset": "far"},
])
def test_limit_or_offset_out_of_bounds_is_a_400_naming_the_parameter(api, params):
    ListingFactory()
    response = api.get("/api/listings/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_limit_and_offset_within_bounds_page_through_the_listings(api):
    listings = [ListingFactory() for _ in range(5)]
    first = api.get("/api/listings/", {"limit": 2}).json()
    rest = api.get("/api/listings/", {"limit": MAX_LIMIT, "offset": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and "offset=2" in first["next"]
    assert {x["id"] for x in first["results"] + rest["results"]} == {x.pk for x in listings}
    assert api.get("/api/listings/", {"offset": MAX_OFFSET}).json()["results"] == []


def test_the_last_page_within_bounds_links_no_further(api, monkeypatch):
    # given: more listings than the bounds let anyone page to (the offset bound is lowered for the test)
    for _ in range(4):
        ListingFactory()
    monkeypatch.setattr(BoundedLimitOffsetPagination, "max_offset", 2)
    # when
    response = api.get("/api/listings/", {"limit": 1, "offset": 2}).json()
    # then: the next page's offset (3) would be refused, so there is no link to it
    assert response["next"] is None and len(response["results"]) == 1


def test_schema_states_the_pagination_bounds(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/listings/"]["get"]["parameters"]}
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, MAX_LIMIT)
    assert (parameters["offset"]["minimum"], parameters["offset"]["maximum"]) == (0, MAX_OFFSET)


# -- filters and NUL bytes ----------------------------------------------------------------------------------------

def test_listing_filters_filter(api):
    lamp = ListingFactory(title="Brass lamp", brand=BrandFactory(name="Lumo"))
    ListingFactory(title="Oak chair")
    assert [x["id"] for x in api.get("/api/listings/", {"q": "lamp"}).json()["results"]] == [lamp.pk]
    assert [x["id"] for x in api.get("/api/listings/", {"brand": "lumo"}).json()["results"]] == [lamp.pk]


@pytest.mark.parametrize("params", [
    {"min_price": "-1"}, {"max_price": "100000000"}, {"min_price": "1e300"}, {"category": "1.5"},
    {"category": "0"}, {"category": "9223372036854775808"}, {"category": "shoes"},
])
def test_listing_filters_outside_their_stated_bounds_are_a_400(api, params):
    response = api.get("/api/listings/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_schema_states_the_filter_bounds(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/listings/"]["get"]["parameters"]}
    assert parameters["category"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert (parameters["min_price"]["minimum"], parameters["max_price"]["maximum"]) == (0, 99999999.99)


@pytest.mark.parametrize("params", [{"q": "la\x00mp"}, {"brand": "\x00"}, {"unknown": "\x00"}, {"a\x00": "1"}])
def test_a_nul_byte_in_a_query_parameter_is_a_400(api, params):
    ListingFactory(title="lamp")
    response = api.get("/api/listings/", params)
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_IN_QUERY}


def test_a_nul_byte_in_a_json_string_is_a_400_and_nothing_is_written(api):
    api.force_authenticate(UserFactory())
    body = {"title": "Lamp\x00", "price": "10.00", "category_id": category_path()[2].pk}
    response = api.post("/api/listings/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_IN_BODY}
    assert not Listing.objects.exists()


def test_a_nul_byte_in_a_json_key_nobody_reads_is_still_a_400(api):
    api.force_authenticate(UserFactory())
    body = {"title": "Lamp", "price": "10.00", "category_id": category_path()[2].pk, "x\x00": "y"}
    response = api.post("/api/listings/", body, format="json")
    assert response.status_code == 400 and not Listing.objects.exists()


def test_a_json_body_without_nul_still_posts_a_listing(api):
    api.force_authenticate(UserFactory())
    body = {"title": "Lamp", "price": "10.00", "category_id": category_path()[2].pk}
    assert api.post("/api/listings/", body, format="json").status_code == 201


# -- JSON error bodies ----------------------------------------------------------------------------------------------

def test_an_unhandled_exception_in_an_api_view_is_a_json_500_and_is_logged(api, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("selector exploded")

    monkeypatch.setattr("storefront.api.recommendations.home_rows_serve", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api.get("/api/recommendations/home/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": errors.SERVER_ERROR}
    assert "selector exploded" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "selector exploded" in str(logged[0].exc_info[1])


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/nope/")
    assert response.status_code == 404
    assert response.json() == {"detail": errors.NOT_FOUND}


def test_an_unknown_listing_is_a_json_404(api):
    response = api.get("/api/listings/987654321/")
    assert response.status_code == 404 and "detail" in response.json()


@pytest.mark.parametrize("path, is_json", [("/api/listings/", True), ("/item/1/", False)])
def test_django_level_errors_are_json_under_api_and_pages_elsewhere(path, is_json):
    request = RequestFactory().get(path)
    for response in (error_views.server_error(request), error_views.bad_request(request, Exception()),
                     error_views.permission_denied(request, Exception())):
        assert response["Content-Type"].startswith("application/json") == is_json
        if not is_json:
            assert b"<html" in response.content
