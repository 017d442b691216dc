"""`bench_surfaces`: the report's shape, query counts that could be wrong (the root's few, home's impressions
counted after the response), cleanup, and the seed's draw. No timings are asserted."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command

from benchmarks.surfaces import ROOT, SURFACES, VIEWERS, visitors_prepare
from interest_units.models import InterestUnit, InterestUnitMember
from marketplace.models import Event, EventAction
from marketplace.services.events import EventInput, events_record
from tests.factories import UserFactory, listing_with_text_vector


@pytest.fixture
def catalogue():
    rng = np.random.default_rng(0)
    listings = [listing_with_text_vector(rng) for _ in range(12)]
    for n in range(3):
        events_record(user=UserFactory(), session_id=f"s{n}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=x.pk, page="vip") for x in listings[n::3]
        ])
    members = listings[::2]
    unit = InterestUnit.objects.create(type="semantic", key="bench", title="Bench unit", member_count=len(members),
                                       active_count=len(members))
    InterestUnitMember.objects.bulk_create(InterestUnitMember(unit=unit, listing=x, type="semantic") for x in members)
    return listings


@pytest.mark.django_db(transaction=True)  # the handler closes old connections per request, as a server does
def test_bench_surfaces_reports_every_surface_and_cleans_up(catalogue, tmp_path):
    # given
    events_before, sessions_before = Event.objects.count(), Session.objects.count()
    out = tmp_path / "surfaces.json"
    # when
    call_command("bench_surfaces", "--requests", "3", "--warmup", "1", "--users", "2", "--out", str(out),
                 "--no-progress")
    report = json.loads(out.read_text())
    # then: every surface, as both viewer kinds, measured 3 times
    assert set(report["surfaces"]) == set(SURFACES)
    for name, surface in report["surfaces"].items():
        assert surface["path"] == SURFACES[name]
        for viewer in VIEWERS:
            cell = surface[viewer]
            assert cell["requests"] == 3, (name, viewer)
            assert cell["queries"]["min"] <= cell["queries"]["median"] <= cell["queries"]["max"]
            assert cell["app_cpu_ms"]["mean"] > 0 and cell["cpu_ms"] >= cell["app_cpu_ms"]["mean"]
            assert cell["x_root"] is not None and cell["x_root"] > 0
    # the root: a session read (and the user's, signed in), nothing written after it; the ratio base is itself
    root = report["surfaces"][ROOT]
    assert root["signed_in"]["queries"]["max"] <= 2 and root["anonymous"]["queries"]["max"] <= 1
    assert root["signed_in"]["queries_after_response"]["max"] == 0
    assert root["signed_in"]["x_root"] == root["anonymous"]["x_root"] == 1.0
    # home: its rows read in the response, its impressions written after it, both counted
    home = report["surfaces"]["home"]["signed_in"]
    assert home["queries_in_response"]["min"] >= 2
    assert home["queries_after_response"]["min"] >= 1
    assert home["queries"]["median"] > root["signed_in"]["queries"]["max"]
    # the embedded Postgres runs here: its backend's CPU is read for every request
    assert report["config"]["backend_cpu_source"] and report["config"]["backend_cpu_unavailable"] is None
    assert root["signed_in"]["db_cpu_requests"] == 3 and root["signed_in"]["db_cpu_ms"] is not None
    assert set(report["targets_met"]) == set(SURFACES) and report["targets_met"][ROOT]["queries_per_request"]
    assert report["data"]["active_listings"] == 12 and report["data"]["live_interest_units"] == 1
    assert report["machine"]["cpus"] >= 1 and report["machine"]["loadavg_after"]
    # the run's impressions and sessions are gone again
    assert report["events_written_and_deleted"] > 0
    assert Event.objects.count() == events_before and Session.objects.count() == sessions_before


@pytest.mark.django_db
def test_the_seed_draws_the_same_visitors_and_ids(catalogue):
    first = visitors_prepare(users=2, rng=random.Random(7))
    second = visitors_prepare(users=2, rng=random.Random(7))
    assert (first.listing_ids, first.unit_ids) == (second.listing_ids, second.unit_ids)
    assert len(first.cookies["signed_in"]) == len(first.cookies["anonymous"]) == 2
    assert len(set(first.session_keys) | set(second.session_keys)) == 8


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="--requests"):
        call_command("bench_surfaces", "--requests", "0", "--no-progress")
