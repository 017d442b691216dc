"""bench_nrt's measurement: every interest event is timed to its new vectors, and the run leaves no events."""

from datetime import timedelta

import pytest
import torch
from django.utils import timezone

from benchmarks.nrt import nrt_latency_run
from marketplace.models import Event, EventAction
from recommender.models import UserVectors
from recommender.serving.loading import served_models_forget
from tests.factories import UserFactory
from tests.recommender.served import listings_with_text_vectors, pwprec_trained_and_activated

pytestmark = pytest.mark.django_db(transaction=True)

TINY = {"d": 64, "n_layers": 1, "n_heads": 2, "epochs": 1, "n_interests": 2, "interest_hidden": 16,
        "categorical_dim": 4, "item_blocks": 1, "batch_size": 32, "home_batch_size": 32}


@pytest.fixture
def served(tmp_path, settings):
    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    torch.manual_seed(0)
    listings = listings_with_text_vectors(30)
    users = [UserFactory() for _ in range(3)]
    start = timezone.now() - timedelta(days=1)
    Event.objects.bulk_create([
        Event(user=user, session_id=f"s{u}-{step // 3}", listing=listings[(u * 5 + step) % 30],
              action=EventAction.ITEM_VIEW, page="vip", created_at=start + timedelta(hours=step // 3, minutes=step))
        for u, user in enumerate(users) for step in range(6)
    ])
    pwprec_trained_and_activated(tmp_path, TINY)
    yield users
    served_models_forget()


def test_every_interest_event_is_timed_and_the_run_cleans_up(served):
    # given: tasks run eagerly in tests, so each commit refreshes the vectors before the next visit
    before = Event.objects.count()
    # when
    summary = nrt_latency_run(users=3, rate=40.0, duration=0.5, impressions=3, start_worker=False, timeout=5.0)
    # then every interest commit was seen in Postgres and in Redis, in order
    assert summary["interest_events"] >= 1
    assert summary["missed"] == 0
    assert summary["stored"]["n"] == summary["cached"]["n"] == summary["interest_events"]
    assert 0 <= summary["stored"]["p50_ms"] <= summary["cached"]["p95_ms"] < 5000
    assert summary["interest_events"] == summary["page_visits"]
    assert summary["events_written"] >= summary["page_visits"] * (1 + 3) + 1  # + the warm-up view
    # and the run's events are gone, the users' vectors recomputed from what remains
    assert Event.objects.count() == before
    assert not Event.objects.filter(session_id__startswith="nrt-bench-").exists()
    for user in served:
        row = UserVectors.objects.get(user=user, space="pwprec")
        assert row.events_seen == Event.objects.filter(user=user).latest("pk").pk
