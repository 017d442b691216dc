"""Development and `make demo`: demo-user switcher on, files served by the one process; debug off unless
DJANGO_DEBUG=1 (the debug pages list URL patterns and settings to anyone who can reach the demo)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", False)
DEMO_MODE = env_bool("MARKETPLACE_DEMO_MODE", True)
# Static files: WhiteNoise serves them straight from the finders (static/, the apps' static), so neither the demo
# nor runserver needs collectstatic and an edited file is served after a restart (DEBUG also rechecks on each
# request). Production serves the collected, compressed STATIC_ROOT instead.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # nothing is collected here (WhiteNoise warned on every start that the folder was missing)
# Listing photos: served by Django under MEDIA_URL (storefront/media.py); there is no web server in front.
MEDIA_SERVE = env_bool("DJANGO_SERVE_MEDIA", True)
