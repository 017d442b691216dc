"""Settings shared by every environment; every value comes from the environment with a safe default.

When DATABASE_URL / REDIS_URL are unset the embedded servers of `marketplace.stack` are used.
"""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

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
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "axes",
    "csp",
    "marketplace",
    "interest_units",
    "recommender",
    "outbox",
    "jobs",
    "experiments",
    "storefront",
    "demo",
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "storefront.security_headers.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "storefront.api.nul_bytes.ApiNulByteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "storefront.page_events.PageEventsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lockout seen by the auth backend into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "storefront.context_processors.site",
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
        "BACKEND": "marketplace.cache.ReusingRedisCache",  # Django's, reusing its Redis client objects
        "LOCATION": CACHE_URL,
        "TIMEOUT": 300,
        "KEY_PREFIX": "mkt",
        # Redis down must never take a page down: the cache is an optimisation, Postgres is the truth.
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}

# -- celery ---------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or (
    REDIS_URL.rstrip("/") + "/0" if REDIS_URL else stack.embedded_redis_url(db=0))
CELERY_RESULT_BACKEND = None  # tasks write their results to Postgres
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: a worker dying mid-task means a re-run, not a loss
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tasks (training, rebuilds) must not hoard messages
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600)  # any task but training
# A training run (the gpu queue) stops by early stopping long before this; the limit is a safety net for a stuck one.
RECOMMENDER_TRAIN_TIME_LIMIT = env_int("RECOMMENDER_TRAIN_TIME_LIMIT", 6 * 3600 + 15 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis re-delivers an unacked message after this. It has to exceed the longest task (a training run), or a
    # run still going would be delivered again and trained twice at once; it is not what brings back work lost with
    # a killed worker: reject_on_worker_lost and the outbox lease (OUTBOX_LEASE_SECONDS, 30 s) are.
    "visibility_timeout": max(CELERY_TASK_TIME_LIMIT, RECOMMENDER_TRAIN_TIME_LIMIT) + 300,
    # A publish never waits for a broker that is down: no connection retries, short socket timeouts (above
    # kombu's 1 s BRPOP timeout). The outbox row is the copy that matters; the drain sends it later.
    "max_retries": 0,
    "socket_connect_timeout": float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", 0.5)),
    "socket_timeout": float(os.environ.get("CELERY_BROKER_SOCKET_TIMEOUT", 5)),
}
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", 0.5))
CELERY_TASK_PUBLISH_RETRY = False
# Workers (not publishers) keep retrying the broker at start and after a loss; they have nothing else to do.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # torch-heavy work goes to the gpu queue (a CUDA worker in production, the same worker in the demo)
    "recommender.tasks.model_train": {"queue": "gpu"},
    "interest_units.tasks.listing_embeddings_backfill": {"queue": "gpu"},
    # near-real-time user vectors (PWPRec section 5) must not wait behind counter updates on the default queue
    "recommender.tasks.user_vectors_refresh": {"queue": "nrt"},
    "recommender.tasks.slate_refresh": {"queue": "nrt"},
    # a new listing's vectors in the served models' spaces: the nrt worker holds those models already, so the
    # default worker never loads them for one listing
    "recommender.tasks.listing_vectors_store": {"queue": "nrt"},
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
    # the unit counters of page impressions, in one batch every few seconds (pages write them with no task)
    "interest-units-apply-impressions": {
        "task": "interest_units.tasks.unit_stats_apply_impressions", "schedule": 5, "options": {"expires": 5},
    },
    "interest-units-rebuild": {"task": "interest_units.tasks.interest_units_build", "schedule": 24 * 60 * 60},
    # search: the "did you mean" vocabulary follows new and sold listings (imports refresh it at once)
    "search-vocabulary-refresh": {"task": "marketplace.tasks.search_vocabulary_refresh_task", "schedule": 10 * 60,
                                  "options": {"expires": 10 * 60}},
    # outbox: re-send work whose message was lost (killed worker, broker outage); a stale drain is dropped
    "outbox-drain": {"task": "outbox.tasks.outbox_drain", "schedule": env_int("OUTBOX_DRAIN_SECONDS", 10),
                     "options": {"expires": env_int("OUTBOX_DRAIN_SECONDS", 10)}},
    # lists every viewer shares (popular listings and units), recomputed ahead of expiry: requests only read them
    "recommender-shared-lists-refresh": {
        "task": "recommender.tasks.shared_lists_refresh", "schedule": env_int("RECOMMENDER_SHARED_LISTS_REFRESH", 30),
        "options": {"expires": env_int("RECOMMENDER_SHARED_LISTS_REFRESH", 30)},
    },
    # serving follows the evidence: retrain the models of the serving slots; each retrain re-decides which
    # contender (model or baseline) serves each slot, so the pages switch as the data grows (seconds, daily)
    "recommender-slot-models-retrain": {
        "task": "recommender.tasks.slot_models_retrain",
        "schedule": env_int("RECOMMENDER_SLOT_RETRAIN_SECONDS", 24 * 60 * 60),
        "options": {"expires": env_int("RECOMMENDER_SLOT_RETRAIN_SECONDS", 24 * 60 * 60)},
    },
}
# A precomputed slate older than this is still served, and recomputed in the background (new listings reach it).
RECOMMENDER_SLATE_REFRESH_SECONDS = env_int("RECOMMENDER_SLATE_REFRESH_SECONDS", 5 * 60)
# How long a shared list stays in Redis: several refreshes, so a slow or missed beat never leaves it cold.
RECOMMENDER_SHARED_LISTS_SECONDS = env_int("RECOMMENDER_SHARED_LISTS_SECONDS", 5 * 60)

# -- outbox: work that must happen is a Postgres row first (invariant 5; see outbox/services.py) --------------
# A sent message not done by then is re-sent: with the drain every 10 s, work a killed worker held runs again
# within 40 s. The default queue's tasks take about a second; a longer task declares its own `outbox_lease`.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 30)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)  # re-sends before a message is dead-lettered (~3 h)
OUTBOX_DRAIN_BATCH = env_int("OUTBOX_DRAIN_BATCH", 500)
OUTBOX_BREAKER_SECONDS = float(os.environ.get("OUTBOX_BREAKER_SECONDS", 5))  # no publishing after a failure

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# -- login lockout (django-axes, failures kept in Postgres) ----------------------------------------------------
# Axes first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Locked by username and address together: by username alone anyone could lock a seller out of their account, by
# address alone everyone behind one NAT or proxy would share a lock. A success resets the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "storefront.views.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no start-up banner on every management command's stderr
# The address is REMOTE_ADDR (gunicorn faces clients in docker/compose.yml); a proxy in front would need
# AXES_CLIENT_IP_CALLABLE reading its forwarded-for header.

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
# Serve MEDIA_ROOT under MEDIA_URL from Django (storefront/media.py). Off by default: in production the web server
# or object storage serves uploads; local settings and the demo turn it on.
MEDIA_SERVE = env_bool("DJANGO_SERVE_MEDIA", False)
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
    "DEFAULT_PAGINATION_CLASS": "storefront.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 20,
    # without a filter backend a view's filterset_class is inert: ?q= and ?brand= were silently ignored
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # NUL bytes are refused in JSON strings here and in query parameters by storefront.api.nul_bytes
    "DEFAULT_PARSER_CLASSES": [
        "storefront.api.nul_bytes.NulByteRejectingJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "storefront.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "storefront.api.throttling.AnonThrottle",
        "storefront.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "100000/hour"),
        "user": os.environ.get("API_THROTTLE_USER", "100000/hour"),
        # client event reports (POST /api/events/): per address and per viewer
        "events_ip": os.environ.get("API_THROTTLE_EVENTS_IP", "300/minute"),
        "events_viewer": os.environ.get("API_THROTTLE_EVENTS_VIEWER", "120/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace API",
    "DESCRIPTION": "Listings, events, buying and personalised recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from our own static files (drf-spectacular-sidecar): it works offline and its CSP
    # names no outside origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",  # for a ReDoc view, none routed: its styled-components would need inline styles
}

# -- security headers ----------------------------------------------------------------------------------------
# Strict everywhere: scripts and styles only from our own static files, no inline code, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Sources added under a path prefix (storefront.security_headers). Styles only, never scripts, are let inline:
# the interest-unit admin draws its charts and thumbnails with style attributes.
CSP_PATH_ADDITIONS = {
    "/admin/": {"style-src": [UNSAFE_INLINE]},
    "/api/docs/": {"img-src": ["data:"]},  # Swagger UI's stylesheet draws its icons from data: URLs
}
# Powerful browser features no page of ours uses, switched off for us and any frame.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: [] for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics", "camera",
        "display-capture", "encrypted-media", "fullscreen", "geolocation", "gyroscope", "hid", "magnetometer",
        "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking",
    )
}

# -- listing photos: checked from the header before decoding, then re-encoded (marketplace.services.photos) ----
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024)
PHOTO_MAX_WIDTH = env_int("PHOTO_MAX_WIDTH", 4096)
PHOTO_MAX_HEIGHT = env_int("PHOTO_MAX_HEIGHT", 4096)
PHOTO_STORED_MAX_SIDE = env_int("PHOTO_STORED_MAX_SIDE", 1600)

# -- recommender --------------------------------------------------------------------------------------------
RECOMMENDER_ARTIFACTS_DIR = Path(os.environ.get("RECOMMENDER_ARTIFACTS_DIR", BASE_DIR / ".data" / "models"))
# A newly active model version loads in a thread while the previous one (or the baselines) keeps serving, so no
# request waits seconds for a checkpoint; tests load synchronously, to see an activation at once.
RECOMMENDER_LOAD_IN_BACKGROUND = env_bool("RECOMMENDER_LOAD_IN_BACKGROUND", True)
TEXT_EMBEDDING_DIM = 384

# -- interest units -------------------------------------------------------------------------------------------
# Image features of the image units: "auto" is the demo generator's ("demo") when present, else "colour_texture".
INTEREST_UNITS_IMAGE_ENCODER = os.environ.get("INTEREST_UNITS_IMAGE_ENCODER", "auto")
# A worker loads the text encoder when it starts (the first new listing is placed in ~a second, not after a ~10 s
# load); off for workers that never place listings.
INTEREST_UNITS_WARM_ENCODER = env_bool("INTEREST_UNITS_WARM_ENCODER", True)
# The text encoder on a CPU: "int8" (an int8 ONNX copy of MiniLM, built once into INTEREST_UNITS_ENCODER_DIR) or
# "fp32" (the published weights); a GPU always runs fp32. Threads per call: "auto" (the idle cores) or a number.
INTEREST_UNITS_ENCODER = os.environ.get("INTEREST_UNITS_ENCODER", "int8").strip().lower()
INTEREST_UNITS_ENCODER_THREADS = os.environ.get("INTEREST_UNITS_ENCODER_THREADS", "auto").strip().lower()
INTEREST_UNITS_ENCODER_DIR = Path(os.environ.get("INTEREST_UNITS_ENCODER_DIR", BASE_DIR / ".data" / "encoders"))
# "cpu" / "cuda" for the text encoder (the models read the same variable themselves); empty: CUDA when present.
RECOMMENDER_DEVICE = os.environ.get("RECOMMENDER_DEVICE", "")

# -- demo: where `manage.py demo` (make demo) serves the storefront, the defaults of its --host / --port ---------
DEMO_HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
DEMO_PORT = env_int("DEMO_PORT", 8000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}
