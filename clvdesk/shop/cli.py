"""`clvdesk shop import shopify|woocommerce`: pull the shop's order history, then `clv fit` on it."""

from __future__ import annotations

import shutil

import click

from clvdesk.clv.model import PURCHASE_MODELS
from clvdesk.defaults import CLV_DEFAULT_TIME_UNIT, CLV_TIME_UNIT_DAYS
from clvdesk.customers import CustomerStore, ShopLedgers
from clvdesk.settings import SettingsError, load_settings
from clvdesk.shop.backfill import BackfillError, ShopifyOrders, WooCommerceOrders, run
from clvdesk.shop.settings import ShopifySettings, WooCommerceSettings


@click.group()
def shop() -> None:
    """Customer values from a Shopify or WooCommerce store (its webhooks keep them current)."""


@shop.command("import")
@click.argument("platform", type=click.Choice(["shopify", "woocommerce"]))
@click.option("--restart", is_flag=True, help="Forget the pages an earlier run pulled and start from the first.")
@click.option("--model", "purchase_model", type=click.Choice(list(PURCHASE_MODELS)), default="bgnbd", show_default=True)
@click.option("--time-unit", type=click.Choice(list(CLV_TIME_UNIT_DAYS)), default=CLV_DEFAULT_TIME_UNIT, show_default=True)
@click.pass_context
def import_command(ctx: click.Context, platform: str, restart: bool, purchase_model: str, time_unit: str) -> None:
    """Pull every order once (resuming where a run stopped), write them as orders.csv, then fit and load the store.

    Run with --restart nightly (cron) to refit on the whole history, webhook orders included."""
    from clvdesk import cli
    from clvdesk.clv.cli import fit_command

    common = cli.settings_or_exit()
    try:
        source = _source(platform)
    except SettingsError as exc:
        cli.fail(str(exc))
    directory = common.data_dir / "shop-import" / platform
    if restart and directory.exists():
        shutil.rmtree(directory)

    def progress(page: int, total: int | None, orders: int) -> None:
        if click.get_text_stream("stderr").isatty():  # for a person watching, never into logs
            click.echo(f"\r{platform}: page {page}{f' of {total}' if total else ''}, {orders:,} orders", err=True, nl=False)

    try:
        merged = run(source, directory, progress=progress)
    except BackfillError as exc:
        click.echo("", err=True)
        cli.fail(str(exc))
    click.echo(f"\n{platform}: orders written to {merged}; fitting", err=True)
    ctx.invoke(fit_command, orders=str(merged), purchase_model=purchase_model, time_unit=time_unit)
    # The fit holds every order the webhooks had brought: customers' next orders start from it (clvdesk.shop.history)
    ShopLedgers(CustomerStore(cli.redis_or_exit(common))).clear()


def _source(platform: str) -> ShopifyOrders | WooCommerceOrders:
    if platform == "shopify":
        settings = load_settings(ShopifySettings)
        if not settings.shop or not settings.access_token:
            raise SettingsError("CLVDESK_SHOPIFY_SHOP and CLVDESK_SHOPIFY_ACCESS_TOKEN must be set to import orders")
        return ShopifyOrders(settings.api_url, settings.access_token.get_secret_value())
    settings = load_settings(WooCommerceSettings)
    if not settings.url or not settings.consumer_key or not settings.consumer_secret:
        raise SettingsError("CLVDESK_WOOCOMMERCE_URL, CLVDESK_WOOCOMMERCE_CONSUMER_KEY and CLVDESK_WOOCOMMERCE_CONSUMER_SECRET "
                            "must be set to import orders")
    return WooCommerceOrders(settings.url, settings.consumer_key.get_secret_value(), settings.consumer_secret.get_secret_value())
