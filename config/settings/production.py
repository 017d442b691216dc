"""Production: secrets and hosts must come from the environment; HTTPS only, secure cookies, HSTS."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool, env_int

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
DEMO_MODE = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off only where no TLS terminator sits in front yet (docker/compose.yml on a laptop).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# A year of HSTS for this host and its subdomains, eligible for the browsers' preload list; 0 switches it off.
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
