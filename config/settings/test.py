"""Test settings: real Postgres and Redis (embedded by default), CPU, fast password hashing."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHE_URL, CACHES, DATABASES

os.environ.setdefault("RECOMMENDER_DEVICE", "cpu")
DEBUG = False
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RECOMMENDER_ARTIFACTS_DIR = BASE_DIR / ".data" / "test-models"
RECOMMENDER_LOAD_IN_BACKGROUND = False  # an activation is served by the next call, as tests expect
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process at commit; a real worker started by a test sets CELERY_TASK_ALWAYS_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)  # noqa: F405
STATIC_ROOT = None  # tests serve static files from the finders; no collectstatic
WHITENOISE_USE_FINDERS = True  # ... which WhiteNoise only does by itself with DEBUG on
MEDIA_SERVE = True  # as in local settings and the demo
# A cache database of its own, so the demo's cache is never touched, and a key prefix per pytest process, so that
# parallel runs (each emptying its own keys between tests) never clear each other's.
CACHES["default"]["LOCATION"] = CACHE_URL.rsplit("db=", 1)[0] + "db=2" if "db=" in CACHE_URL else CACHE_URL[:-1] + "2"  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"
# One test database per pytest process: parallel runs on one machine never drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_marketplace_{os.getpid()}"}  # noqa: F405
