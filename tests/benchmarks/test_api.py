"""`bench_api`: the open-loop driver against a live server, the report's shape, recall, and clear CLI errors."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from benchmarks.api import SURFACES, bench_api_run, latency_summary, loopback_url_validate
from interest_units.models import InterestUnit, InterestUnitMember
from marketplace.models import Event, EventAction
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from tests.factories import UserFactory, listing_with_text_vector


@pytest.fixture
def catalogue():
    rng = np.random.default_rng(0)
    listings = [listing_with_text_vector(rng) for _ in range(30)]
    shoppers = [UserFactory() for _ in range(3)]
    for n, shopper in enumerate(shoppers):
        events_record(user=shopper, session_id=f"s{n}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=x.pk, page="vip") for x in listings[n::5]
        ])
    for listing in listings[:5]:
        listing_buy(listing_id=listing.pk, buyer=shoppers[0])
    unit = InterestUnit.objects.create(type="semantic", key="bench", title="Bench unit")
    InterestUnitMember.objects.bulk_create(InterestUnitMember(unit=unit, listing=x, type="semantic")
                                           for x in listings[::2])
    return listings


@pytest.mark.django_db(transaction=True)
def test_bench_reports_every_surface_and_recall_and_cleans_up(live_server, catalogue):
    # given
    events_before = Event.objects.count()
    tokens_before = Token.objects.count()
    # when: ~2 s of load in all (0.5 s per surface at 10 requests/s)
    report = bench_api_run(rps=10, duration=0.5, base_url=live_server.url, users=3, recall_queries=15)
    # then
    assert set(report["surfaces"]) == {s.name for s in SURFACES}
    for name, result in report["surfaces"].items():
        assert result["requests"] == 5, name
        assert sum(result["status_counts"].values()) == 5
        assert result["ok"] + result["errors"] == 5
        assert 0.0 <= result["error_rate"] <= 1.0
        assert set(result["latency_ms"]) == {"p50", "p95", "p99", "max", "mean"}
        lat = result["latency_ms"]
        assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert report["surfaces"]["units"]["error_rate"] == 0  # the paths without vectors answer
    recall = report["recall"]
    assert recall["queries"] == 15 and recall["k"] == 20
    assert 0.0 <= recall["recall_at_k"] <= 1.0
    assert recall["inactive_in_results"] == 0 and recall["embedded_not_active"] == 5
    assert report["data"]["active_listings"] == 25 and report["data"]["events"] >= events_before
    assert report["machine"]["cpus"] >= 1 and report["config"]["base_url"] == live_server.url.rstrip("/")
    # the run's impressions and tokens are gone again
    assert report["events_written"] > 0
    assert Event.objects.count() == events_before and Token.objects.count() == tokens_before


def test_latency_summary_percentiles():
    summary = latency_summary([float(i) for i in range(1, 101)])
    assert summary["p50"] == pytest.approx(50.5) and summary["p99"] == pytest.approx(99.01)
    assert summary["max"] == 100.0
    assert latency_summary([])["p99"] is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"])
def test_loopback_urls_are_accepted(url):
    assert loopback_url_validate(url) == url.rstrip("/")


@pytest.mark.django_db
@pytest.mark.parametrize(("arguments", "message"), [
    (["--rps", "0", "--duration", "1"], "--rps must be"),
    (["--rps", "-5", "--duration", "1"], "--rps must be"),
    (["--rps", "10", "--duration", "0"], "--duration must be"),
    (["--rps", "10", "--duration", "100000"], "--duration must be"),
    (["--rps", "10", "--duration", "1", "--users", "0"], "--users must be"),
    (["--rps", "10", "--duration", "1", "--base-url", "http://10.1.2.3:8000"], "Only loopback"),
    (["--rps", "10", "--duration", "1", "--base-url", "ftp://127.0.0.1/"], "Not an http"),
    (["--rps", "10", "--duration", "1", "--surfaces", "home,nope"], "Unknown surface"),
])
def test_bad_arguments_are_clear_command_errors(tmp_path, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench_api", *arguments, "--out", str(tmp_path / "r.json"))
    assert not (tmp_path / "r.json").exists()


@pytest.mark.django_db
def test_unreachable_server_is_a_clear_command_error(tmp_path):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CommandError, match="Cannot reach"):
        call_command("bench_api", "--rps", "10", "--duration", "1", "--base-url", f"http://127.0.0.1:{port}",
                     "--out", str(tmp_path / "r.json"))
