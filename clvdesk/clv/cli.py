"""`clvdesk clv`: fit the CLV engine on past orders, load every customer's scores, check on a holdout."""

from __future__ import annotations

import functools
import json
import warnings
from datetime import datetime, timezone
from pathlib import Path

import click
import pandas as pd

from clvdesk.clv.dates import date_format_usable
from clvdesk.clv.fitting import FitError
from clvdesk.clv.fresh import Valuation
from clvdesk.clv.holdout import holdout_check
from clvdesk.clv.model import PURCHASE_MODELS, fit_model
from clvdesk.clv.orders import OrderColumns, OrdersError, read_orders
from clvdesk.clv.records import customer_records
from clvdesk.clv.report import MODEL_TITLES, fit_report, fit_text, validate_text
from clvdesk.clv.scoring import Money, ScoreError, check_scores, customer_equity, score
from clvdesk.clv.segments import segment, value_tier
from clvdesk.clv.selection import SelectionError, choose_model
from clvdesk.clv.summary import SummaryError, fit_end, read_summary, summarize
from clvdesk.defaults import CLV_DEFAULT_TIME_UNIT, CLV_IN_MEMORY_ORDERS_BYTES, CLV_STORE_PROGRESS_ROWS, CLV_TIME_UNIT_DAYS
from clvdesk.settings import SettingsError, env_name, load_settings

MONEY_OPTIONS = {"margin": "--margin", "annual_discount_rate": "--discount-rate", "cac": "--cac"}
INPUT_ERRORS = (OrdersError, SummaryError, FitError, SelectionError)
AUTO = "auto"  # --model auto: chosen by holdout error (clvdesk.clv.selection)
ENGINES = ("local", "spark")  # spark: clvdesk.clv.spark_engine, with the optional extra clvdesk[spark]


def _cli():  # clvdesk.cli imports this module to register the group: import it late
    from clvdesk import cli

    return cli


def _order_options(command, *, auto: bool = False):
    models = [*PURCHASE_MODELS, AUTO] if auto else list(PURCHASE_MODELS)
    for option in reversed([
        click.option("--time-unit", type=click.Choice(list(CLV_TIME_UNIT_DAYS)), default=CLV_DEFAULT_TIME_UNIT, show_default=True,
                     help="Unit of recency, age and the fitted rates."),
        click.option("--model", "purchase_model", type=click.Choice(models), default="bgnbd", show_default=True,
                     help="Purchase model" + ("; auto: the one with the smallest holdout error." if auto else ".")),
        click.option("--id-column", default=OrderColumns.customer_id, show_default=True),
        click.option("--email-column", default=OrderColumns.email, show_default=True),
        click.option("--date-column", default=OrderColumns.date, show_default=True),
        click.option("--amount-column", default=OrderColumns.amount, show_default=True),
        click.option("--date-format", default=None, callback=_check_date_format,
                     help="strftime format of every date, e.g. %d/%m/%Y (default: the one format that fits them all)."),
        click.option("--day-first", is_flag=True, help="Read dates that fit both day-first and month-first day-first (18/01/1997)."),
        click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report."),
    ]):
        command = option(command)
    return command


def _check_date_format(ctx, param, value: str | None) -> str | None:
    """A --date-format pandas cannot use is one line before any order is read."""
    if value is not None and not date_format_usable(value):
        _cli().fail(f"--date-format {value!r} is not a strftime format of a date (such as %d/%m/%Y)")
    return value


def _progress(message: str) -> None:
    """Say what long work is under way, to a person watching (stderr is a terminal), never into logs."""
    if click.get_text_stream("stderr").isatty():
        click.echo(message, err=True)


def _orders(path: Path, id_column, email_column, date_column, amount_column, date_format, day_first) -> pd.DataFrame:
    _progress(f"reading orders from {path} …")
    return read_orders(path, OrderColumns(id_column, email_column, date_column, amount_column), date_format=date_format,
                       day_first=day_first)


def _larger_than_memory(path: Path) -> bool:
    """A directory of parts, or one file past CLV_IN_MEMORY_ORDERS_BYTES, is summarised out of core."""
    return path.is_dir() or (path.is_file() and path.stat().st_size > CLV_IN_MEMORY_ORDERS_BYTES)


def _date(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        _cli().fail(f"{option} {text!r} is not a date (use YYYY-MM-DD)")


def _money(margin, discount_rate, cac) -> Money:
    overrides = {name: value for name, value in (("margin", margin), ("annual_discount_rate", discount_rate), ("cac", cac)) if value is not None}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        message = str(exc)
        for name in overrides:  # an option given on the command line is named as such
            message = message.replace(env_name(name), MONEY_OPTIONS[name])
        _cli().fail(message)
    return Money(margin=settings.margin, annual_discount_rate=settings.annual_discount_rate, cac=settings.cac)


def _tier_amounts(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    try:
        pairs = [part.split("=") for part in text.split(",")]
        return {name.strip(): float(amount) for name, amount in pairs}
    except ValueError:
        _cli().fail(f"--tier-amounts {text!r}: expected name=amount pairs, such as top=300,high=100,medium=20")


@click.group("clv")
def clv() -> None:
    """The CLV engine: residual CLV, P(alive), segments and value tiers from order history."""
    # A library's warning (pandas, numpy, DuckDB, pyarrow) is no message to the user: what they must know
    # is said in clvdesk's own lines (errors, the report's warnings).
    warnings.simplefilter("ignore")


@clv.command("fit")
@click.argument("orders", required=False)
@click.option("--summary", "summary_path", type=click.Path(path_type=Path),
              help="A ready per-customer summary CSV (customer_id, frequency, recency, T, monetary_value) instead of ORDERS.")
@click.option("--calibration-end", help="Fit on orders up to this date (default: the last order).")
@functools.partial(_order_options, auto=True)
@click.option("--margin", type=float, help="Share of spend that is profit (default: CLVDESK_MARGIN).")
@click.option("--discount-rate", type=float, help="Annual discount rate (default: CLVDESK_ANNUAL_DISCOUNT_RATE).")
@click.option("--cac", type=float, help="Acquisition cost per customer (default: CLVDESK_CAC).")
@click.option("--horizon-days", type=click.FloatRange(min=0, min_open=True), help="Value this many days ahead (default: the whole remaining lifetime).")
@click.option("--tier-amounts", help="Value tiers by residual CLV amounts, e.g. top=300,high=100,medium=20 (default: percentiles 95/80/50).")
@click.option("--no-store", is_flag=True, help="Print the report, leave the customer store as it is.")
@click.option("--save-model", type=click.Path(path_type=Path), help="Also write the fitted model's JSON here.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="local: this process; spark: summaries and scores on Spark from Parquet ORDERS (any path Spark reads).")
@click.option("--spark-master", help="Spark master URL, e.g. local[4] (default: spark-submit's, else local[*]).")
@click.option("--scores-out", help="--engine spark: also write every customer's scores to this Parquet path.")
def fit_command(orders, summary_path, calibration_end, time_unit, purchase_model, id_column, email_column, date_column,
                amount_column, date_format, day_first, as_json, margin, discount_rate, cac, horizon_days, tier_amounts, no_store, save_model,
                engine, spark_master, scores_out):
    """Fit, score every customer and load them all into the customer store in one atomic swap.

    ORDERS is a CSV or Parquet file, or a directory of parts (summarised out of core, as is a file over 256 MiB).
    """
    cli = _cli()
    if (orders is None) == (summary_path is None):
        cli.fail("give either ORDERS or --summary SUMMARY.csv")
    money = _money(margin, discount_rate, cac)
    amounts = _tier_amounts(tier_amounts)
    end = _date(calibration_end, "--calibration-end")
    if engine == "spark":
        if summary_path is not None or purchase_model == AUTO:
            cli.fail("--engine spark fits on Parquet ORDERS with one --model (bgnbd, mbgnbd or pareto)")
        from clvdesk.clv.spark_cli import fit_on_spark

        fit_on_spark(orders, OrderColumns(id_column, email_column, date_column, amount_column), date_format=date_format,
                     day_first=day_first, end=end, time_unit=time_unit,
                     purchase_model=purchase_model, money=money, horizon_days=horizon_days, amounts=amounts, master=spark_master,
                     scores_out=scores_out, store=not no_store, save_model=save_model, as_json=as_json)
        return
    if scores_out is not None:
        cli.fail("--scores-out is for --engine spark (the local engine loads the customer store)")
    if purchase_model == AUTO and summary_path is not None:
        cli.fail("--model auto needs ORDERS: choosing by holdout error splits the orders by date")
    selection = None
    try:
        if summary_path is not None:
            summary = read_summary(summary_path)
        elif _larger_than_memory(Path(orders)):
            from clvdesk.clv.outofcore import summarize_orders

            if purchase_model == AUTO:
                cli.fail("--model auto splits the orders in memory: name the model for orders summarised out of core")
            _progress(f"summarising the orders in {orders} (out of core) …")
            summary = summarize_orders(orders, OrderColumns(id_column, email_column, date_column, amount_column),
                                       time_unit=time_unit, calibration_end=end, date_format=date_format,
                                       day_first=day_first)
            end = summary.attrs["calibration_end"]
        else:
            frame = _orders(Path(orders), id_column, email_column, date_column, amount_column, date_format, day_first)
            end = fit_end(end, frame["date"].max())
            if purchase_model == AUTO:
                _progress("choosing the purchase model by holdout error …")
                purchase_model, selection = choose_model(frame[frame["date"] <= end], time_unit=time_unit, end=end)
            summary = summarize(frame, time_unit=time_unit, calibration_end=end)
        _progress(f"fitting {MODEL_TITLES[purchase_model]} and Gamma-Gamma on {len(summary):,} customers …")
        model = fit_model(summary, purchase_model=purchase_model, time_unit=time_unit,
                          calibration_end=None if end is None else str(end.date()))
    except INPUT_ERRORS as exc:
        cli.fail(str(exc))
    _progress("scoring …")
    scores = score(model, summary, money, horizon_days=horizon_days)
    try:
        check_scores(scores, model)
    except ScoreError as exc:
        cli.fail(str(exc))
    scores = scores.assign(segment=segment(scores, unit_days=CLV_TIME_UNIT_DAYS[time_unit]),
                           value_tier=value_tier(scores["residual_clv"], amounts=amounts))
    valuation = Valuation.of_fit(model, money, horizon_days, fitted_at=datetime.now(timezone.utc),
                                 customer_equity=customer_equity(scores, money))
    stored = None if no_store else _store(cli, scores, valuation)
    if save_model:
        save_model.write_text(model.to_json())
    report = fit_report(model, scores, money, horizon_days=horizon_days, stored=stored, selection=selection)
    click.echo(json.dumps(report, indent=2) if as_json else fit_text(report, model))


def _store(cli, scores: pd.DataFrame, valuation: Valuation) -> int:
    return store_records(cli, customer_records(scores), len(scores), valuation)


def store_records(cli, records, customers: int, valuation: Valuation) -> int:
    """Load the records into the customer store with their valuation, a progress bar for big loads."""
    from clvdesk.customers import CustomerStore

    redis = cli.redis_or_exit(cli.settings_or_exit())
    store = CustomerStore(redis)
    if customers < CLV_STORE_PROGRESS_ROWS:
        count = store.replace_records(records, valuation=valuation.to_json())
    else:
        with click.progressbar(length=customers, label="loading the customer store", file=click.get_text_stream("stderr")) as bar:
            done = [0]

            def progress(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            count = store.replace_records(records, progress=progress, valuation=valuation.to_json())
    return count


@clv.command("validate")
@click.argument("orders", type=click.Path(path_type=Path))
@click.option("--calibration-end", required=True, help="Fit on orders up to this date; the later ones are the holdout.")
@click.option("--holdout-end", help="Last day of the holdout (default: the last order).")
@_order_options
def validate_command(orders, calibration_end, holdout_end, time_unit, purchase_model, id_column, email_column, date_column,
                     amount_column, date_format, day_first, as_json):
    """Compare predicted and actual repeat purchases in the holdout period, per customer and in aggregate."""
    cli = _cli()
    end = _date(calibration_end, "--calibration-end")
    holdout = _date(holdout_end, "--holdout-end")
    if holdout is not None and holdout <= end:
        cli.fail(f"--holdout-end {holdout.date()} is not after --calibration-end {end.date()}")
    try:
        summary = summarize(_orders(orders, id_column, email_column, date_column, amount_column, date_format, day_first),
                            time_unit=time_unit, calibration_end=end, holdout_end=holdout)
        if "frequency_holdout" not in summary:
            cli.fail(f"{orders}: no orders after {end.date()}; a holdout check needs a period to compare with")
        _progress(f"fitting {MODEL_TITLES[purchase_model]} on {len(summary):,} customers …")
        fitted, comparison = holdout_check(summary, purchase_model)
    except INPUT_ERRORS as exc:
        cli.fail(str(exc))
    if as_json:
        click.echo(json.dumps({"calibration_end": str(end.date()), "time_unit": time_unit, purchase_model: fitted.to_dict(), **comparison}, indent=2))
    else:
        click.echo(validate_text(fitted, comparison, str(end.date()), time_unit))


@clv.command("show")
@click.argument("who")
@click.option("--as-of", help="Values as of this date or ISO time, UTC (default: now).")
def show_command(who: str, as_of: str | None) -> None:
    """Print one customer's scores (WHO: an email or a customer id), as of now or --as-of."""
    from clvdesk.customers import CorruptCustomerRecord, CustomerStore

    cli = _cli()
    redis = cli.redis_or_exit(cli.settings_or_exit())
    store = CustomerStore(redis)
    try:
        customer = store.find(email=who) if "@" in who else store.find(customer_id=who)
    except CorruptCustomerRecord as exc:
        cli.fail(str(exc))
    if customer is None:
        cli.fail(f"no customer {who!r} in the store")
    valuation = store.valuation()
    if valuation is not None:
        when = datetime.now(timezone.utc) if as_of is None else _date(as_of, "--as-of").tz_localize(timezone.utc).to_pydatetime()
        customer = store.find(email=customer.email, customer_id=customer.customer_id, as_of=when)
    for name, value in customer.model_dump(exclude_none=True).items():
        click.echo(f"{name}: {value:.6g}" if isinstance(value, float) else f"{name}: {value}")
    if valuation is not None:
        fitted = valuation.model
        click.echo(f"model: {MODEL_TITLES[fitted.purchases.model]} per {fitted.time_unit}, "
                   f"calibration end {fitted.calibration_end or 'as in the summary'}, fitted as of {valuation.as_of.isoformat()}")
