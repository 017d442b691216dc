"""A training message delivered after the model was trained since it was queued (the demo queues every untrained
model at each start, while the broker may still hold the previous start's messages) trains nothing."""

import time

import pytest

from jobs.models import BackgroundJob, JobKind, JobState
from jobs.services import job_queue
from recommender.models import ModelVersion
from recommender.tasks import model_train

pytestmark = pytest.mark.django_db


def test_a_run_queued_before_the_newest_version_is_skipped_and_its_job_closed():
    # given a run queued, then a version of the model trained by another run
    queued_at = time.time() - 60
    job_queue(kind=JobKind.TRAINING, name="pwprec")
    newer = ModelVersion.objects.create(name="pwprec", checkpoint="pwprec/newer.pt")

    # when the queued message is delivered (an empty database: a real run would fail for want of events)
    result = model_train.apply(args=["pwprec"], kwargs={"queued_at": queued_at}).get()

    # then nothing trains and the status page says why
    assert result is None
    job = BackgroundJob.objects.get(kind=JobKind.TRAINING, name="pwprec")
    assert job.state == JobState.DONE
    assert f"version #{newer.pk}" in job.message and "skipped" in job.message
    assert ModelVersion.objects.filter(name="pwprec").count() == 1


def test_a_run_queued_after_the_newest_version_trains():
    # given a version trained before the run was queued
    ModelVersion.objects.create(name="pwprec", checkpoint="pwprec/older.pt")
    queued_at = time.time() + 1

    # then the run goes ahead: here it stops at once, for the database has no events to train on
    with pytest.raises(Exception, match="no events"):
        model_train.apply(args=["pwprec"], kwargs={"queued_at": queued_at}).get()
