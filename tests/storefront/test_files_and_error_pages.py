"""Static files, listing photos and error pages as the demo and production serve them: DEBUG off."""

import importlib

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes to compare"


@pytest.fixture
def listing_with_photo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    listing = ListingFactory()
    listing.photo.save("lamp.jpg", ContentFile(PHOTO))
    return listing


def test_debug_is_off_in_these_tests():
    assert django_settings.DEBUG is False


def test_a_listing_photo_is_served_when_media_serving_is_on(client, settings, listing_with_photo):
    settings.MEDIA_SERVE = True
    url = listing_with_photo.photo.url
    assert url.startswith("/media/listings/")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PHOTO


def test_a_listing_photo_is_a_404_when_media_serving_is_off(client, settings, listing_with_photo):
    settings.MEDIA_SERVE = False
    assert client.get(listing_with_photo.photo.url).status_code == 404


@pytest.mark.parametrize("path", ["/media/../manage.py", "/media/%2e%2e/manage.py", "/media/..%2fmanage.py",
                                  "/media//etc/passwd", "/media/listings/"])
def test_media_serving_stays_inside_media_root(client, settings, listing_with_photo, path):
    settings.MEDIA_SERVE = True
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert b"DJANGO_SETTINGS_MODULE" not in response.content and b"root:" not in response.content


def test_a_static_file_is_served_with_debug_off(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"site-header" in b"".join(response.streaming_content)


def test_an_unknown_page_is_a_friendly_404_that_lists_no_url_patterns(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "couldn't find that page" in body
    assert "api/schema" not in body and "URLconf" not in body


def test_local_settings_default_debug_off_and_serve_media(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    monkeypatch.delenv("DJANGO_SERVE_MEDIA", raising=False)
    local = importlib.reload(importlib.import_module("config.settings.local"))
    assert (local.DEBUG, local.MEDIA_SERVE, local.WHITENOISE_USE_FINDERS) == (False, True, True)
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    assert importlib.reload(local).DEBUG is True
