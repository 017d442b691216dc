"""A process that only sets Django up and imports the Celery tasks (a worker's parent, beat, the demo supervisor)
does not import torch: models and their ~200 MB load only where a task or request needs them (issue 17)."""

import os
import subprocess
import sys
from pathlib import Path

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
