"""The `clvdesk` command. Each subcommand is a thin shell; errors are one line and exit code 2."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import click

from clvdesk.customers import CustomerImportError, CustomerStore, read_customer_csv
from clvdesk.redis_server import EmbeddedRedisError
from clvdesk.rules import load_rules
from clvdesk.settings import Settings, SettingsError, load_settings

USAGE_ERROR = 2


def fail(message: str) -> NoReturn:
    click.echo(f"clvdesk: {message}", err=True)
    sys.exit(USAGE_ERROR)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(settings.log_level)
    return settings


def redis_or_exit(settings: Settings):
    from clvdesk.connection import connect, redis_url

    try:
        return connect(redis_url(settings))
    except EmbeddedRedisError as exc:
        fail(str(exc))


@click.group()
@click.version_option(package_name="clvdesk")
def main() -> None:
    """clvdesk: size appeasement offers on support tickets by the customer's residual CLV."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def web(host: str, port: int) -> None:
    """Run the webhook receiver and API (development server; use gunicorn in production)."""
    from plugin import create_app

    settings = settings_or_exit()
    try:
        app = create_app(settings, redis=redis_or_exit(settings))
    except SettingsError as exc:
        fail(str(exc))
    app.run(host=host, port=port)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Work the event queue: score each ticket and post its note."""
    from workers.worker import run_worker

    settings = settings_or_exit()
    try:
        run_worker(settings, redis_or_exit(settings), burst=burst)
    except SettingsError as exc:
        fail(str(exc))


@main.group()
def customers() -> None:
    """The customer store that suggestions are sized from."""


@customers.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_customers(file: Path) -> None:
    """Replace the customer store with FILE (CSV: email, residual_clv, historical_spend[, tier, customer_id])."""
    settings = settings_or_exit()
    try:
        rows = read_customer_csv(file, tiers=[tier.name for tier in load_rules().tiers])
    except CustomerImportError as exc:
        fail(str(exc))
    count = CustomerStore(redis_or_exit(settings)).replace_all(rows)
    click.echo(f"imported {count} customers from {file}")


@main.command()
@click.option("--once", is_flag=True, help="Exit 0 when every sample note is posted.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the notes.")
def demo(once: bool, timeout: float) -> None:
    """Run everything locally: embedded Redis, a stand-in Zendesk, web, worker and sample tickets."""
    from clvdesk.demo import run_demo

    sys.exit(run_demo(once=once, timeout=timeout))
