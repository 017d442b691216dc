"""The embedded services: started once, reused, never duplicated, recovered after a crash."""

import subprocess
import sys

import pytest

from marketplace import stack

pytestmark = pytest.mark.skipif(
    not (stack.uses_embedded_postgres() and stack.uses_embedded_redis()), reason="external DATABASE_URL/REDIS_URL"
)


def test_stack_up_reuses_running_servers():
    before = {s.name: s.pid for s in stack.stack_status()}
    after = {s.name: s.pid for s in stack.stack_up()}
    assert before == after
    assert all(pid for pid in after.values())


def test_stack_status_command_lists_both_services():
    result = subprocess.run([sys.executable, "manage.py", "stack", "status"], capture_output=True, text=True,
                            cwd=stack.PROJECT_DIR, check=True)
    assert "postgres" in result.stdout and "redis" in result.stdout
    assert "running" in result.stdout


def test_redis_answers_over_its_socket():
    import redis

    client = redis.Redis(unix_socket_path=str(stack.REDIS_SOCKET))
    assert client.ping() is True


def test_stale_redis_pidfile_is_recovered(tmp_path, monkeypatch):
    # given a separate data dir whose pid file names a dead process (a crash)
    monkeypatch.setattr(stack, "DATA_DIR", tmp_path)
    monkeypatch.setattr(stack, "REDIS_PIDFILE", tmp_path / "redis.pid")
    monkeypatch.setattr(stack, "REDIS_LOG", tmp_path / "redis.log")
    monkeypatch.setattr(stack, "REDIS_SOCKET", tmp_path / "r.sock")
    monkeypatch.setattr(stack, "SOCKET_DIR", tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "redis.pid").write_text(str(dead.pid))
    (tmp_path / "r.sock").write_text("stale")
    # when
    status = stack.redis_start()
    try:
        # then a fresh server runs, and starting again does not start a second copy
        assert status.running and status.pid != dead.pid
        assert stack.redis_start().pid == status.pid
    finally:
        stack.redis_stop()
    assert not stack.redis_status().running
