import json
import random
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from marketplace.models import EventAction
from marketplace.services.events import EventInput, events_record
from recommender.models import ModelVersion
from recommender.registry import load_recommender
from recommender.services import model_version_activate
from recommender.tasks import item_vectors_backfill_request
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
DAYS = 10


@pytest.fixture
def marketplace_log():
    """8 users browsing 12 listings for 10 days: sessions of views along a loop of 'next' listings (so
    co-occurrence has something to learn), plus homepage impressions, some clicked."""
    rng = random.Random(7)
    listings = [ListingFactory(created_at=START - timedelta(days=30)) for _ in range(12)]
    users = [UserFactory() for _ in range(8)]
    for day in range(DAYS):
        for u, user in enumerate(users):
            t = START + timedelta(days=day, hours=u)
            request = f"req-{day}-{u}"
            shown = rng.sample(listings, 4)
            batch = [
                EventInput(action=EventAction.IMPRESSION, listing_id=x.pk, page="home", surface="home_popular",
                           position=p, request_id=request, created_at=t)
                for p, x in enumerate(shown)
            ]
            start = rng.randrange(len(listings))
            for step in range(4):
                listing = listings[(start + step) % len(listings)]
                batch.append(EventInput(
                    action=EventAction.ITEM_VIEW, listing_id=listing.pk, page="vip",
                    request_id=request if listing in shown else "", created_at=t + timedelta(minutes=step + 1),
                ))
            events_record(user=user, session_id=f"s-{day}-{u}", events=batch)
    return listings


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_evaluate_on_the_database_writes_reports_and_versions(marketplace_log, tmp_path):
    out = run("evaluate", "--models", "popularity,cooccurrence", "--dataset", "db", "--out", str(tmp_path),
              "--no-progress")

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["dataset"] == "db" and metrics["protocol"] == "vip"
    assert set(metrics["models"]) == {"popularity", "cooccurrence"}
    for values in metrics["models"].values():
        assert {"recall@20", "ndcg@20", "mrr@20", "recall@1", "recall@5", "recall@10"} <= set(values)
        assert values["n_predictions"] > 0
    # The loop of views is learnable: co-occurrence beats a fixed popularity order.
    assert metrics["models"]["cooccurrence"]["recall@1"] > metrics["models"]["popularity"]["recall@1"]
    assert (tmp_path / "report.md").exists() and (tmp_path / "recall_at_k.png").read_bytes()[:4] == b"\x89PNG"
    versions = ModelVersion.objects.filter(dataset="db")
    assert sorted(versions.values_list("name", flat=True)) == ["cooccurrence", "popularity"]
    assert all("vip" in v.metrics and not v.is_active and not v.checkpoint for v in versions)
    assert "cooccurrence" in out and "recall@20" in out


@pytest.mark.parametrize("protocol, keys", [("home", {"recall@20", "n_users"}), ("ctr", {"auc", "gauc"})])
def test_evaluate_home_and_ctr_protocols(marketplace_log, tmp_path, protocol, keys):
    run("evaluate", "--models", "popularity", "--protocol", protocol, "--test-days", "3", "--out", str(tmp_path),
        "--no-record", "--no-progress")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["protocol"] == protocol
    assert keys <= set(metrics["models"]["popularity"])
    if protocol == "ctr":
        values = metrics["models"]["popularity"]
        assert 0.0 <= values["auc"] <= 1.0 and values["n_impressions"] == 8 * 3 * 4
        assert (tmp_path / "auc.png").read_bytes()[:4] == b"\x89PNG"
    assert not ModelVersion.objects.exists()


def write_yoochoose(path: Path, sessions: list[list[int]], start: float) -> Path:
    lines = ["SessionId\tItemId\tTime"]
    t = start
    for s, items in enumerate(sessions, start=int(start)):
        for item in items:
            lines.append(f"{s}\t{item}\t{t}")
            t += 60.0
    path.write_text("\n".join(lines) + "\n")
    return path


def test_evaluate_on_session_files(tmp_path):
    train = write_yoochoose(tmp_path / "tiny_train.tsv", [[1, 2, 3], [1, 2, 3, 4], [2, 3, 4], [5, 6]] * 3, 1e9)
    test = write_yoochoose(tmp_path / "tiny_test.tsv", [[1, 2, 3, 4], [5, 6]], 2e9)

    run("evaluate", "--models", "popularity,cooccurrence,sknn", "--train", str(train), "--test", str(test),
        "--format", "yoochoose", "--out", str(tmp_path / "out"), "--no-progress")

    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["dataset"] == "tiny" and metrics["protocol"] == "next-item"
    assert metrics["models"]["sknn"]["n_predictions"] == 4
    assert metrics["models"]["cooccurrence"]["recall@1"] == 1.0  # every next item is the strongest rule
    assert ModelVersion.objects.filter(dataset="tiny").count() == 3


def test_train_registers_a_version_and_activates_it_when_forced(marketplace_log, tmp_path):
    out = run("train", "popularity", "--force", "--out-dir", str(tmp_path), "--no-progress")

    version = ModelVersion.objects.get(name="popularity")
    assert version.is_active
    assert version.metrics["vip"]["recall@20"] >= 0
    assert version.metrics["comparison"]["best_baseline"] in {"cooccurrence", "sknn", "content"}
    checkpoint = Path(version.checkpoint)
    assert checkpoint.is_file() and checkpoint.is_relative_to(tmp_path)
    assert load_recommender(checkpoint).name == "popularity"
    assert "best baseline" in out and f"#{version.pk} is now active" in out

    # a second forced run takes over; the first is no longer served
    run("train", "popularity", "--force", "--out-dir", str(tmp_path), "--no-progress")
    assert ModelVersion.objects.filter(name="popularity").count() == 2
    assert ModelVersion.objects.filter(name="popularity", is_active=True).exclude(pk=version.pk).exists()
    version.refresh_from_db()
    assert not version.is_active


def test_train_activates_only_a_version_that_beats_the_best_baseline(marketplace_log, tmp_path):
    run("train", "cooccurrence", "--out-dir", str(tmp_path), "--no-progress")
    version = ModelVersion.objects.get(name="cooccurrence")
    comparison = version.metrics["comparison"]
    assert version.is_active == (comparison["value"] > comparison["best_baseline_value"])


def test_train_all_trains_every_registered_model_against_shared_baselines(marketplace_log, tmp_path, monkeypatch):
    # `all` is every registered name; the neural models have tests of their own, so only the baselines run here
    from recommender.services import training

    baselines = training.registered_names("baseline")
    monkeypatch.setattr(training, "registered_names", lambda kind=None: baselines)
    out = run("train", "all", "--out-dir", str(tmp_path), "--max-sessions", "20", "--epochs", "1", "--no-progress")
    assert {"popularity", "cooccurrence", "sknn", "content"} <= set(ModelVersion.objects.values_list("name", flat=True))
    assert "popularity has no epochs setting; --epochs ignored" in out
    # every version was compared with the other baselines on the same split
    for version in ModelVersion.objects.all():
        assert version.name not in version.metrics["comparison"]["baselines"]
        assert version.metrics["comparison"]["max_sessions"] == 20


def test_evaluation_only_versions_cannot_be_activated(marketplace_log, tmp_path):
    run("evaluate", "--models", "popularity", "--out", str(tmp_path), "--no-progress")
    version = ModelVersion.objects.get()
    from marketplace.errors import ApplicationError

    with pytest.raises(ApplicationError, match="no checkpoint"):
        model_version_activate(version_id=version.pk, vectors_backfill=item_vectors_backfill_request)


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "--models", "nope", "--out", "X"], "Unknown recommender 'nope'"),
        (["evaluate", "--models", "popularity", "--train", "/no/such.tsv", "--test", "/no/such.tsv", "--out", "X"],
         "/no/such.tsv: no such file"),
        (["evaluate", "--models", "popularity", "--train", "a.tsv", "--out", "X"], "both --train FILE and --test"),
        (["evaluate", "--models", "popularity", "--protocol", "bogus", "--out", "X"], "unknown --protocol 'bogus'"),
        (["evaluate", "--models", "popularity", "--dataset", "web", "--out", "X"], "unknown --dataset 'web'"),
        (["evaluate", "--models", "popularity", "--out", "X"], "The database has no events"),
        (["train", "nope"], "Unknown recommender 'nope'"),
        (["train", "popularity"], "The database has no events to train on"),
        (["train", "popularity", "--epochs", "zero"], "'zero' is not a number"),
    ],
)
def test_bad_input_is_a_command_error(args, message, tmp_path):
    with pytest.raises(CommandError, match=message):
        run(*[str(tmp_path / a) if a == "X" else a for a in args])


def test_ctr_on_session_files_is_a_command_error(tmp_path):
    train = write_yoochoose(tmp_path / "t_train.tsv", [[1, 2], [2, 3]], 1e9)
    test = write_yoochoose(tmp_path / "t_test.tsv", [[1, 2]], 2e9)
    with pytest.raises(CommandError, match="needs impressions"):
        run("evaluate", "--models", "popularity", "--protocol", "ctr", "--train", str(train), "--test", str(test),
            "--out", str(tmp_path / "out"))


def test_evaluate_yoochoose_subset(shared_data, tmp_path):
    run("evaluate", "--models", "popularity,sknn", "--train", str(shared_data / "yoochoose_100k_train.tsv"),
        "--test", str(shared_data / "yoochoose_100k_test.tsv"), "--format", "yoochoose", "--out", str(tmp_path),
        "--max-sessions", "300", "--no-record", "--no-progress")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["dataset"] == "yoochoose_100k"
    sknn, popularity = metrics["models"]["sknn"], metrics["models"]["popularity"]
    assert sknn["n_sessions"] == 300 and sknn["n_predictions"] > 500
    assert 0.4 < sknn["recall@20"] < 0.95 and popularity["recall@20"] < 0.25


def test_admin_lists_versions_with_their_primary_metric(marketplace_log, tmp_path, admin_client):
    run("train", "popularity", "--force", "--out-dir", str(tmp_path), "--no-progress")
    version = ModelVersion.objects.get()

    listing = admin_client.get("/admin/recommender/modelversion/")
    detail = admin_client.get(f"/admin/recommender/modelversion/{version.pk}/change/")

    assert listing.status_code == 200 and "vip recall@20 = " in listing.content.decode()
    assert detail.status_code == 200 and "&quot;recall@20&quot;" in detail.content.decode()
