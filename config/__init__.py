"""The Django project package: settings, root URLs, the Celery app and the WSGI entry point."""

import os

# OpenMP threads that wait by spinning hold a core each between torch's parallel regions; on a busy machine they
# spin against each other and training runs 10-50x slower (a PWPRec epoch: 26 s idle, over 7 min at load 12).
# Waiting threads sleep instead. Read by OpenMP when torch loads, so it is set before any process imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from config.celery import app as celery_app  # noqa: E402  (the variable first, before anything can import torch)

__all__ = ["celery_app"]
