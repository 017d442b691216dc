"""Settings shared by every environment; every value comes from the environment with a safe default.

When DATABASE_URL / REDIS_URL are unset the embedded servers of `marketplace.stack` are used.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url

from marketplace import stack

# pgserver asks platformdirs for a runtime dir it never uses for us; silence the noise it prints.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
_DEFAULT_HOSTS = "localhost,127.0.0.1,[::1],testserver"
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", _DEFAULT_HOSTS).split(",") if h]
# Demo mode shows the demo-user switcher; never on in production.
DEMO_MODE = env_bool("MARKETPLACE_DEMO_MODE", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "marketplace",
    "interest_units",
    "recommender",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.page_events.PageEventsMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.site",
            ],
        },
    },
]

# -- database: external DATABASE_URL, or the embedded PostgreSQL 18 + pgvector --------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or stack.embedded_database_url(),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- redis: cache of ids / user vectors, Celery broker -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_URL = REDIS_URL.rstrip("/") + "/1" if REDIS_URL else stack.embedded_redis_cache_url(db=1)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "TIMEOUT": 300,
        "KEY_PREFIX": "mkt",
        # Redis down must never take a page down: the cache is an optimisation, Postgres is the truth.
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}

# -- celery ---------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL.rstrip("/") + "/0" if REDIS_URL else stack.embedded_redis_url(db=0)
CELERY_RESULT_BACKEND = None  # tasks write their results to Postgres
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: a worker dying mid-task means a re-run, not a loss
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tasks (training, rebuilds) must not hoard messages
# Longest task (a full training run) is bounded by CELERY_TASK_TIME_LIMIT; redelivery must wait longer.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT + 600}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # torch-heavy work goes to the gpu queue (a CUDA worker in production, the same worker in the demo)
    "recommender.tasks.model_train": {"queue": "gpu"},
    "interest_units.tasks.listing_embeddings_backfill": {"queue": "gpu"},
    # near-real-time user vectors (PWPRec section 5) must not wait behind counter updates on the default queue
    "recommender.tasks.user_vectors_refresh": {"queue": "nrt"},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # interest units: catch-up placement and embedding, full refresh of unit stats, nightly rebuild (seconds)
    "interest-units-place-unplaced": {"task": "interest_units.tasks.listings_place_unplaced", "schedule": 10 * 60},
    "interest-units-embeddings-backfill": {
        "task": "interest_units.tasks.listing_embeddings_backfill", "schedule": 30 * 60,
    },
    "interest-units-stats-refresh": {"task": "interest_units.tasks.unit_stats_refresh", "schedule": 60 * 60},
    "interest-units-rebuild": {"task": "interest_units.tasks.interest_units_build", "schedule": 24 * 60 * 60},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "marketplace.apis.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "marketplace.throttling.AnonThrottle",
        "marketplace.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "100000/hour"),
        "user": os.environ.get("API_THROTTLE_USER", "100000/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace API",
    "DESCRIPTION": "Listings, events, buying and personalised recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# -- recommender --------------------------------------------------------------------------------------------
RECOMMENDER_ARTIFACTS_DIR = Path(os.environ.get("RECOMMENDER_ARTIFACTS_DIR", BASE_DIR / ".data" / "models"))
TEXT_EMBEDDING_DIM = 384

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}
