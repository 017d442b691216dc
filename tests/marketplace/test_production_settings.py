"""`manage.py check --deploy` under the production settings: no warnings, and the checks do look at HSTS/SSL."""

import os
import secrets
import subprocess
import sys

from django.conf import settings


def _deploy_check(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings.production",
                   DJANGO_SECRET_KEY=secrets.token_urlsafe(64), **env)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True, timeout=120)


def test_deploy_checks_pass_with_no_warnings():
    done = _deploy_check()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_hsts_and_ssl_redirect_follow_the_environment():
    # switched off by the environment, the deploy checks notice: the defaults above are what made them pass
    done = _deploy_check(DJANGO_SECURE_HSTS_SECONDS="0", DJANGO_SECURE_SSL_REDIRECT="false")
    assert done.returncode != 0
    assert "security.W004" in done.stderr and "security.W008" in done.stderr


def test_local_and_test_settings_keep_plain_http():
    assert not settings.SECURE_SSL_REDIRECT and not settings.SECURE_HSTS_SECONDS
