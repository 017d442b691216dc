"""Test settings: real Postgres and Redis (embedded by default), CPU, fast password hashing."""

import os

from marketplace.settings.base import *  # noqa: F403
from marketplace.settings.base import BASE_DIR

os.environ.setdefault("RECOMMENDER_DEVICE", "cpu")
DEBUG = False
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RECOMMENDER_ARTIFACTS_DIR = BASE_DIR / ".data" / "test-models"
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
