"""What a surface costs in SQL does not grow with what it shows: no query per listing card or per seller, and no
model-version lookup on every request when no version is active."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.cache import cache_empty
from tests.factories import ListingFactory, UserFactory, listing_with_text_vector

pytestmark = pytest.mark.django_db


def _queries(client: APIClient, path: str) -> list[str]:
    cache_empty()  # the popular list is cached for a minute
    client.get(path)  # warm: what is remembered between requests is remembered
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)  # the test client closes it: the page's events are written in here
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("surface", ["home", "item"])
def test_a_surface_costs_the_same_queries_for_few_and_many_sellers(surface):
    # given: a few listings, then many more, each from a seller of its own
    rng = np.random.default_rng(0)
    anchor = listing_with_text_vector(rng)
    client = APIClient()
    client.force_authenticate(UserFactory())
    path = reverse("api-home") if surface == "home" else reverse("api-item", args=[anchor.pk])
    for _ in range(3):
        listing_with_text_vector(rng)
    few = _queries(client, path)
    # when
    for _ in range(20):
        listing_with_text_vector(rng)
    many = _queries(client, path)
    # then: more cards, not more queries
    assert len(client.get(path).json()["rows"][0]["items"]) > 3
    assert len(many) == len(few)


def test_no_active_version_is_remembered_between_requests():
    ListingFactory()
    client = APIClient()
    queries = _queries(client, reverse("api-home"))
    assert not [sql for sql in queries if "recommender_modelversion" in sql]


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_warm_home_request_runs_no_popularity_sql(signed_in):
    # given
    ListingFactory()
    client = APIClient()
    if signed_in:
        client.force_authenticate(UserFactory())
    # when
    queries = _queries(client, reverse("api-home")) + _queries(client, reverse("api-units"))
    # then: the popular lists are read from the cache, never computed by the request
    assert not [sql for sql in queries if "GROUP BY p.listing_id" in sql or "interest_units_unitdailystats" in sql]
