"""Content-Security-Policy and Permissions-Policy on every response, strict on the storefront and the API."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def _assert_strict(response) -> None:
    csp = _directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "geolocation", "microphone", "payment", "usb"):
        assert f"{feature}=()" in permissions


def test_storefront_pages_carry_a_strict_policy(client):
    listing = ListingFactory()
    client.force_login(UserFactory())
    for url in (reverse("home"), reverse("listing-detail", args=[listing.pk]), reverse("sell"), reverse("search")):
        response = client.get(url)
        assert response.status_code == 200
        _assert_strict(response)


def test_api_responses_carry_the_policy(client):
    ListingFactory()
    response = client.get(reverse("api-listing-list"))
    assert response.status_code == 200
    _assert_strict(response)


def test_error_pages_carry_the_policy(client):
    response = client.get(reverse("listing-detail", args=[10**9]))
    assert response.status_code == 404
    _assert_strict(response)


def test_api_docs_name_no_outside_origin_and_no_inline_code(client):
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    csp = _directives(page)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    body = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script> would be blocked"
    assert "<style" not in body and "style=" not in body, "inline styles would be blocked"
    assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", body), "Swagger UI must come from our static files"
    for url in re.findall(r'(?:src|href)="([^"]+)"', body):  # Swagger UI, the favicon, the page's styles
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url
    # the init script is served from our own origin
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_admin_allows_inline_styles_but_never_inline_scripts(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    csp = _directives(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in csp["style-src"]


def test_storefront_templates_hold_no_inline_script_style_or_handlers():
    """The storefront's policy has no 'unsafe-inline': any inline code in its templates would silently not run."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        if "admin" in template.relative_to(TEMPLATES).parts:
            continue
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=|javascript:", text):
            offenders.append(str(template.relative_to(TEMPLATES)))
    assert offenders == []
