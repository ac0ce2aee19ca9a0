"""What a rule change would have cost: past tickets replayed under the current and a draft rule set.

Tickets are replayed in time order with each customer's rolling budget and abuse guard kept in
memory, as the workers keep them in Redis, so a customer with many tickets hits their budget here as
they would have. They count what `clvdesk.spending.counted_amount` counts, as the workers' ledger
does: a ticket clvdesk handled carries its agent's outcome (declined: nothing; changed: the amount
given; applied: the replayed offer; none yet: the replayed offer while pending), and a ticket from a
file counts as applied. The figures are those of `clvdesk.rules.evaluate`, the workers' engine,
computed for all tickets at once with numpy (the tests hold them to `decide`, ticket by ticket, and
to the workers' ledger in Redis); pandas reads the tickets and sums the results by tier, instrument
and month.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import IO

import numpy as np
import pandas as pd

from clvdesk.analysis import Sentiment
from clvdesk.analysis.model import CATEGORY_LABELS, LABELS, SIGNAL_LABELS, Category, Signal
from clvdesk.customers import CustomerValue
from clvdesk.rules import INSTRUMENT_LABELS, RuleSet
from clvdesk.outcomes import Outcome
from clvdesk.spending import Windows, counted_amount, counted_amounts
from clvdesk.suggestions import Suggestion

EPOCH = pd.Timestamp(0, tz="UTC")
REQUIRED_COLUMNS = ("ticket_id", "customer", "created")
OUTCOME_COLUMNS = ("tier", "instrument", "amount", "cost", "needs_approval", "flagged", "budget_hit", "counted")


class SimulationError(ValueError):
    """The tickets cannot be simulated; the message says what to fix."""


class Tickets:
    """Past tickets: a frame (ticket_id, customer, created, sentiment = index into `sentiments`, and the
    agent's outcome with the amount given when changed: None and NaN where none was recorded)."""

    def __init__(self, frame: pd.DataFrame, sentiments: list[Sentiment]):
        self.frame = frame.sort_values("created", kind="stable").reset_index(drop=True)
        self.sentiments = sentiments


def read_tickets(source: str | IO, analyse_text: Callable[[str], Sentiment]) -> Tickets:
    """Tickets from CSV: ticket_id, customer (email or id), created (a date), and either `text` or
    `sentiment` (a label) with optional `category` and `signals` (names separated by `;`)."""
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SimulationError(f"not a readable CSV file ({exc})") from None
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing or not ({"text", "sentiment"} & set(frame.columns)):
        need = ", ".join(missing) or "text or sentiment"
        raise SimulationError(f"missing column(s) {need}; the header has {', '.join(frame.columns)}")
    if frame.empty:
        raise SimulationError("no tickets below the header")
    created = _dates(frame["created"])
    if created.isna().any():
        line = int(created.isna().to_numpy().argmax()) + 2
        raise SimulationError(f"line {line}: created {frame['created'].iloc[line - 2]!r} is not a date")
    repeated = frame["ticket_id"].duplicated()
    if repeated.any():
        raise SimulationError(f"ticket {frame['ticket_id'][repeated].iloc[0]!r} appears more than once")
    if "text" in frame.columns:
        codes, unique = pd.factorize(frame["text"])  # one analysis per distinct text
        sentiments = [analyse_text(text) for text in unique]
    else:
        frame = frame.reindex(columns=[*frame.columns, *({"category", "signals"} - set(frame.columns))], fill_value="")
        codes = frame.groupby(["sentiment", "category", "signals"], sort=False).ngroup().to_numpy()  # by first appearance
        first = np.unique(codes, return_index=True)[1]
        rows = frame.iloc[first].to_dict("records")
        sentiments = [_labelled(int(line) + 2, row) for line, row in zip(first, rows)]
    out = pd.DataFrame(
        {
            "ticket_id": frame["ticket_id"].str.strip(),
            "customer": frame["customer"].str.strip(),
            "created": created,
            "sentiment": codes,
            "outcome": "applied",
            "given": np.nan,
        }
    )
    return Tickets(out, sentiments)


def _dates(column: pd.Series) -> pd.Series:
    """ISO 8601 dates (fast), else any format pandas reads; NaT where neither does."""
    try:
        return pd.to_datetime(column, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        return pd.to_datetime(column, errors="coerce", utc=True, format="mixed")


def _labelled(line: int, row: dict[str, str]) -> Sentiment:
    label = row["sentiment"].strip()
    if label not in LABELS:
        raise SimulationError(f"line {line}: sentiment {label!r} is not one of {', '.join(LABELS)}")
    category = row.get("category", "").strip() or "other"
    if category not in CATEGORY_LABELS:
        raise SimulationError(f"line {line}: category {category!r} is not one of {', '.join(CATEGORY_LABELS)}")
    signals = [name.strip() for name in row.get("signals", "").split(";") if name.strip()]
    unknown = [name for name in signals if name not in SIGNAL_LABELS]
    if unknown:
        raise SimulationError(f"line {line}: signal {unknown[0]!r} is not one of {', '.join(SIGNAL_LABELS)}")
    return Sentiment(
        score=0.0,
        label=label,
        signals=[Signal(name=name, label=SIGNAL_LABELS[name], evidence=[]) for name in signals],
        category=Category(name=category, label=CATEGORY_LABELS[category]),
    )


def seen_tickets(suggestions: Iterable[Suggestion], outcomes: Sequence[Outcome | None] | None = None) -> Tickets:
    """The tickets clvdesk has already handled, with the analysis it made of each and, in `outcomes`
    (one per suggestion, `SuggestionLog.outcomes`), what the agent did."""
    rows, sentiments = [], []
    for index, suggestion in enumerate(suggestions):
        customer = suggestion.customer.email or suggestion.customer.customer_id or ""
        outcome = outcomes[index] if outcomes is not None else None
        given = outcome.given_amount if outcome is not None else np.nan
        rows.append((suggestion.ticket_id, customer, suggestion.created_at, len(sentiments), outcome and outcome.outcome, given))
        sentiments.append(suggestion.sentiment)
    if not rows:
        raise SimulationError("clvdesk has not handled any ticket yet; upload past tickets as CSV")
    frame = pd.DataFrame(rows, columns=["ticket_id", "customer", "created", "sentiment", "outcome", "given"])
    frame["created"] = pd.to_datetime(frame["created"], utc=True)
    return Tickets(frame, sentiments)


def replay(
    tickets: Tickets, customers: dict[str, CustomerValue], rules: RuleSet, now: datetime | None = None
) -> pd.DataFrame:
    """Each ticket's outcome under `rules`, in time order, guardrails included; `counted` is what it
    uses of its customer's budget at `now` (default: the present)."""
    return _replay(tickets, CustomerTable.of(tickets, customers), rules, now or datetime.now(timezone.utc))


CUSTOMER_FIELDS = ("residual_clv", "historical_spend", "p_alive", "segment", "value_tier", "tier")
_UNKNOWN = (None,) * len(CUSTOMER_FIELDS)


class CustomerTable:
    """The customers of the tickets as arrays, one entry per distinct `customer` key, and each
    ticket's key: what classifying and budgeting read, gathered once for both rule sets."""

    def __init__(self, keys: list[str], codes: np.ndarray, customers: dict[str, CustomerValue]):
        found = [customers.get(key) for key in keys]
        rows = [
            (c.residual_clv, c.historical_spend, c.p_alive, c.segment, c.value_tier, c.tier) if c else _UNKNOWN for c in found
        ]
        self.codes = codes
        self.known = np.array([customer is not None for customer in found], dtype=bool)
        self.fields = {field: pd.Series(values, dtype=object) for field, values in zip(CUSTOMER_FIELDS, zip(*rows))}
        self.residual = np.array([max(customer.residual_clv, 0.0) if customer else 0.0 for customer in found])
        identities = pd.factorize(pd.Series([_identity(c, key) for c, key in zip(found, keys)], dtype=object))[0]
        self.identity = identities[codes]  # per ticket: whose ledger it counts against

    @classmethod
    def of(cls, tickets: Tickets, customers: dict[str, CustomerValue]) -> CustomerTable:
        codes, keys = pd.factorize(tickets.frame["customer"], sort=False)
        return cls(list(keys), codes, customers)

    def classify(self, rules: RuleSet) -> np.ndarray:
        """Each key's tier (an index into rules.tiers), as `clvdesk.rules.classify` places it."""
        names = [tier.name for tier in rules.tiers]
        unknown = names.index(rules.unknown_customer_tier)
        placed = np.full(len(self.known), -1, dtype=np.intp)
        imported = self.fields["tier"].map({name: index for index, name in enumerate(names)})
        placed[imported.notna().to_numpy()] = imported.dropna().astype(int).to_numpy()
        placed[~self.known] = unknown
        for index, tier in enumerate(rules.tiers):
            match = placed == -1
            for field, bound, sign in tier.when.bounds():
                value = self.fields[field].to_numpy(dtype=float, na_value=np.nan)
                match &= ~np.isnan(value) & ~((value - bound) * sign < 0)
            for field, allowed in tier.when.choices():
                match &= self.fields[field].isin(allowed).to_numpy()
            placed[match] = index
        placed[placed == -1] = unknown
        return placed


def _replay(tickets: Tickets, table: CustomerTable, rules: RuleSet, now: datetime) -> pd.DataFrame:
    """What `evaluate` gives each ticket, computed for all tickets at once.

    Everything but the guardrails is arithmetic per ticket, done with numpy in the engine's order of
    operations and rounded as Python rounds, so every figure is the engine's to the cent. The rolling
    budget and the abuse guard depend on what the customer received before; one tight loop walks the
    tickets of customers in tiers that have them, customer by customer.
    """
    frame, tiers = tickets.frame, rules.tiers
    key_tier = table.classify(rules)
    tier = key_tier[table.codes]
    residual = table.residual[table.codes]
    sentiment = frame["sentiment"].to_numpy()

    def per_tier(values) -> np.ndarray:
        return np.array([np.nan if value is None else value for value in values], dtype=float)[tier]

    budget = per_tier(t.base_amount for t in tiers) + per_tier(t.budget_share for t in tiers) * residual
    for adjustment in rules.adjustments:
        applies = np.array([adjustment.applies(s) for s in tickets.sentiments], dtype=bool)[sentiment]
        budget = np.where(applies, budget * adjustment.budget_multiplier, budget)
    cap = per_tier(t.max_amount for t in tiers)
    budget = np.where(budget > cap, cap, budget)
    multiplier = np.array([rules.sentiment_multipliers[s.label] for s in tickets.sentiments])[sentiment]
    amount = round_cents(budget * multiplier)

    rolling = [t.rolling_budget for t in tiers]
    key_residual = table.residual
    key_limit = round_cents(
        np.array([b.base_amount if b else np.nan for b in rolling])[key_tier]
        + np.array([b.share if b else np.nan for b in rolling])[key_tier] * key_residual
    )  # clvdesk.rules.rolling_limit for every customer
    windows = [Windows.of(t) for t in tiers]
    guarded_tier = np.array([bool(w.budget or w.abuse) for w in windows], dtype=bool)[tier]
    guarded_identity = np.zeros(int(table.identity.max(initial=-1)) + 1, dtype=bool)
    guarded_identity[table.identity[guarded_tier]] = True
    guarded = guarded_identity[table.identity]  # every ticket of a customer with a guarded one counts
    flagged = np.zeros(len(frame), dtype=bool)
    hit = np.zeros(len(frame), dtype=bool)
    minimum = per_tier(t.min_amount for t in tiers)
    order = np.flatnonzero(guarded)[np.argsort(table.identity[guarded], kind="stable")]
    guards = [(w.budget, w.abuse, t.abuse_guard.max_appeasements if t.abuse_guard else 0) for w, t in zip(windows, tiers)]
    stamps = seconds(frame["created"])
    changed = frame["given"].to_numpy(dtype=float)
    ones, zeros = np.ones(len(frame)), np.zeros(len(frame))
    # What a ticket counts when made is share × its offer + fixed (the outcome gives the offer or an amount).
    share = counted_amounts(frame["outcome"], ones, zeros, zeros)
    fixed = counted_amounts(frame["outcome"], zeros, changed, zeros)
    waiting = frame["outcome"].isna().to_numpy()
    columns = (table.identity, stamps, tier, key_limit[table.codes], minimum, amount, share, fixed, waiting)
    _guardrails(order, *(column[order].tolist() for column in columns), guards, amount, flagged, hit)
    amount[(amount < minimum) | (amount <= 0)] = 0.0
    counted = counted_amounts(frame["outcome"], amount, changed, now.timestamp() - stamps)

    categories = list(CATEGORY_LABELS)
    category = np.array([categories.index(s.category.name) for s in tickets.sentiments], dtype=np.intp)[sentiment]
    instruments = list(INSTRUMENT_LABELS)
    first_choice = np.array(
        [[instruments.index((t.category_instruments.get(name) or t.instruments)[0]) for name in categories] for t in tiers]
    )
    instrument = np.where(amount > 0, first_choice[tier, category], instruments.index("apology_only"))
    cost_share = np.array([rules.instrument_costs.get(name, 0.0) for name in instruments])[instrument]
    return pd.DataFrame(
        {
            "tier": np.array([t.name for t in tiers], dtype=object)[tier],
            "instrument": np.array(instruments, dtype=object)[instrument],
            "amount": amount,
            "cost": round_cents(amount * cost_share),
            "needs_approval": amount > per_tier(t.approval_above for t in tiers),
            "flagged": flagged,
            "budget_hit": hit,
            "counted": counted,
        },
        columns=list(OUTCOME_COLUMNS),
    )


def _guardrails(
    order, identity, stamps, tier, limit, minimum, offers, share, fixed, waiting, guards, amount, flagged, hit
) -> None:
    """Hold the tickets at `order` (grouped by customer, in time order within each) to their rolling
    budget and abuse guard, in place, as `evaluate` does with the customer's `Usage` before each: the
    usage is what `counted_amount` counts of the customer's earlier tickets at this one's time.

    A ticket counts share × its offer + fixed when made; only one still `waiting` for an outcome counts
    differently later (it is released after the hold), so only those are counted again at each ticket."""
    at: list[int] = []  # the current customer's tickets that count when made: times and counts
    given: list[float] = []
    pending: list[int] = []  # the indexes into `at` of those waiting for an outcome
    previous = -1
    for row, who, stamp, placed, most, least, offer, times, plus, held in zip(
        order.tolist(), identity, stamps, tier, limit, minimum, offers, share, fixed, waiting
    ):
        if who != previous:
            at, given, pending, previous = [], [], [], who
        budget_window, abuse_window, max_appeasements = guards[placed]
        if budget_window:
            spent = 0
            if at:
                first = bisect_left(at, stamp - budget_window)
                spent = sum(given[first:])
                if pending:
                    spent += sum(counted_amount(None, given[i], None, stamp - at[i]) - given[i] for i in pending if i >= first)
            left = round(max(most - spent, 0.0), 2) if spent else most
            if offer > left:
                offer = left
        if abuse_window and at and _appeased(at, given, pending, stamp, abuse_window) >= max_appeasements:
            offer = 0.0
            flagged[row] = True
        elif offer < least or offer <= 0:
            offer = 0.0
        if budget_window:  # round(left - offer, 2) <= 0: the double 0.005 is a hair above 5/1000
            hit[row] = left - offer < 0.005
        counts = times * offer + plus
        if counts > 0:
            if held:
                pending.append(len(at))
            at.append(stamp)
            given.append(counts)
        amount[row] = offer


def _appeased(at: list[int], given: list[float], pending: list[int], stamp: int, window: int) -> int:
    """How many of the customer's earlier tickets count as appeasements within `window` at `stamp`."""
    first = bisect_left(at, stamp - window)
    released = sum(counted_amount(None, given[i], None, stamp - at[i]) <= 0 for i in pending if i >= first) if pending else 0
    return len(at) - first - released


def seconds(created: pd.Series) -> np.ndarray:
    """Whole seconds since the epoch, whatever the column's resolution (pandas 3 parses to µs)."""
    return ((created - EPOCH) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def _identity(customer: CustomerValue | None, key: str) -> str:
    """Whose appeasements a ticket counts against: as the workers' ledger keys them."""
    return (customer.email or customer.customer_id) if customer else key


def round_cents(values: np.ndarray) -> np.ndarray:
    """Python's `round(x, 2)` for every value, which numpy's rounding is not: Python rounds the exact
    binary value. x × 100 is off by at most half a unit in its last place, so its nearest whole
    number is right unless it sits within a hair of a half; those few go through `round` itself."""
    hundredths = values * 100
    rounded = np.rint(hundredths) / 100
    close = np.abs(hundredths - np.floor(hundredths) - 0.5) < 1e-9 + np.abs(hundredths) * 1e-15
    for index in np.flatnonzero(close & np.isfinite(values)).tolist():
        rounded[index] = round(float(values[index]), 2)
    return rounded


def compare(
    tickets: Tickets, customers: dict[str, CustomerValue], current: RuleSet, draft: RuleSet, now: datetime | None = None
) -> pd.DataFrame:
    """One row per ticket: its outcome under the current rules (`current_*`) and the draft (`draft_*`)."""
    frame = tickets.frame[["ticket_id", "customer", "created"]].copy()
    frame["month"] = frame["created"].dt.strftime("%Y-%m")
    table = CustomerTable.of(tickets, customers)
    now = now or datetime.now(timezone.utc)
    for name, rules in (("current", current), ("draft", draft)):
        outcomes = _replay(tickets, table, rules, now)
        for column in OUTCOME_COLUMNS:
            frame[f"{name}_{column}"] = outcomes[column].to_numpy()
    return frame


def totals(compared: pd.DataFrame, by: str | None) -> list[dict]:
    """Tickets, spend (what was offered), counted (what budgets count of it: `clvdesk.spending.counted_amount`),
    cost, approvals, flags and customers who hit their budget, per rule set and per value of `by` (tier,
    instrument or month; None for the grand total)."""
    results = []
    for name in ("current", "draft"):
        frame = compared.assign(
            hit_customer=compared["customer"].where(compared[f"{name}_budget_hit"]),
            group=compared[f"{name}_{by}"] if by in ("tier", "instrument") else (compared[by] if by else "all"),
        )
        grouped = frame.groupby("group", sort=True).agg(
            tickets=("ticket_id", "size"),
            spend=(f"{name}_amount", "sum"),
            counted=(f"{name}_counted", "sum"),
            cost=(f"{name}_cost", "sum"),
            approvals=(f"{name}_needs_approval", "sum"),
            flagged=(f"{name}_flagged", "sum"),
            customers_at_budget=("hit_customer", "nunique"),
        )
        for group, row in grouped.iterrows():
            entry = {"rules": name, **({by: group} if by else {})}
            entry.update(
                tickets=int(row["tickets"]),
                spend=round(float(row["spend"]), 2),
                counted=round(float(row["counted"]), 2),
                cost=round(float(row["cost"]), 2),
                approvals=int(row["approvals"]),
                flagged=int(row["flagged"]),
                customers_at_budget=int(row["customers_at_budget"]),
            )
            results.append(entry)
    return results
