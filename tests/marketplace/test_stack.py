"""The embedded services: started once, reused, never duplicated, recovered after a crash, and stopped by whoever
started them (and only then).

The session tests run their own Redis in a data dir of their own, from subprocesses (each session is one process);
the services this test run uses are never stopped."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from marketplace import stack

pytestmark = pytest.mark.skipif(
    not (stack.uses_embedded_postgres() and stack.uses_embedded_redis()), reason="external DATABASE_URL/REDIS_URL"
)


def test_stack_ensure_up_reuses_running_servers():
    # (never stack_up here: it would take the services from this very test run, which is a session)
    before = {s.name: s.pid for s in stack.stack_status()}
    assert stack.stack_ensure_up() == []
    assert {s.name: s.pid for s in stack.stack_status()} == before
    assert all(pid for pid in before.values())


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


# One session in its own process: prints what it started, waits for a line on stdin, prints what it stopped.
SESSION = """
import sys
from marketplace import stack
print(",".join(s.name for s in stack.stack_session_open()), flush=True)
sys.stdin.readline()
print(",".join(stack.stack_session_close()), flush=True)
"""


@pytest.fixture
def own_data_dir():
    """A short data dir (unix socket paths are limited) whose stack is Redis alone (Postgres counts as external)."""
    data_dir = Path(tempfile.mkdtemp(prefix="stack-", dir="/tmp"))
    env = {**os.environ, "MARKETPLACE_DATA_DIR": str(data_dir), "DATABASE_URL": "postgresql://external/unused"}
    env.pop("REDIS_URL", None)
    yield data_dir, env
    subprocess.run([sys.executable, "-c", "from marketplace import stack; stack.stack_down()"], env=env,
                   cwd=stack.PROJECT_DIR, check=True)
    shutil.rmtree(data_dir, ignore_errors=True)


class Session:
    def __init__(self, env: dict) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", SESSION], env=env, cwd=stack.PROJECT_DIR,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.started = self.process.stdout.readline().strip()

    def close(self) -> str:
        stopped, _ = self.process.communicate("\n", timeout=60)
        assert self.process.returncode == 0
        return stopped.strip()


def _redis_running(data_dir: Path) -> bool:
    return stack._pid_alive(stack._read_pid(data_dir / "redis.pid"))


def _stack_command(env: dict, action: str) -> None:
    subprocess.run([sys.executable, "manage.py", "stack", action], env=env, cwd=stack.PROJECT_DIR, check=True,
                   capture_output=True)


def test_a_session_stops_what_it_started(own_data_dir):
    data_dir, env = own_data_dir
    session = Session(env)
    assert session.started == "redis" and _redis_running(data_dir)
    assert session.close() == "redis"
    assert not _redis_running(data_dir)


def test_a_session_leaves_servers_it_did_not_start_running(own_data_dir):
    # given Redis started by hand (`stack up`, or a `make test` of old)
    data_dir, env = own_data_dir
    _stack_command(env, "up")
    pid = stack._read_pid(data_dir / "redis.pid")
    # when a test run or the demo comes and goes
    session = Session(env)
    assert session.started == ""
    assert session.close() == ""
    # then the same server still runs
    assert _redis_running(data_dir) and stack._read_pid(data_dir / "redis.pid") == pid


def test_the_last_session_out_stops_what_sessions_started(own_data_dir):
    # given a test run that started Redis, and the demo started beside it
    data_dir, env = own_data_dir
    tests, demo = Session(env), Session(env)
    assert (tests.started, demo.started) == ("redis", "")
    # when the test run ends first, the demo keeps its Redis
    assert tests.close() == ""
    assert _redis_running(data_dir)
    # and the demo, the last one out, stops it
    assert demo.close() == "redis"
    assert not _redis_running(data_dir)


def test_the_demo_stopped_beside_a_test_run_leaves_the_run_its_servers(own_data_dir):
    data_dir, env = own_data_dir
    demo, tests = Session(env), Session(env)
    assert demo.started == "redis"
    assert demo.close() == ""  # Ctrl-C on the demo
    assert _redis_running(data_dir)
    assert tests.close() == "redis"
    assert not _redis_running(data_dir)


def test_stack_up_during_a_session_keeps_the_servers_after_it(own_data_dir):
    data_dir, env = own_data_dir
    session = Session(env)
    assert session.started == "redis"
    _stack_command(env, "up")  # someone wants them kept
    assert session.close() == ""
    assert _redis_running(data_dir)


def test_a_crashed_session_does_not_hold_the_servers_forever(own_data_dir):
    # given a test run killed with -9 after it started Redis: its session file stays behind
    data_dir, env = own_data_dir
    crashed = Session(env)
    assert crashed.started == "redis"
    crashed.process.kill()
    crashed.process.wait()
    assert (data_dir / "sessions" / str(crashed.process.pid)).exists()
    # when the next session ends
    later = Session(env)
    assert later.started == ""
    # then it is the last one out, and stops what the crashed one started
    assert later.close() == "redis"
    assert not _redis_running(data_dir)
    assert not list((data_dir / "sessions").iterdir())
