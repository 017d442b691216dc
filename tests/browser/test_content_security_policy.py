"""The strict Content-Security-Policy breaks nothing a real browser loads: no violation on the storefront or admin."""

import pytest
from playwright.sync_api import Page, expect

from interest_units.models import InterestUnit, InterestUnitMember
from tests.factories import ListingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script: records every violation the browser reports for the document.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def test_storefront_and_admin_pages_raise_no_csp_violation(page: Page, live_server):
    staff = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    listing = ListingFactory(title="Levi's trucker denim jacket M")
    unit = InterestUnit.objects.create(type="spu", key="levis-jackets", title="Levi's denim jackets")
    InterestUnitMember.objects.create(unit=unit, listing=listing, type="spu")
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    violations = []
    for path in ("/", f"/item/{listing.pk}/", "/sell/", "/search/?q=jacket", f"/units/{unit.pk}/", "/admin/",
                 "/admin/interest_units/interestunit/", f"/admin/interest_units/interestunit/{unit.pk}/change/"):
        page.goto(live_server.url + path)
        if path == f"/item/{listing.pk}/":  # site.js still runs: the like toggles in place
            page.get_by_role("button", name="♡ Like").click()
            expect(page.get_by_role("button", name="♥ Liked")).to_be_visible()
        violations += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations")]
    assert violations == []
    assert not [text for text in console if "Content Security Policy" in text]
