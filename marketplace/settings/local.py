"""Development and `make demo`: debug on, demo-user switcher on."""

from marketplace.settings.base import *  # noqa: F403
from marketplace.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
DEMO_MODE = env_bool("MARKETPLACE_DEMO_MODE", True)
