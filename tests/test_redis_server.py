"""The embedded Redis is a real redis-server: shared per data dir, durable across restarts, started once."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import redis

from clvdesk.defaults import EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES
from clvdesk.redis_server import EmbeddedRedisError, ensure_embedded_redis, stop_embedded_redis

CONCURRENT_CALLERS = 6
START_LINE = "Redis is starting"  # redis-server logs it once per start
PROCESS_TIMEOUT_SECONDS = 30
ENSURE_IN_SUBPROCESS = (
    "import sys; from pathlib import Path; from clvdesk.redis_server import ensure_embedded_redis; "
    "print(ensure_embedded_redis(Path(sys.argv[1])))"
)


@pytest.fixture
def new_data_dir(tmp_path, request):
    """Make data dirs whose servers are stopped when the test ends, whatever its outcome."""

    def make(name: str = "data") -> Path:
        path = tmp_path / name
        request.addfinalizer(lambda: stop_embedded_redis(path))
        return path

    return make


def server_pid(url: str) -> int:
    with redis.Redis.from_url(url) as client:
        return client.info("server")["process_id"]


def starts_logged(data_dir: Path) -> int:
    return (data_dir / "redis" / "redis.log").read_text().count(START_LINE)


def socket_of(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def accepts_connections(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_starts_a_server_that_answers_ping_on_a_private_socket(new_data_dir):
    data_dir = new_data_dir()
    url = ensure_embedded_redis(data_dir)

    assert url.startswith("unix:///")
    with redis.Redis.from_url(url, decode_responses=True) as client:
        assert client.ping()
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("port") == {"port": "0"}
    assert stat.S_IMODE(socket_of(url).stat().st_mode) == 0o700


def test_data_survives_stop_and_start(new_data_dir):
    data_dir = new_data_dir()
    url = ensure_embedded_redis(data_dir)
    first_pid = server_pid(url)
    with redis.Redis.from_url(url) as client:
        client.set("clvdesk:test", "kept")

    assert stop_embedded_redis(data_dir) is True
    url = ensure_embedded_redis(data_dir)

    assert server_pid(url) != first_pid
    with redis.Redis.from_url(url) as client:
        assert client.get("clvdesk:test") == b"kept"
    assert (data_dir / "redis" / "appendonly.aof").stat().st_size > 0


def test_second_ensure_reuses_the_running_server(new_data_dir):
    data_dir = new_data_dir()
    first = ensure_embedded_redis(data_dir)
    second = ensure_embedded_redis(data_dir)

    assert second == first
    pidfile = data_dir / "redis" / "redis.pid"
    assert int(pidfile.read_text()) == server_pid(second)
    assert starts_logged(data_dir) == 1


def test_a_long_data_dir_gets_a_short_socket_in_the_temp_dir(new_data_dir):
    data_dir = new_data_dir("d" * 120)
    url = ensure_embedded_redis(data_dir)
    path = socket_of(url)

    assert len(os.fsencode(data_dir / "redis" / "redis.sock")) > EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES
    assert len(os.fsencode(path)) <= EMBEDDED_REDIS_MAX_SOCKET_PATH_BYTES
    assert path.is_relative_to(tempfile.gettempdir())
    with redis.Redis.from_url(url) as client:
        assert client.ping()
    assert ensure_embedded_redis(data_dir) == url
    assert stop_embedded_redis(data_dir) is True


def test_concurrent_threads_start_one_server(new_data_dir):
    data_dir = new_data_dir()
    barrier = threading.Barrier(CONCURRENT_CALLERS)

    def ensure(_: int) -> str:
        barrier.wait()
        return ensure_embedded_redis(data_dir)

    with ThreadPoolExecutor(CONCURRENT_CALLERS) as pool:
        urls = set(pool.map(ensure, range(CONCURRENT_CALLERS)))

    assert len(urls) == 1
    assert starts_logged(data_dir) == 1


def test_concurrent_processes_start_one_server(new_data_dir):
    data_dir = new_data_dir()
    processes = [
        subprocess.Popen([sys.executable, "-c", ENSURE_IN_SUBPROCESS, str(data_dir)], stdout=subprocess.PIPE, text=True)
        for _ in range(CONCURRENT_CALLERS)
    ]
    urls = {process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)[0].strip() for process in processes}

    assert all(process.returncode == 0 for process in processes)
    assert len(urls) == 1
    assert starts_logged(data_dir) == 1
    assert server_pid(urls.pop()) == int((data_dir / "redis" / "redis.pid").read_text())


def test_the_server_outlives_the_process_that_started_it(new_data_dir):
    data_dir = new_data_dir()
    started = subprocess.run(
        [sys.executable, "-c", ENSURE_IN_SUBPROCESS, str(data_dir)],
        capture_output=True, text=True, timeout=PROCESS_TIMEOUT_SECONDS, check=True,
    )

    assert ensure_embedded_redis(data_dir) == started.stdout.strip()
    assert starts_logged(data_dir) == 1


def test_a_crashed_server_is_replaced(new_data_dir):
    data_dir = new_data_dir()
    url = ensure_embedded_redis(data_dir)
    os.kill(server_pid(url), signal.SIGKILL)  # leaves its pidfile and socket file behind
    wait_until(lambda: not accepts_connections(socket_of(url)))

    assert ensure_embedded_redis(data_dir) == url
    with redis.Redis.from_url(url) as client:
        assert client.ping()
    assert starts_logged(data_dir) == 2


def test_a_running_server_whose_socket_vanished_is_not_doubled(new_data_dir):
    data_dir = new_data_dir("d" * 120)
    url = ensure_embedded_redis(data_dir)
    pid = server_pid(url)
    socket_of(url).unlink()  # what a temp-dir cleaner does to a long-lived socket
    try:
        with pytest.raises(EmbeddedRedisError, match=f"kill {pid}"):
            ensure_embedded_redis(data_dir)
        assert starts_logged(data_dir) == 1
    finally:
        os.kill(pid, signal.SIGTERM)  # redis-server shuts down cleanly and removes its pidfile
        wait_until(lambda: not (data_dir / "redis" / "redis.pid").exists())


def test_stop_returns_false_when_no_server_runs(new_data_dir):
    data_dir = new_data_dir()
    assert stop_embedded_redis(data_dir) is False
    assert not data_dir.exists()

    ensure_embedded_redis(data_dir)
    assert stop_embedded_redis(data_dir) is True
    assert stop_embedded_redis(data_dir) is False


# --- the CLI: one-shot commands stop the server they started; `clvdesk redis stop` stops any ----------


def _servers_of(data_dir: Path) -> list:
    """The redis-server processes serving data_dir (a server's cwd is its directory)."""
    import psutil

    root = str((data_dir / "redis").resolve())
    return [process for process in psutil.process_iter(["cwd"]) if process.info["cwd"] == root]


def _clvdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    return subprocess.run([sys.executable, "-m", "clvdesk", *args], env={**env, "CLVDESK_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT_SECONDS * 2)


@pytest.mark.parametrize("args, status", [
    (["customers", "import", "{csv}"], 0),
    (["jobs", "failed"], 0),
    (["worker", "--check"], 1),
    (["clv", "show", "nobody@example.com"], 2),
])
def test_a_one_shot_command_stops_the_embedded_redis_it_started(new_data_dir, tmp_path, args, status):
    data_dir = new_data_dir()
    csv = tmp_path / "customers.csv"
    csv.write_text("email,residual_clv,historical_spend\na@example.com,10,20\nb@example.com,30,40\n")
    result = _clvdesk(data_dir, *[arg.format(csv=csv) for arg in args])
    assert result.returncode == status, result.stderr
    assert (data_dir / "redis" / "redis.conf").is_file(), "the command started the embedded Redis"
    assert _servers_of(data_dir) == []
    if args[0] == "customers":  # what it wrote is on disk for the next command
        from clvdesk.connection import connect
        from clvdesk.customers import CustomerStore

        assert CustomerStore(connect(ensure_embedded_redis(data_dir))).count() == 2


def test_a_one_shot_command_leaves_a_running_embedded_redis_and_redis_stop_stops_it(new_data_dir):
    data_dir = new_data_dir()
    url = ensure_embedded_redis(data_dir)  # as a running `clvdesk web` would have started it
    assert _clvdesk(data_dir, "jobs", "failed").returncode == 0
    assert redis.Redis.from_url(url).ping() and len(_servers_of(data_dir)) == 1

    stopped = _clvdesk(data_dir, "redis", "stop")
    assert stopped.returncode == 0 and stopped.stdout.strip() == f"stopped the embedded Redis of {data_dir}"
    assert _servers_of(data_dir) == []
    again = _clvdesk(data_dir, "redis", "stop")
    assert again.returncode == 0 and again.stdout.strip() == f"no embedded Redis runs for {data_dir}"
