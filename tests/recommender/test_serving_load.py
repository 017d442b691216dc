"""No request waits for a checkpoint: a newly active version loads in a thread while the one before it serves."""

import threading
import time

import pytest

from marketplace.models import Event, EventAction
from recommender import registry
from recommender.dataset_db import dataset_from_db
from recommender.models import ModelVersion
from recommender.registry import create_recommender
from recommender.serving import loading as serving
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(tmp_path, settings):
    """Two saved popularity versions (checkpoints are cheap to make), the first one active."""
    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    user = UserFactory()
    for listing in [ListingFactory() for _ in range(3)]:
        Event.objects.create(user=user, session_id="s", listing=listing, action=EventAction.ITEM_VIEW,
                             created_at=listing.created_at)
    model = create_recommender("popularity")
    model.fit(dataset_from_db())
    made = [ModelVersion.objects.create(name="popularity", checkpoint=str(model.save(tmp_path / f"v{n}.pt")),
                                        metrics={}, is_active=n == 0) for n in range(2)]
    return made


def _activate_elsewhere(version: ModelVersion) -> None:
    """Another process activates `version`; this one notices once its 30 s check is due (here: at once)."""
    ModelVersion.objects.filter(name=version.name).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    serving._active_at = float("-inf")  # the process's 30 s check of the active versions is due


def _served_version(deadline_s: float = 10.0, *, want: int) -> int | None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        served = serving.served_model("popularity")
        if served is not None and served[0] == want:
            return served[0]
        time.sleep(0.02)
    return None


def test_a_new_version_loads_in_the_background_while_the_old_one_serves(versions, settings, monkeypatch):
    # given: the first version loaded and serving; loading checkpoints from now on waits for the test's signal
    first, second = versions
    assert serving.served_model("popularity")[0] == first.pk
    settings.RECOMMENDER_LOAD_IN_BACKGROUND = True
    release, real_load = threading.Event(), registry.load_recommender
    monkeypatch.setattr(registry, "load_recommender", lambda path: release.wait(30) and real_load(path))
    # when: the second version becomes active
    _activate_elsewhere(second)
    started = time.monotonic()
    during = [serving.served_model("popularity") for _ in range(3)]
    waited = time.monotonic() - started
    # then: requests keep the first version without waiting, and get the second once it has loaded
    assert [served[0] for served in during] == [first.pk] * 3 and waited < 5
    release.set()
    assert _served_version(want=second.pk) == second.pk


def test_a_process_with_nothing_loaded_serves_baselines_until_the_load_ends(versions, settings, monkeypatch):
    first, _ = versions
    settings.RECOMMENDER_LOAD_IN_BACKGROUND = True
    release, real_load = threading.Event(), registry.load_recommender
    monkeypatch.setattr(registry, "load_recommender", lambda path: release.wait(30) and real_load(path))
    # when: a request comes before the checkpoint is read
    assert serving.served_model("popularity") is None
    # then: background work that needs the model waits for it, and requests get it once loaded
    release.set()
    assert serving.served_model("popularity", wait=True)[0] == first.pk
    assert _served_version(want=first.pk) == first.pk


def test_a_starting_web_process_loads_the_active_versions_before_any_request(versions, settings, monkeypatch):
    first, _ = versions
    settings.RECOMMENDER_LOAD_IN_BACKGROUND = True
    monkeypatch.setattr(serving, "SURFACE_MODELS", ("popularity",))
    # when
    serving.served_models_preload()
    # then: the checkpoint is loaded without a request asking for it
    deadline = time.monotonic() + 10
    while "popularity" not in serving._models and time.monotonic() < deadline:
        time.sleep(0.02)
    assert serving._models["popularity"][0] == first.pk
