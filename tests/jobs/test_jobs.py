"""Background-job status: services record start, throttled progress and the end (done / failed / interrupted);
a job whose process died is marked interrupted; the admin status page and `manage.py status` show each job's
state, epoch, metric and ETA."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from jobs.models import BackgroundJob, JobKind, JobState
from jobs.services import job_finish, job_progress, job_queue, job_start, job_tracked

pytestmark = pytest.mark.django_db


def status(*args: str) -> str:
    out = StringIO()
    call_command("status", *args, stdout=out)
    return out.getvalue()


def test_progress_writes_are_throttled_but_an_epoch_end_is_always_written():
    job = job_start(kind=JobKind.TRAINING, name="pwprec", epochs=10)
    # a step report right after the start is kept on the instance only
    assert not job_progress(job=job, epoch=1, metric_name="loss", metric_value=2.5)
    assert BackgroundJob.objects.get(pk=job.pk).epoch is None
    # an epoch's end is forced through
    assert job_progress(job=job, force=True, epoch=1, metric_name="valid_recall@20", metric_value=0.25,
                        eta_seconds=90)
    stored = BackgroundJob.objects.get(pk=job.pk)
    assert (stored.epoch, stored.epochs, stored.metric_value, stored.state) == (1, 10, 0.25, JobState.RUNNING)
    assert timedelta(seconds=80) < stored.eta - timezone.now() <= timedelta(seconds=90)
    with pytest.raises(TypeError, match="unknown field"):
        job_progress(job=job, force=True, epochz=2)


def test_tracked_jobs_end_done_failed_or_interrupted(caplog):
    with job_tracked(kind=JobKind.BACKFILL, name="ok") as job:
        pass
    with pytest.raises(ValueError), job_tracked(kind=JobKind.UNIT_BUILD, name="broken"):
        raise ValueError("no embeddings")
    with pytest.raises(KeyboardInterrupt), job_tracked(kind=JobKind.SEEDING, name="demo"):
        raise KeyboardInterrupt
    states = dict(BackgroundJob.objects.values_list("name", "state"))
    assert states == {"ok": JobState.DONE, "broken": JobState.FAILED, "demo": JobState.INTERRUPTED}
    assert BackgroundJob.objects.get(name="broken").message == "ValueError: no embeddings"
    assert BackgroundJob.objects.get(pk=job.pk).finished_at is not None
    levels = {record.levelname for record in caplog.records if record.name == "jobs.services"}
    assert {"INFO", "ERROR", "WARNING"} <= levels


def test_start_takes_over_a_queued_job_and_marks_one_whose_process_is_gone_interrupted():
    # given a running job whose process has exited (a killed worker) and a queued one
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = BackgroundJob.objects.create(kind=JobKind.TRAINING, name="mercatran", state=JobState.RUNNING,
                                        worker=f"{socket.gethostname()}:{gone.pid}")
    queued = job_queue(kind=JobKind.TRAINING, name="mercatran")
    # when the task starts again
    job = job_start(kind=JobKind.TRAINING, name="mercatran", epochs=5)
    # then it runs as the queued row, and the dead one is interrupted
    assert job.pk == queued.pk and job.state == JobState.RUNNING and job.started_at is not None
    dead.refresh_from_db()
    assert dead.state == JobState.INTERRUPTED and "is gone" in dead.message


def test_status_command_prints_one_line_per_recent_job():
    training = job_start(kind=JobKind.TRAINING, name="pwprec", epochs=10, stage="pwprec")
    job_progress(job=training, force=True, epoch=3, metric_name="valid_recall@20", metric_value=0.4123,
                 eta_seconds=125)
    backfill = job_start(kind=JobKind.BACKFILL, name="pwprec item vectors")
    job_progress(job=backfill, force=True, done=2000, total=20000)
    job_finish(job=backfill, message="20,000 listings")
    stalled = job_start(kind=JobKind.UNIT_BUILD, name="semantic")
    BackgroundJob.objects.filter(pk=stalled.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    lines = status().splitlines()

    assert len(lines) == 3
    line = next(x for x in lines if f"#{training.pk} " in x)
    assert "training" in line and "running" in line and "epoch 3/10" in line
    assert "valid_recall@20 0.4123" in line and "ETA 2 min" in line
    line = next(x for x in lines if f"#{backfill.pk} " in x)
    assert "done" in line and "2,000/20,000" in line and "20,000 listings" in line and "ETA" not in line
    assert "stalled" in next(x for x in lines if f"#{stalled.pk} " in x)
    active = status("--active")
    assert f"#{training.pk} " in active and f"#{backfill.pk} " not in active


def test_status_command_with_no_jobs():
    assert status().strip() == "no background jobs yet"


def test_admin_status_page_shows_each_job_with_its_epoch(admin_client):
    job = job_start(kind=JobKind.TRAINING, name="iu_boosted", epochs=8)
    job_progress(job=job, force=True, epoch=2, metric_name="valid_auc", metric_value=0.61, eta_seconds=600)

    page = admin_client.get("/admin/status/", follow=True)

    assert page.status_code == 200
    html = page.content.decode()
    assert "iu_boosted" in html and "epoch 2/8" in html and "valid_auc 0.6100" in html and "running" in html
    assert 'http-equiv="refresh"' in html  # it refreshes itself
    assert "Add background job" not in html  # jobs write their own rows


def test_the_status_page_is_for_staff_only(client):
    page = client.get("/admin/jobs/backgroundjob/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_an_item_vector_backfill_is_a_job(settings):
    from recommender.tasks import item_vectors_backfill

    # no active pwprec version: nothing to write, and the job says so
    assert item_vectors_backfill("pwprec") == 0
    job = BackgroundJob.objects.get(kind=JobKind.BACKFILL)
    assert job.name == "pwprec item vectors" and job.state == JobState.DONE and job.message == "0 listings"
