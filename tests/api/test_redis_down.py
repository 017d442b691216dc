"""Redis is a cache, never the source of truth: with it unreachable every surface still answers from Postgres."""

import pytest
import redis
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.models import Event, EventAction
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings, tmp_path):
    """The cache points at a socket nobody listens on (Django rebuilds its cache handlers on this change)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"unix://{tmp_path}/no-redis.sock?db=1"}}
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["default"].get("probe")
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():  # the suite-wide fixture would touch the (unreachable) cache
    yield


def test_surfaces_answer_from_postgres_when_redis_is_down(redis_down, client):
    listings = [ListingFactory() for _ in range(3)]
    user = UserFactory()
    api = APIClient()
    api.force_authenticate(user)
    for url in (reverse("api-home"), reverse("api-item", args=[listings[0].pk]), reverse("api-units")):
        assert api.get(url).status_code == 200
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("listing-detail", args=[listings[0].pk])).status_code == 200
    # the events still land in Postgres
    assert Event.objects.filter(action=EventAction.IMPRESSION).exists()
    assert Event.objects.filter(action=EventAction.ITEM_VIEW, listing=listings[0]).exists()
