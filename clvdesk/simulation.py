"""What a rule change would have cost: past tickets replayed under the current and a draft rule set.

Tickets are replayed in time order with each customer's rolling budget and abuse guard kept in
memory, exactly as the workers keep them in Redis, so a customer with many tickets hits their budget
here as they would have. The engine is `clvdesk.rules.evaluate`, the workers' own, without the
reasons' text; pandas reads the tickets and sums the results by tier, instrument and month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import IO

import pandas as pd

from clvdesk.analysis import Sentiment
from clvdesk.analysis.model import CATEGORY_LABELS, LABELS, SIGNAL_LABELS, Category, Signal
from clvdesk.customers import CustomerValue
from clvdesk.rules import RuleSet, Tier, Usage, classify, evaluate
from clvdesk.spending import Windows
from clvdesk.suggestions import Suggestion

REQUIRED_COLUMNS = ("ticket_id", "customer", "created")
OUTCOME_COLUMNS = ("tier", "instrument", "amount", "cost", "needs_approval", "flagged", "budget_hit")


class SimulationError(ValueError):
    """The tickets cannot be simulated; the message says what to fix."""


class Tickets:
    """Past tickets: a frame (ticket_id, customer, created, sentiment = index into `sentiments`)."""

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
    created = pd.to_datetime(frame["created"], errors="coerce", utc=True, format="mixed")
    if created.isna().any():
        line = int(created.isna().to_numpy().argmax()) + 2
        raise SimulationError(f"line {line}: created {frame['created'].iloc[line - 2]!r} is not a date")
    repeated = frame["ticket_id"].duplicated()
    if repeated.any():
        raise SimulationError(f"ticket {frame['ticket_id'][repeated].iloc[0]!r} appears more than once")
    if "text" in frame.columns:
        keys = frame["text"]
        unique = keys.drop_duplicates()
        sentiments = [analyse_text(text) for text in unique]
    else:
        frame = frame.reindex(columns=[*frame.columns, *({"category", "signals"} - set(frame.columns))], fill_value="")
        keys = frame["sentiment"].str.cat([frame["category"], frame["signals"]], sep="|")
        unique_rows = frame.loc[~keys.duplicated()]
        unique = keys[~keys.duplicated()]
        sentiments = [_labelled(line + 2, row) for line, row in zip(unique_rows.index, unique_rows.to_dict("records"))]
    index = pd.Series(range(len(unique)), index=unique.to_numpy())
    out = pd.DataFrame(
        {
            "ticket_id": frame["ticket_id"].str.strip(),
            "customer": frame["customer"].str.strip(),
            "created": created,
            "sentiment": index.loc[keys.to_numpy()].to_numpy(),
        }
    )
    return Tickets(out, sentiments)


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


def seen_tickets(suggestions: Iterable[Suggestion]) -> Tickets:
    """The tickets clvdesk has already handled, with the analysis it made of each."""
    rows, sentiments = [], []
    for suggestion in suggestions:
        customer = suggestion.customer.email or suggestion.customer.customer_id or ""
        rows.append((suggestion.ticket_id, customer, suggestion.created_at, len(sentiments)))
        sentiments.append(suggestion.sentiment)
    if not rows:
        raise SimulationError("clvdesk has not handled any ticket yet; upload past tickets as CSV")
    frame = pd.DataFrame(rows, columns=["ticket_id", "customer", "created", "sentiment"])
    frame["created"] = pd.to_datetime(frame["created"], utc=True)
    return Tickets(frame, sentiments)


def replay(tickets: Tickets, customers: dict[str, CustomerValue], rules: RuleSet) -> pd.DataFrame:
    """Each ticket's outcome under `rules`, in time order, guardrails included."""
    history: dict[str, list[tuple[float, float]]] = defaultdict(list)  # identity → (time, amount) offered
    placed: dict[str, tuple[Tier, str, Windows]] = {}  # customer → tier, the rule that placed them, windows
    rows = []
    frame = tickets.frame
    stamps = (frame["created"].astype("int64") // 1_000_000_000).to_numpy()
    for key, stamp, index in zip(frame["customer"].to_numpy(), stamps, frame["sentiment"].to_numpy()):
        customer = customers.get(key)
        identity = (customer.email or customer.customer_id) if customer else key
        if key not in placed:
            tier, rule = classify(rules, customer)
            placed[key] = (tier, rule, Windows.of(tier))
        tier, rule, windows = placed[key]
        past = history[identity]
        spent = sum(amount for at, amount in past if windows.budget and at >= stamp - windows.budget)
        count = sum(1 for at, _ in past if windows.abuse and at >= stamp - windows.abuse)
        usage = Usage(spent=spent, appeasements=count)
        outcome = evaluate(rules, customer, tickets.sentiments[index], usage, placed=(tier, rule))
        if outcome.amount > 0:
            past.append((stamp, outcome.amount))
        hit = outcome.budget_left is not None and outcome.budget_left <= 0
        rows.append(
            (outcome.tier.name, outcome.instrument, outcome.amount, outcome.cost, outcome.needs_approval, outcome.flagged, hit)
        )
    return pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))


def compare(tickets: Tickets, customers: dict[str, CustomerValue], current: RuleSet, draft: RuleSet) -> pd.DataFrame:
    """One row per ticket: its outcome under the current rules (`current_*`) and the draft (`draft_*`)."""
    frame = tickets.frame[["ticket_id", "customer", "created"]].copy()
    frame["month"] = frame["created"].dt.strftime("%Y-%m")
    for name, rules in (("current", current), ("draft", draft)):
        outcomes = replay(tickets, customers, rules)
        for column in OUTCOME_COLUMNS:
            frame[f"{name}_{column}"] = outcomes[column].to_numpy()
    return frame


def totals(compared: pd.DataFrame, by: str | None) -> list[dict]:
    """Tickets, spend, cost, approvals, flags and customers who hit their budget, per rule set and
    per value of `by` (tier, instrument or month; None for the grand total)."""
    results = []
    for name in ("current", "draft"):
        frame = compared.assign(
            hit_customer=compared["customer"].where(compared[f"{name}_budget_hit"]),
            group=compared[f"{name}_{by}"] if by in ("tier", "instrument") else (compared[by] if by else "all"),
        )
        grouped = frame.groupby("group", sort=True).agg(
            tickets=("ticket_id", "size"),
            spend=(f"{name}_amount", "sum"),
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
                cost=round(float(row["cost"]), 2),
                approvals=int(row["approvals"]),
                flagged=int(row["flagged"]),
                customers_at_budget=int(row["customers_at_budget"]),
            )
            results.append(entry)
    return results
