"""Shared parts of the benchmarks: a scratch Redis, a stand-in Zendesk with tickets, the customer store,
process environments and timing helpers. Everything runs on 127.0.0.1 and stops by itself."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis

from clvdesk.connection import connect
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.demo import free_port, wait_until_serving
from clvdesk.standins.zendesk import ZendeskStandin
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis

ROOT = Path(__file__).resolve().parents[1]
ZENDESK_EMAIL = "bench@example.com"
ZENDESK_TOKEN = "bench-zendesk-token"
WEBHOOK_SECRET = "bench-webhook-secret"
API_TOKEN = "bench-api-token-0123456789abcdefghij"  # at least 32 characters, as clvdesk requires
REQUESTERS = 2000  # distinct customers behind the tickets


@contextmanager
def scratch_redis() -> Iterator[tuple[str, Redis, Path]]:
    """An embedded Redis (AOF on) in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="clvdesk-bench-") as directory:
        data_dir = Path(directory)
        url = ensure_embedded_redis(data_dir)
        try:
            yield url, connect(url), data_dir
        finally:
            stop_embedded_redis(data_dir)


@contextmanager
def shop(redis: Redis, tickets: int, **standin_options) -> Iterator[ZendeskStandin]:
    """A stand-in Zendesk with `tickets` tickets from REQUESTERS customers, half of them in the store."""
    standin = ZendeskStandin(email=ZENDESK_EMAIL, api_token=ZENDESK_TOKEN, **standin_options).start()
    for user in range(1, REQUESTERS + 1):
        standin.add_user(user, customer_email(user))
    for ticket in range(1, tickets + 1):
        standin.add_ticket(ticket, requester_id=requester_of(ticket))
    store_customers(redis)
    try:
        yield standin
    finally:
        standin.stop()


def store_customers(redis: Redis) -> None:
    """Half of the REQUESTERS customers in the customer store, with values spread over the tiers."""
    CustomerStore(redis).replace_all(
        CustomerValue(email=customer_email(user), residual_clv=user % 700, historical_spend=user % 1100)
        for user in range(1, REQUESTERS + 1, 2)
    )


def customer_email(user: int) -> str:
    return f"customer{user}@example.com"


def requester_of(ticket: int) -> int:
    return (ticket * 7919) % REQUESTERS + 1


def clvdesk_env(redis_url: str, zendesk_url: str, **extra: str) -> dict[str, str]:
    return process_env(redis_url, {
        "CLVDESK_ZENDESK_URL": zendesk_url,
        "CLVDESK_ZENDESK_EMAIL": ZENDESK_EMAIL,
        "CLVDESK_ZENDESK_API_TOKEN": ZENDESK_TOKEN,
        "CLVDESK_ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }, **extra)


def process_env(redis_url: str, helpdesk_env: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a clvdesk process serving one helpdesk (`helpdesk_env`: its CLVDESK_<NAME>_*)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    return {
        **env,
        "CLVDESK_REDIS_URL": redis_url,
        **helpdesk_env,
        "CLVDESK_API_TOKEN": API_TOKEN,
        "CLVDESK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


@contextmanager
def serving(arguments: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    """Run `python ARGUMENTS`, a server on 127.0.0.1:`port`, until the block ends; yields its URL once it answers."""
    process = subprocess.Popen([sys.executable, *arguments], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, "/healthz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def gunicorn(app: str, env: dict[str, str], workers: int = 2, *options: str):
    """Serve `app` (module:callable) with gunicorn on a free port until the block ends; `options` go to gunicorn."""
    port = free_port()
    return serving(["-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                    "--log-level", "warning", *options, app], port, env)


def clvdesk_web(env: dict[str, str]):
    """`clvdesk web` on a free port until the block ends."""
    port = free_port()
    return serving(["-m", "clvdesk", "web", "--port", str(port)], port, env)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def paired_ratios(rates: list[float], baselines: list[float]) -> tuple[str, str]:
    """Median and range of rate / baseline, round by round: each round measures both back to back,
    so a round's ratio is not skewed by how busy the shared machine was during it."""
    ratios = sorted(rate / base for rate, base in zip(rates, baselines))
    return f"{median(ratios):.2f}", f"{ratios[0]:.2f}-{ratios[-1]:.2f}"


def table(title: str, header: list[str], rows: list[list[object]]) -> str:
    cells = [header, *[[f"{cell:,.1f}" if isinstance(cell, float) else str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in cells[1:]]
    return "\n".join(lines)
