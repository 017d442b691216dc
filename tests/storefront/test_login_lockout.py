"""Login lockout (django-axes): too many wrong passwords for one username from one address lock that pair out."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from marketplace import errors
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # tests.factories.UserFactory
LOCKED = errors.LOGIN_LOCKED_OUT.format(minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def _log_in(client, username: str, password: str, address: str = "127.0.0.1", url: str = "login"):
    return client.post(reverse(url), {"username": username, "password": password}, REMOTE_ADDR=address)


def _hammer(client, username: str, times: int = 20, address: str = "127.0.0.1") -> list[int]:
    return [_log_in(client, username, "wrong-password", address).status_code for _ in range(times)]


def test_twenty_wrong_passwords_lock_the_account_from_that_address(client):
    victim = UserFactory()
    # when 20 wrong passwords are tried
    statuses = _hammer(client, victim.username)
    # then the first ones are ordinary form errors and the rest are refused outright
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert set(statuses[limit:]) == {429}
    # and the right password from the same address is refused too, with the lockout message, not a log-in
    right = _log_in(client, victim.username, PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert right["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address(client):
    victim, neighbour = UserFactory(), UserFactory()
    _hammer(client, victim.username)
    # another account from the same address logs in: one attacker cannot lock everyone behind a NAT out
    assert _log_in(client, neighbour.username, PASSWORD).status_code == 302
    client.logout()
    # the victim from another address logs in: an attacker cannot lock a seller out of their own account
    assert _log_in(client, victim.username, PASSWORD, address="203.0.113.9").status_code == 302


def test_lock_lifts_after_the_cool_off(client):
    victim = UserFactory()
    _hammer(client, victim.username)
    assert _log_in(client, victim.username, PASSWORD).status_code == 429
    # when the cool-off has passed since the last failure
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    # then the right password works again
    assert _log_in(client, victim.username, PASSWORD).status_code == 302


def test_admin_login_is_locked_out_too(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    statuses = [_log_in(client, staff.username, "wrong-password", url="admin:login").status_code for _ in range(20)]
    assert statuses[-1] == 429
    refused = _log_in(client, staff.username, PASSWORD, url="admin:login")
    assert refused.status_code == 429 and LOCKED in refused.content.decode()


def test_a_success_resets_the_count(client):
    user = UserFactory()
    limit = settings.AXES_FAILURE_LIMIT
    _hammer(client, user.username, times=limit - 1)
    assert _log_in(client, user.username, PASSWORD).status_code == 302
    client.logout()
    # the earlier failures are forgotten: another limit - 1 mistakes still leave the account open
    _hammer(client, user.username, times=limit - 1)
    assert _log_in(client, user.username, PASSWORD).status_code == 302


def test_demo_switcher_still_logs_in_without_a_password(client):
    UserFactory(username="demo_alice")
    client.post(reverse("demo-switch"), {"username": "demo_alice"})
    assert client.get(reverse("my-activity")).status_code == 200
