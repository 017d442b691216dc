"""Training that survives a restart: a run interrupted after an epoch (Ctrl-C) and started again on the same data
resumes from its saved state, runs only the remaining epochs and ends with the very weights of an uninterrupted run;
progress reports carry the epoch, the metric and an ETA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.nets.resume import ResumeStore
from recommender.nets.training import TrainingHooks, TrainingProgress, training_session
from recommender.registry import create_recommender, registered_names
from recommender.tasks import item_vectors_backfill_request as backfill
from tests.recommender import test_commands
from tests.recommender.test_training import tiny_config, tiny_market

EPOCHS = 3
marketplace_log = test_commands.marketplace_log  # the fixture: 8 users, 12 listings, 10 days in the database


@pytest.fixture(scope="module")
def market():
    return tiny_market()


def weights(model) -> dict[str, torch.Tensor]:
    nets = {"net": getattr(model, "net", None)}
    if model.name.startswith("ranker"):  # the ranker's nets are its SCID and two-tower components
        nets = {"scid": model.scid.net, "two_tower": model.two_tower.net}
    return {f"{owner}.{k}": v.detach().clone() for owner, net in nets.items() if net is not None
            for k, v in net.state_dict().items()}


def interrupt_after(epoch: int):
    def on_progress(progress: TrainingProgress) -> None:
        if progress.epoch_done and progress.epoch == epoch:
            raise KeyboardInterrupt

    return on_progress


# The ranker (its nets are tested as their own names) and the session hybrid (LightGBM over neighbourhood signals,
# minutes to fit) have no epochs of a net to resume.
@pytest.mark.parametrize("name", [n for n in registered_names("model")
                                  if n not in ("ranker", "ranker_base", "session_hybrid")])
def test_a_training_interrupted_after_an_epoch_resumes_and_ends_as_an_uninterrupted_one(name, market, tmp_path):
    config = tiny_config(name, epochs=EPOCHS, patience=99)
    # given an uninterrupted run
    reference = create_recommender(name, config)
    reference_log = reference.fit(market)
    # and a run stopped by Ctrl-C at the end of its first epoch
    store = ResumeStore(tmp_path / "resume")
    with pytest.raises(KeyboardInterrupt), training_session(TrainingHooks(on_progress=interrupt_after(1),
                                                                          resume=store)):
        create_recommender(name, config).fit(market)
    assert store.exists()
    # when it is started again on the same data
    epochs_run: list[tuple[str, int]] = []

    def record(progress: TrainingProgress) -> None:
        if progress.epoch_done:
            epochs_run.append((progress.stage, progress.epoch))

    resumed = create_recommender(name, config)
    with training_session(TrainingHooks(on_progress=record, resume=store)) as session:
        log = resumed.fit(market)
    # then it ran only the remaining epochs of the interrupted stage, and ends with the same epochs and weights
    assert session.resumed and epochs_run[0][1] == 2
    assert log["epochs_run"] == reference_log["epochs_run"] == EPOCHS
    assert [e["epoch"] for e in log["epochs"]] == list(range(1, EPOCHS + 1))
    expected, actual = weights(reference), weights(resumed)
    assert expected.keys() == actual.keys() and expected
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=0, msg=key)


def test_a_multi_stage_fit_does_not_rerun_the_stages_finished_before_the_interruption(market, tmp_path):
    # the ranking two-tower pre-trains, then fine-tunes: interrupted in fine-tuning, it keeps its pre-training
    config = tiny_config("ranking_two_tower", epochs=2, patience=99, finetune_epochs=2)
    reference = create_recommender("ranking_two_tower", config)
    reference.fit(market)
    store = ResumeStore(tmp_path / "resume")

    def interrupt_fine_tuning(progress: TrainingProgress) -> None:
        if progress.epoch_done and "fine-tuning" in progress.stage:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), training_session(TrainingHooks(on_progress=interrupt_fine_tuning,
                                                                          resume=store)):
        create_recommender("ranking_two_tower", config).fit(market)
    stages: list[str] = []
    resumed = create_recommender("ranking_two_tower", config)
    with training_session(TrainingHooks(on_progress=lambda p: stages.append(p.stage), resume=store)):
        resumed.fit(market)
    assert stages and all("fine-tuning" in stage for stage in stages)
    for key, value in weights(reference).items():
        torch.testing.assert_close(weights(resumed)[key], value, rtol=0, atol=0, msg=key)


def test_progress_reports_the_epoch_the_monitored_metric_and_an_eta(market):
    reports: list[TrainingProgress] = []
    model = create_recommender("pwprec", tiny_config("pwprec", epochs=2, patience=99))
    with training_session(TrainingHooks(on_progress=reports.append)):
        model.fit(market)
    ends = [r for r in reports if r.epoch_done]
    assert [r.epoch for r in ends] == [1, 2] and all(r.epochs == 2 for r in ends)
    assert ends[0].monitor == "valid_recall@20" and ends[0].best == ends[0].metrics["valid_recall@20"]
    assert ends[0].eta_seconds is not None and ends[0].eta_seconds > 0 and ends[-1].eta_seconds == 0
    steps = [r for r in reports if not r.epoch_done]
    assert steps and steps[0].steps and steps[0].step == 1


def test_an_unreadable_resume_state_starts_the_stage_over(market, tmp_path):
    store = ResumeStore(tmp_path / "resume")
    store.directory.mkdir()
    store.path(0).write_bytes(b"torn")
    config = tiny_config("scid", epochs=2, patience=99)
    with training_session(TrainingHooks(resume=store)) as session:
        log = create_recommender("scid", config).fit(market)
    assert log["epochs_run"] == 2 and not session.resumed
    assert np.isfinite(log["epochs"][-1]["loss"])


# -- model_train: the train command and the Celery task ------------------------------------------------------------
def checkpoint_weights(path) -> dict[str, torch.Tensor]:
    from recommender.registry import load_recommender

    return weights(load_recommender(path))


@pytest.mark.django_db
def test_a_training_interrupted_and_restarted_finishes_without_starting_over(marketplace_log, tmp_path, admin_client):
    from datetime import timedelta

    from jobs.models import BackgroundJob, JobKind, JobState
    from marketplace.models import EventAction
    from marketplace.services.events import EventInput, events_record
    from recommender.services import evaluation_data_from_db, model_train
    from tests.factories import UserFactory
    from tests.recommender.test_commands import DAYS, START

    training = {"epochs": EPOCHS, "patience": 99}
    events_at_start = evaluation_data_from_db(action="train")  # for an uninterrupted run on the same events
    pages: list[str] = []

    def interrupt_after_one_epoch(progress: TrainingProgress) -> None:
        if progress.epoch_done:  # what the admin shows while the job runs, then Ctrl-C
            pages.append(admin_client.get("/admin/status/", follow=True).content.decode())
            raise KeyboardInterrupt

    # given a run stopped by Ctrl-C after its first epoch
    with pytest.raises(KeyboardInterrupt):
        model_train(name="pwprec", vectors_backfill=backfill, training=training, out_dir=tmp_path / "run", force=True,
                    on_epoch=interrupt_after_one_epoch)
    assert "pwprec" in pages[0] and "epoch 1/3" in pages[0] and "running" in pages[0]
    interrupted = BackgroundJob.objects.get(kind=JobKind.TRAINING, name="pwprec")
    assert interrupted.state == JobState.INTERRUPTED and interrupted.epoch == 1
    assert (tmp_path / "run" / "resume" / "pwprec" / "window.json").is_file()
    # and the marketplace logged on meanwhile: the restart must read the same window of events
    events_record(user=UserFactory(), session_id="later", events=[EventInput(
        action=EventAction.ITEM_VIEW, listing_id=marketplace_log[0].pk, page="vip",
        created_at=START + timedelta(days=DAYS + 1))])

    # when it is started again
    epochs: list[int] = []
    result = model_train(name="pwprec", training=training, out_dir=tmp_path / "run", force=True,
                         vectors_backfill=backfill, on_epoch=lambda p: epochs.append(p.epoch) if p.epoch_done else None)

    # then it ran epochs 2 and 3 only, and the version records the 3 epochs of the whole run
    assert epochs == [2, 3]
    fit_log = result.version.metrics["training"]
    assert fit_log["epochs_run"] == EPOCHS and [e["epoch"] for e in fit_log["epochs"]] == [1, 2, 3]
    assert any("resumed from an interrupted run" in note for note in result.notes)
    assert not (tmp_path / "run" / "resume" / "pwprec").exists()  # a finished run leaves no resume state
    finished = BackgroundJob.objects.exclude(pk=interrupted.pk).get(kind=JobKind.TRAINING, name="pwprec")
    assert finished.state == JobState.DONE and finished.epoch == EPOCHS
    assert f"version #{result.version.pk}" in finished.message
    # and its weights are those of an uninterrupted run on the same events
    reference = model_train(name="pwprec", training=training, out_dir=tmp_path / "reference", force=True,
                            vectors_backfill=backfill, data=events_at_start)
    expected, actual = checkpoint_weights(reference.checkpoint), checkpoint_weights(result.checkpoint)
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=0, msg=key)


@pytest.mark.django_db
def test_no_resume_starts_over(marketplace_log, tmp_path):
    from recommender.services import model_train

    def interrupt(progress: TrainingProgress) -> None:
        if progress.epoch_done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model_train(name="pwprec", training={"epochs": 2}, out_dir=tmp_path, on_epoch=interrupt,
                    vectors_backfill=backfill)
    epochs: list[int] = []
    model_train(name="pwprec", vectors_backfill=backfill, training={"epochs": 2}, out_dir=tmp_path, resume=False,
                on_epoch=lambda p: epochs.append(p.epoch) if p.epoch_done else None)
    assert epochs == [1, 2] and not (tmp_path / "resume" / "pwprec").exists()


def test_the_training_task_is_delivered_again_when_its_worker_dies():
    # a killed worker leaves the message unacknowledged (acks_late) or rejects it back to the queue (a lost child
    # process): the broker delivers it again, and the new run resumes from the last finished epoch
    from recommender.tasks import model_train

    assert model_train.acks_late and model_train.reject_on_worker_lost


def test_a_resume_state_of_another_architecture_starts_over(market, tmp_path):
    # e.g. the net's code changed between the interruption and the restart: the old state cannot be loaded
    store = ResumeStore(tmp_path / "resume")
    with pytest.raises(KeyboardInterrupt), training_session(TrainingHooks(on_progress=interrupt_after(1),
                                                                          resume=store)):
        create_recommender("scid", tiny_config("scid", epochs=2, patience=99)).fit(market)
    wider = create_recommender("scid", tiny_config("scid", epochs=2, patience=99, hidden=24))
    with training_session(TrainingHooks(resume=store)) as session:
        log = wider.fit(market)
    assert log["epochs_run"] == 2 and not session.resumed


@pytest.mark.django_db
def test_a_restart_with_another_config_starts_over_on_the_current_events(marketplace_log, tmp_path):
    from recommender.services import model_train

    def interrupt(progress: TrainingProgress) -> None:
        if progress.epoch_done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model_train(name="pwprec", training={"epochs": 3}, out_dir=tmp_path, on_epoch=interrupt,
                    vectors_backfill=backfill)
    epochs: list[int] = []
    result = model_train(name="pwprec", vectors_backfill=backfill, training={"epochs": 2, "lr": 0.01}, out_dir=tmp_path,
                         on_epoch=lambda p: epochs.append(p.epoch) if p.epoch_done else None)
    assert epochs == [1, 2] and not any("resumed" in note for note in result.notes)
    assert not (tmp_path / "resume" / "pwprec").exists()
