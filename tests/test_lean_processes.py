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
