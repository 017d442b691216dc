"""/api/docs/ works offline: Swagger UI comes from our own static files, under a CSP that names no other origin."""

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_offline_with_no_csp_violation(page: Page, live_server, shoot):
    # given a browser that can reach nothing but the live server
    outside = []

    def only_the_live_server(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_live_server)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    # when the API docs open
    response = page.goto(f"{live_server.url}/api/docs/")
    # then Swagger UI draws the operations from the schema
    assert response is not None and response.ok
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/recommendations/home/", exact=True)).to_be_visible()
    # and an operation opens
    page.locator(".opblock-summary").filter(has_text="/api/recommendations/home/").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    shoot("api_docs")
    assert outside == []
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
