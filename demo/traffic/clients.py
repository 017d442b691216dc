"""How simulated shoppers reach the storefront: the same pages and API calls a browser makes, either in-process
(Django's test client: no server, no network; fast enough for a study) or over HTTP to a server on this machine.

Only loopback hosts are accepted for HTTP: a load generator that writes likes, carts and purchases must never be
pointed at someone else's site.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from marketplace.errors import ApplicationError

BASE_URL_NOT_LOOPBACK = ("--base-url must point at this machine (localhost, 127.0.0.1, ::1); {host!r} resolves to "
                         "{addresses}. Simulated shoppers write likes, carts and purchases: never aim them elsewhere.")
BASE_URL_INVALID = "--base-url must be http(s)://host[:port], e.g. http://127.0.0.1:8000; got {url!r}."
HTTP_TIMEOUT_SECONDS = 30
# A listing card's link on a page (`marketplace/includes/card.html`): its id, and the request id clicks credit.
CARD_LINK = re.compile(r'href="/item/(?P<id>[0-9]+)/(?:\?[^"]*?rid=(?P<rid>[0-9a-f]*))?')


@dataclass(frozen=True)
class ShownRow:
    surface: str
    recommender: str
    listing_ids: list[int]


@dataclass(frozen=True)
class Shown:
    """What a surface returned to a shopper: its request id (clicks name it) and its rows, top to bottom."""

    request_id: str
    rows: list[ShownRow]


class StorefrontClient(Protocol):
    def home_rows(self, *, k: int) -> Shown: ...
    def category_page(self, *, category_id: int) -> Shown: ...
    def item_rows(self, *, listing_id: int, k: int) -> Shown: ...
    def item_view(self, *, listing_id: int, request_id: str) -> bool: ...
    def post(self, path: str, data: dict[str, Any]) -> bool: ...


def base_url_check(url: str) -> str:
    """The base URL without a trailing slash; ApplicationError unless it is http(s) to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApplicationError(BASE_URL_INVALID.format(url=url))
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    except socket.gaierror:
        addresses = set()
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ApplicationError(BASE_URL_NOT_LOOPBACK.format(host=parts.hostname,
                                                            addresses=", ".join(sorted(addresses)) or "nothing"))
    return url.rstrip("/")


def _page_shown(html: str, surface: str) -> Shown:
    """The listings a storefront page links to, in page order, as one row (and the request id its links carry)."""
    found = [(int(m["id"]), m["rid"] or "") for m in CARD_LINK.finditer(html)]
    ids = list(dict.fromkeys(listing_id for listing_id, _ in found))
    return Shown(request_id=next((rid for _, rid in found if rid), ""), rows=[ShownRow(surface, surface, ids)])


def _shown(payload: dict) -> Shown:
    return Shown(request_id=payload["request_id"],
                 rows=[ShownRow(row["surface"], row["recommender"], [item["id"] for item in row["items"]])
                       for row in payload["rows"]])


class InProcessClient:
    """A signed-in shopper through Django's test client: the real views, middleware and services, in this process."""

    def __init__(self, user: Any) -> None:
        from django.test import Client

        self.client = Client(SERVER_NAME="localhost")
        self.client.force_login(user)

    def home_rows(self, *, k: int) -> Shown:
        return _shown(self.client.get("/api/recommendations/home/", {"k": k}).json())

    def category_page(self, *, category_id: int) -> Shown:
        response = self.client.get("/search/", {"category": category_id})
        return _page_shown(response.content.decode(), "search") if response.status_code == 200 else Shown("", [])

    def item_rows(self, *, listing_id: int, k: int) -> Shown:
        response = self.client.get(f"/api/recommendations/item/{listing_id}/", {"k": k})
        return _shown(response.json()) if response.status_code == 200 else Shown("", [])

    def item_view(self, *, listing_id: int, request_id: str) -> bool:
        return self.client.get(f"/item/{listing_id}/", {"rid": request_id}).status_code == 200

    def post(self, path: str, data: dict[str, Any]) -> bool:
        return self.client.post(path, data).status_code in (200, 302)


class HttpClient:
    """A signed-in shopper over HTTP (a `requests` session with its cookies), logged in through the login form."""

    def __init__(self, base_url: str, *, username: str, password: str) -> None:
        import requests

        self.base_url = base_url
        self.session = requests.Session()
        self.session.get(f"{base_url}/accounts/login/", timeout=HTTP_TIMEOUT_SECONDS)
        response = self.session.post(f"{base_url}/accounts/login/", timeout=HTTP_TIMEOUT_SECONDS,
                                     data={"username": username, "password": password, **self._csrf()},
                                     headers={"Referer": f"{base_url}/accounts/login/"})
        if "sessionid" not in self.session.cookies:
            raise ApplicationError(f"Could not log {username!r} in at {base_url} (HTTP {response.status_code}).")

    def _csrf(self) -> dict[str, str]:
        token = self.session.cookies.get("csrftoken", "")
        return {"csrfmiddlewaretoken": token} if token else {}

    def home_rows(self, *, k: int) -> Shown:
        response = self.session.get(f"{self.base_url}/api/recommendations/home/", params={"k": k},
                                    timeout=HTTP_TIMEOUT_SECONDS)
        return _shown(response.json())

    def category_page(self, *, category_id: int) -> Shown:
        response = self.session.get(f"{self.base_url}/search/", params={"category": category_id},
                                    timeout=HTTP_TIMEOUT_SECONDS)
        return _page_shown(response.text, "search") if response.status_code == 200 else Shown("", [])

    def item_rows(self, *, listing_id: int, k: int) -> Shown:
        response = self.session.get(f"{self.base_url}/api/recommendations/item/{listing_id}/", params={"k": k},
                                    timeout=HTTP_TIMEOUT_SECONDS)
        return _shown(response.json()) if response.status_code == 200 else Shown("", [])

    def item_view(self, *, listing_id: int, request_id: str) -> bool:
        response = self.session.get(f"{self.base_url}/item/{listing_id}/", params={"rid": request_id},
                                    timeout=HTTP_TIMEOUT_SECONDS)
        return response.status_code == 200

    def post(self, path: str, data: dict[str, Any]) -> bool:
        response = self.session.post(f"{self.base_url}{path}", data={**data, **self._csrf()},
                                     headers={"Referer": f"{self.base_url}{path}"}, allow_redirects=False,
                                     timeout=HTTP_TIMEOUT_SECONDS)
        return response.status_code in (200, 302)
