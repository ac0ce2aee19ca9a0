"""The `clvdesk` command. Each subcommand is a thin shell; errors are one line and exit code 2."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from clvdesk.defaults import DEMO_SEND_TIMEOUT_SECONDS, WEB_THREADS, WORKER_THREADS
from clvdesk.helpdesk import REGISTRY

if TYPE_CHECKING:
    from clvdesk.settings import Settings

USAGE_ERROR = 2
UNHEALTHY = 1  # a health check's failure (Docker reserves 2)
# Command groups that live in their own modules, imported only when the command line names them: `clv fit`
# should not pay for the ticket analyser or the web stack, nor `analyze` for pandas and scipy.
LAZY_GROUPS = {"analyze": "clvdesk.analysis.cli:analyze", "clv": "clvdesk.clv.cli:clv", "rules": "clvdesk.rules_cli:rules",
               "shop": "clvdesk.shop.cli:shop"}


class LazyGroup(click.Group):
    """A group whose LAZY_GROUPS are listed in --help but imported when one is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_GROUPS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_GROUPS and name not in self.commands:
            module, attribute = LAZY_GROUPS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


def fail(message: str) -> NoReturn:
    click.echo(f"clvdesk: {message}", err=True)
    sys.exit(USAGE_ERROR)


def settings_or_exit() -> Settings:
    from clvdesk.logs import configure_logging
    from clvdesk.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    configure_logging(settings.log_level)
    return settings


def redis_or_exit(settings: Settings, *, serving: bool = False):
    """The Redis client for a command. A one-shot command that had to start the embedded Redis stops it
    when it ends; a serving one (web, worker) leaves it to the others on the data dir (`clvdesk redis stop`)."""
    from clvdesk.connection import connect, redis_url
    from clvdesk.redis_server import EmbeddedRedisError, started_here, stop_embedded_redis

    try:
        connection = connect(redis_url(settings))
    except EmbeddedRedisError as exc:
        fail(str(exc))
    if not serving and not settings.redis_url and started_here(settings.data_dir):
        def stop() -> None:
            connection.close()
            stop_embedded_redis(settings.data_dir)

        click.get_current_context().call_on_close(stop)
    return connection


@click.group(cls=LazyGroup)
@click.version_option(package_name="clvdesk")
def main() -> None:
    """clvdesk: size appeasement offers on support tickets by the customer's residual CLV."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=WEB_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Requests answered at once (slow clients do not hold one while they send).")
@click.option("--dev", is_flag=True, help="Flask's development server instead, for local debugging only.")
def web(host: str, port: int, threads: int, dev: bool) -> None:
    """Serve the webhook receiver and API (waitress, with deadlines on reading each request)."""
    from plugin import create_app
    from clvdesk.settings import SettingsError

    settings = settings_or_exit()
    try:
        app = create_app(settings, redis=redis_or_exit(settings, serving=True))
    except SettingsError as exc:
        fail(str(exc))
    if dev:
        app.run(host=host, port=port)
        return
    try:
        from plugin.server import serve
    except ImportError:
        fail("the production server needs waitress: pip install 'clvdesk[server]' (or run `clvdesk web --dev`)")
    serve(app, host=host, port=port, threads=threads)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--threads", default=WORKER_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Jobs this process runs at once.")
@click.option("--check", is_flag=True, help="Exit 0 if a worker runs on this host and its record is alive, else 1.")
def worker(burst: bool, threads: int, check: bool) -> None:
    """Work the event queue: score each ticket and post its note."""
    from clvdesk.settings import SettingsError
    from workers.worker import run_worker

    settings = settings_or_exit()
    if check:
        from workers.liveness import live_workers

        alive = live_workers(redis_or_exit(settings))
        click.echo(f"{len(alive)} live worker(s) on this host")
        sys.exit(0 if alive else UNHEALTHY)
    try:
        run_worker(settings, redis_or_exit(settings, serving=not burst), burst=burst, threads=threads)
    except SettingsError as exc:
        fail(str(exc))


@main.group()
def customers() -> None:
    """The customer store that suggestions are sized from."""


@customers.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_customers(file: Path) -> None:
    """Replace the customer store with FILE (CSV: email, residual_clv, historical_spend[, tier, customer_id])."""
    from clvdesk.customers import CustomerImportError, CustomerStore, read_customer_csv
    from clvdesk.rules import load_rules

    settings = settings_or_exit()
    try:
        rows = read_customer_csv(file, tiers=[tier.name for tier in load_rules().tiers])
    except CustomerImportError as exc:
        fail(str(exc))
    count = CustomerStore(redis_or_exit(settings)).replace_all(rows)
    click.echo(f"imported {count} customers from {file}")


@main.group()
def redis() -> None:
    """The embedded Redis, which clvdesk starts under CLVDESK_DATA_DIR when CLVDESK_REDIS_URL is unset."""


@redis.command("stop")
def redis_stop() -> None:
    """Stop the embedded Redis of CLVDESK_DATA_DIR (web and worker leave it running; its data stays on disk)."""
    from clvdesk.redis_server import EmbeddedRedisError, stop_embedded_redis

    settings = settings_or_exit()
    try:
        stopped = stop_embedded_redis(settings.data_dir)
    except EmbeddedRedisError as exc:
        fail(str(exc))
    click.echo(f"stopped the embedded Redis of {settings.data_dir}" if stopped
               else f"no embedded Redis runs for {settings.data_dir}")


@main.group()
def jobs() -> None:
    """The dead-letter list: jobs that failed for good."""


@jobs.command("failed")
def jobs_failed() -> None:
    """List failed jobs with their last error."""
    from workers.dead_letters import dead_letters

    letters = dead_letters(redis_or_exit(settings_or_exit()))
    for letter in letters:
        failed_at = letter.failed_at.isoformat(timespec="seconds") if letter.failed_at else "-"
        click.echo(f"{letter.job_id}\t{failed_at}\t{letter.description}\t{letter.error}")
    click.echo(f"{len(letters)} failed job(s)", err=True)


@jobs.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed job.")
def jobs_retry(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Queue failed jobs again (JOB_IDS, or --all)."""
    from workers.dead_letters import retry_dead_letters

    if bool(job_ids) == retry_all:
        fail("name the job ids to retry, or pass --all")
    try:
        queued = retry_dead_letters(redis_or_exit(settings_or_exit()), None if retry_all else list(job_ids))
    except LookupError as exc:
        fail(str(exc))
    click.echo(f"queued {len(queued)} job(s) again")


def secret_variables() -> list[str]:
    """Every variable that holds a secret, common or a registered helpdesk's: none may end up in an app package."""
    from clvdesk.settings import Settings

    classes = [Settings, *(entry.settings for entry in REGISTRY.values())]
    return [cls.model_config.get("env_prefix", "") + name.upper() for cls in classes
            for name, field in cls.model_fields.items() if "SecretStr" in repr(field.annotation)]


APP_PACKAGES = {"zendesk": "dist/clvdesk-app.zip", "freshdesk": "dist/clvdesk-freshdesk-app.zip"}  # default --out


@main.group()
def app() -> None:
    """The sidebar apps (Zendesk, Freshdesk)."""


@app.command("package")
@click.option("--helpdesk", default="zendesk", show_default=True, type=click.Choice(sorted(APP_PACKAGES)),
              help="Whose app to package: Zendesk's (manifest.json, assets/, translations/) or Freshdesk's "
                   "(plugin/apps/freshdesk/, with the sidebar's page and locales from assets/).")
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="The clvdesk checkout the app is in.")
@click.option("--out", type=click.Path(path_type=Path), help="The zip to write [default: dist/clvdesk-app.zip, "
              "or dist/clvdesk-freshdesk-app.zip].")
@click.option("--url", "service_url", help="Zendesk: your clvdesk service's public https URL (e.g. https://clv.yourshop.com); "
              "its host replaces the placeholder clvdesk.example.com in the manifest, and it fills in the app's Service URL.")
def app_package(helpdesk: str, root: Path, out: Path | None, service_url: str | None) -> None:
    """Check the app as the helpdesk's validator would and build the zip to upload."""
    import functools
    import os

    from clvdesk.app_package import AppPackageError, PlaceholderDomain, build_package
    from clvdesk.helpdesk.freshdesk.app_package import build_freshdesk_package

    if helpdesk == "freshdesk" and service_url is not None:
        fail("--url is for the Zendesk app; Freshdesk asks for the clvdesk host when the app is installed")
    build = build_freshdesk_package if helpdesk == "freshdesk" else functools.partial(build_package, service_url=service_url)
    out = out or Path(APP_PACKAGES[helpdesk])
    secrets = [part.strip() for name in secret_variables() for part in os.environ.get(name, "").split(",")]
    try:
        files = build(root, out, known_secrets=secrets)
    except AppPackageError as exc:
        if [type(problem) for problem in exc.problems] == [PlaceholderDomain]:
            fail(f"{exc.problems[0]}; no package written")
        for problem in exc.problems:
            click.echo(f"{type(problem).__name__}: {problem}", err=True)
        fail(f"{len(exc.problems)} problem(s); no package written")
    click.echo(f"wrote {out} ({len(files)} files)")


@main.group(invoke_without_command=True)
@click.option("--once", is_flag=True, help="Exit 0 when every sample note is posted.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the notes.")
@click.option("--helpdesk", type=click.Choice([*REGISTRY, "all"]), default="all", show_default=True,
              help="The helpdesk to imitate, or all of them in one deployment.")
@click.pass_context
def demo(ctx: click.Context, once: bool, timeout: float, helpdesk: str) -> None:
    """Run everything locally: embedded Redis, stand-in helpdesks, web, worker and sample tickets.

    Left running (without --once), it prints the admin page, the sidebar preview, the webhooks and
    their secrets; `clvdesk demo send` then delivers tickets of your own to it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from clvdesk.demo import run_demo

    sys.exit(run_demo(once=once, timeout=timeout, helpdesk=helpdesk))


@demo.command("send")
@click.argument("text")
@click.option("--language", help="The agent's language (da, en): the preview link shows the sidebar in it.")
@click.option("--customer", help="The requester's email [default: ana.larsen@example.com]; the other sample "
                                 "customers are ben.okafor@example.com and carla.mendes@example.com.")
@click.option("--ticket", "ticket_id", type=click.IntRange(1), help="The ticket id [default: the next new one].")
@click.option("--timeout", default=DEMO_SEND_TIMEOUT_SECONDS, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for the note.")
def demo_send(text: str, language: str | None, customer: str | None, ticket_id: int | None, timeout: float) -> None:
    """Send TEXT as a new ticket to the running demo, signed as Zendesk signs it, and show the note."""
    from clvdesk.demo_send import DEFAULT_CUSTOMER, DemoSendError, next_ticket_id, running_demo, send_ticket

    customer = customer or DEFAULT_CUSTOMER
    if not text.strip():
        fail("the ticket's text is empty")
    try:
        state = running_demo()
        ticket_id = ticket_id or next_ticket_id(state)
        sent = send_ticket(state, text, customer=customer, ticket_id=ticket_id, timeout=timeout)
    except DemoSendError as exc:
        fail(str(exc))
    click.echo(f"sent ticket {sent.ticket_id} from {customer}: {sent.status} {json.dumps(sent.answer)}")
    if sent.note is None:
        fail(f"no note on ticket {sent.ticket_id} within {timeout:g} s; the demo's terminal shows what the worker did")
    click.echo(f"\n--- note posted on ticket {sent.ticket_id} ---\n{sent.note}\n")
    click.echo(f"sidebar preview: {state.preview_url(sent.ticket_id, language)}")
