"""A process that only sets Django up and imports the Celery tasks (a worker's parent, beat, the demo supervisor)
does not import torch: models and their ~200 MB load only where a task or request needs them (issue 17)."""

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import sys, django
django.setup()
import interest_units.tasks, marketplace.tasks, outbox.tasks, recommender.tasks  # what a worker autodiscovers
print(sorted(name for name in ("torch", "sentence_transformers") if name in sys.modules))
"""


def test_django_and_the_tasks_load_without_torch():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


# The machine is asked directly: the test settings pin RECOMMENDER_DEVICE to the CPU, which skips the question.
DEVICE_PROBE = """
import sys, django
django.setup()
from interest_units.embeddings import _device_detected
print(_device_detected(), "torch" in sys.modules)
"""


@pytest.mark.skipif(ctypes.util.find_library("cuda") is not None, reason="an NVIDIA driver: torch is how CUDA is asked")
def test_the_text_encoder_finds_the_cpu_without_torch():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", DEVICE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "cpu False"


# A web process as gunicorn runs it (config/wsgi.py, with workers for the tasks and models loading in the background)
# on this test's database: a signed-in viewer's home page, an item page and the recommendations API.
WEB_PROBE = """
import os, sys, threading
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["PROBE_DATABASE"]
settings.RECOMMENDER_LOAD_IN_BACKGROUND = True  # as in the local and production settings
from config.wsgi import application  # noqa: F401 (sets the process up as gunicorn does)
from django.contrib.auth.models import User
from django.test import Client
client = Client()
client.force_login(User.objects.get(pk=int(os.environ["PROBE_USER"])))
for url in ("/", f"/item/{os.environ['PROBE_LISTING']}/", "/api/recommendations/home/"):
    assert client.get(url).status_code == 200, url
for thread in threading.enumerate():  # a checkpoint loading in the background counts too
    if thread.name.startswith("load-"):
        thread.join(timeout=60)
print(sorted(name for name in ("torch", "sentence_transformers") if name in sys.modules))
"""


@pytest.mark.django_db(transaction=True)
def test_web_requests_load_no_model_nor_torch(client):
    from django.db import connection

    from recommender.models import ModelVersion
    from tests.factories import ListingFactory, UserFactory

    # given the viewer's pages' slates (computed here, as a worker would) and then a model version made active
    listings, viewer = [ListingFactory() for _ in range(3)], UserFactory()
    client.force_login(viewer)
    for url in ("/", f"/item/{listings[0].pk}/"):
        assert client.get(url).status_code == 200
    ModelVersion.objects.create(name="pwprec", checkpoint="never-read.pt", is_active=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_TASK_ALWAYS_EAGER": "0",
           "CELERY_BROKER_URL": "memory://", "PROBE_DATABASE": connection.settings_dict["NAME"],
           "PROBE_USER": str(viewer.pk), "PROBE_LISTING": str(listings[0].pk)}
    # when a web process serves the pages
    result = subprocess.run([sys.executable, "-c", WEB_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=180)
    # then neither torch nor the text encoder was imported
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_openmp_threads_sleep_rather_than_spin_in_every_django_process():
    # spinning OpenMP threads made a PWPRec epoch take minutes instead of seconds on a busy 2-core machine
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    probe = "import os, django; django.setup(); print(os.environ.get('OMP_WAIT_POLICY'))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "PASSIVE"
