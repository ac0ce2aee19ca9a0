"""What agents did with each suggestion (applied, changed, declined), kept for the outcome report.

The sidebar's latest-suggestion key is per ticket and expires; the report needs every suggestion made,
so each one also gets a durable record (a Redis hash, indexed by creation time in a sorted set) that
its outcome is written into. Recording again overwrites the outcome, so a suggestion counts once. The
same transaction settles the ticket's entry in the customer's spending ledger (clvdesk.spending), so
the rolling budget and the abuse guard count what the agent gave, not what was suggested. A
supervisor's approval (clvdesk.approvals) is kept in the same record, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from redis import Redis
from redis.client import Pipeline

from clvdesk.approvals import (
    AgentRef,
    Approval,
    ApprovalBody,
    ApprovalRequired,
    approval_required_message,
    check_approver,
    outcome_needs_approval,
)
from clvdesk.defaults import KEY_PREFIX, MAX_AMOUNT, OUTCOME_RETENTION_DAYS, SCAN_BATCH
from clvdesk.spending import SpendingLedger, counted_amounts, given_amount

if TYPE_CHECKING:
    from clvdesk.suggestions import Suggestion

OutcomeName = Literal["applied", "changed", "declined"]
OUTCOMES: tuple[str, ...] = ("applied", "changed", "declined")
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]


class OutcomeBody(BaseModel):
    """What the sidebar sends: `applied`; `changed` with the amount actually given; `declined` with why."""

    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeName
    agent_id: AgentRef
    amount: float | None = Field(default=None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    currency: Currency | None = None
    reason: Reason | None = None
    event_id: str | None = None  # the suggestion the agent saw; a newer one makes the outcome stale

    @model_validator(mode="after")
    def _fits_the_outcome(self) -> OutcomeBody:
        if self.outcome == "changed":
            if self.amount is None or self.currency is None:
                raise ValueError("a changed outcome needs the amount actually given and its currency")
        elif self.amount is not None or self.currency is not None:
            raise ValueError(f"amount and currency belong to a changed outcome, not {self.outcome}")
        if self.outcome == "declined" and self.reason is None:
            raise ValueError("a declined outcome needs a reason")
        return self


class Outcome(BaseModel):
    """An outcome as stored: given_amount is what the customer got (the suggestion's amount when applied)."""

    model_config = ConfigDict(frozen=True)

    outcome: OutcomeName
    given_amount: float
    currency: str
    reason: str | None
    agent_id: str
    recorded_at: datetime


class StaleSuggestion(ValueError):
    """The outcome names a suggestion that a newer one for the ticket has replaced."""


class CurrencyMismatch(ValueError):
    """The amount given is in another currency than the suggestion's."""


APPROVAL_FIELD = "approval"  # in a suggestion's record: the Approval as JSON, set once (HSETNX)


def _check_current(suggestion: Suggestion, event_id: str | None) -> None:
    if event_id is not None and event_id != suggestion.event_id:
        raise StaleSuggestion(f"suggestion {event_id} was replaced by {suggestion.event_id}; reload the sidebar")


class SuggestionLog:
    """Every suggestion made, with its outcome once an agent records one."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:suggestion-log"
        self._index = f"{self._prefix}:by-time"
        self._spending = SpendingLedger(redis, prefix)

    def _key(self, suggestion: Suggestion) -> str:
        return f"{self._prefix}:{suggestion.scope}:{suggestion.ticket_id}:{suggestion.event_id}"

    def add(self, pipe: Pipeline, suggestion: Suggestion) -> None:
        """Queue the suggestion's record on `pipe` (the caller's transaction saves the suggestion too)."""
        key = self._key(suggestion)
        offer = suggestion.offer
        pipe.hset(key, mapping={
            "helpdesk": suggestion.helpdesk,
            "account": suggestion.account,
            "ticket_id": suggestion.ticket_id,
            "event_id": suggestion.event_id,
            "created_at": suggestion.created_at.isoformat(),
            "tier": suggestion.customer.tier,
            "instrument": offer.instrument,
            "suggested_amount": repr(float(offer.amount)),
            "currency": offer.currency,
            # for the report's spend against residual CLV and cost: the customer as the ticket saw them
            "customer": suggestion.customer.email or suggestion.customer.customer_id or "",
            "residual_clv": repr(float(suggestion.customer.residual_clv)),
            "cost_share": repr(offer.cost / offer.amount if offer.amount > 0 else 0.0),
        })
        pipe.expire(key, OUTCOME_RETENTION_DAYS * 86400)
        created = suggestion.created_at.timestamp()
        pipe.zadd(self._index, {key: created})
        pipe.zremrangebyscore(self._index, "-inf", created - OUTCOME_RETENTION_DAYS * 86400)

    def record(self, suggestion: Suggestion, body: OutcomeBody, now: datetime | None = None) -> Outcome:
        """Store the agent's outcome for `suggestion`, replacing any earlier one for it."""
        _check_current(suggestion, body.event_id)
        if body.currency is not None and body.currency != suggestion.offer.currency:
            raise CurrencyMismatch(
                f"currency must be the suggestion's, {suggestion.offer.currency}, not {body.currency}"
            )
        given = given_amount(body.outcome, suggestion.offer.amount, body.amount)
        if outcome_needs_approval(suggestion.offer, given) and self.approval(suggestion) is None:
            raise ApprovalRequired(approval_required_message(suggestion.offer))
        outcome = Outcome(
            outcome=body.outcome,
            given_amount=given,
            currency=suggestion.offer.currency,
            reason=body.reason,
            agent_id=str(body.agent_id),
            recorded_at=now or datetime.now(timezone.utc),
        )
        key = self._key(suggestion)
        with self._redis.pipeline(transaction=True) as pipe:
            self.add(pipe, suggestion)  # again: the record may predate this log or have expired
            pipe.hdel(key, "reason")
            pipe.hset(key, mapping={
                "outcome": outcome.outcome,
                "given_amount": repr(outcome.given_amount),
                "agent_id": outcome.agent_id,
                "recorded_at": outcome.recorded_at.isoformat(),
                **({"reason": outcome.reason} if outcome.reason else {}),
            })
            ticket = f"{suggestion.scope}:{suggestion.ticket_id}"
            self._spending.settle(pipe, ticket, suggestion.event_id, given, suggestion.created_at)
            pipe.execute()
        return outcome

    def approve(self, suggestion: Suggestion, body: ApprovalBody, now: datetime | None = None) -> tuple[Approval, bool]:
        """Record a supervisor's approval of `suggestion`'s offer, once: approving again answers the
        first approval unchanged. Returns the approval and whether this call made it."""
        _check_current(suggestion, body.event_id)
        check_approver(suggestion.offer, body)
        approval = Approval(
            approved_by=str(body.agent_id),
            approved_by_name=body.agent_name,
            approver_role=None if body.agent_role is None else str(body.agent_role),
            approved_at=now or datetime.now(timezone.utc),
        )
        key = self._key(suggestion)
        with self._redis.pipeline(transaction=True) as pipe:
            self.add(pipe, suggestion)  # as in record: the record may predate this log or have expired
            pipe.hsetnx(key, APPROVAL_FIELD, approval.model_dump_json())
            pipe.hget(key, APPROVAL_FIELD)
            *_, made, stored = pipe.execute()
        return Approval.model_validate_json(stored), bool(made)

    def approval(self, suggestion: Suggestion) -> Approval | None:
        stored = self._redis.hget(self._key(suggestion), APPROVAL_FIELD)
        return Approval.model_validate_json(stored) if stored else None

    def outcome(self, suggestion: Suggestion) -> Outcome | None:
        return _parsed(self._redis.hgetall(self._key(suggestion)))

    def outcomes(self, suggestions: Sequence[Suggestion]) -> list[Outcome | None]:
        """Each suggestion's outcome (None where none is recorded), read in batches: for the simulation."""
        found: list[Outcome | None] = []
        for first in range(0, len(suggestions), SCAN_BATCH):
            with self._redis.pipeline(transaction=False) as pipe:
                for suggestion in suggestions[first : first + SCAN_BATCH]:
                    pipe.hgetall(self._key(suggestion))
                found += [_parsed(fields) for fields in pipe.execute()]
        return found

    def records(self, start: date, end: date) -> list[dict[str, str]]:
        """The records of suggestions created from `start` through `end` (UTC days, inclusive)."""
        low = datetime.combine(start, time.min, timezone.utc).timestamp()
        high = datetime.combine(end + timedelta(days=1), time.min, timezone.utc).timestamp()
        keys = self._redis.zrangebyscore(self._index, low, f"({high}")
        rows: list[dict[str, str]] = []
        for first in range(0, len(keys), SCAN_BATCH):
            with self._redis.pipeline(transaction=False) as pipe:
                for key in keys[first : first + SCAN_BATCH]:
                    pipe.hgetall(key)
                found = pipe.execute()
            rows += [{k.decode(): v.decode() for k, v in fields.items()} for fields in found if fields]
        return rows


def _parsed(raw: dict[bytes, bytes]) -> Outcome | None:
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    if "outcome" not in fields:
        return None
    return Outcome(
        outcome=fields["outcome"],
        given_amount=float(fields["given_amount"]),
        currency=fields["currency"],
        reason=fields.get("reason"),
        agent_id=fields["agent_id"],
        recorded_at=datetime.fromisoformat(fields["recorded_at"]),
    )


REPORT_COLUMNS = (
    "suggestions", "outcomes", "applied", "changed", "declined",
    "suggested_amount", "suggested_amount_with_outcome", "given_amount", "pending_amount", "counted_amount", "cost",
)
# Beside the sums: the residual CLV of the customers a group's suggestions went to (each customer once, as
# of their latest suggestion in it), and what was given as a share of it.
CUSTOMER_COLUMNS = ("residual_clv", "spend_share_of_residual_clv")


def _frame(records: Iterable[dict[str, str]], now: datetime) -> pd.DataFrame:
    frame = pd.DataFrame(list(records), columns=[
        "helpdesk", "account", "ticket_id", "created_at", "tier", "instrument", "currency", "suggested_amount",
        "outcome", "given_amount", "customer", "residual_clv", "cost_share",
    ])
    # Amounts are bounded where they enter (rules and outcomes); one stored before that was is counted
    # at the bound, so that no sum of them can overflow to infinity. Records stored before the report
    # knew the customer and the cost share count as nobody's and as costing nothing.
    for amount in ("suggested_amount", "given_amount", "residual_clv"):
        frame[amount] = pd.to_numeric(frame[amount]).clip(0.0, MAX_AMOUNT).fillna(0.0)
    frame["cost_share"] = pd.to_numeric(frame["cost_share"]).clip(0.0, 1.0).fillna(0.0)
    frame["customer"] = frame["customer"].fillna("")
    frame["month"] = frame["created_at"].str[:7]
    decided = frame["outcome"].notna()
    frame["suggestions"] = 1
    frame["outcomes"] = decided.astype(int)
    for name in OUTCOMES:
        frame[name] = (frame["outcome"] == name).astype(int)
    frame["suggested_amount_with_outcome"] = frame["suggested_amount"].where(decided, 0.0)
    frame["counted_amount"] = _counted(frame, decided, now)
    frame["pending_amount"] = frame["counted_amount"].where(~decided, 0.0)
    frame["cost"] = frame["given_amount"] * frame["cost_share"]  # what the company bore for what it gave
    return frame


def _counted(frame: pd.DataFrame, decided: pd.Series, now: datetime) -> pd.Series:
    """What each suggestion uses of its customer's budget at `now`, as the spending ledger counts it: a
    suggestion a newer one of its ticket replaced before any outcome was recorded counts nothing."""
    created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    latest = created == created.groupby([frame["helpdesk"], frame["account"], frame["ticket_id"]]).transform("max")
    ages = (pd.Timestamp(now) - created).dt.total_seconds().to_numpy()
    counted = counted_amounts(frame["outcome"], frame["suggested_amount"].to_numpy(), frame["given_amount"].to_numpy(), ages)
    return pd.Series(counted, index=frame.index).where(decided | latest, 0.0)


def _grouped(frame: pd.DataFrame, keys: list[str]) -> list[dict]:
    if frame.empty:
        return []
    sums = frame.groupby(keys, sort=True)[list(REPORT_COLUMNS)].sum()
    known = frame[frame["customer"] != ""].sort_values("created_at")
    sums["residual_clv"] = known.groupby([*keys, "customer"])["residual_clv"].last().groupby(level=keys).sum()
    sums["residual_clv"] = sums["residual_clv"].fillna(0.0)
    share = sums["given_amount"] / sums["residual_clv"].where(sums["residual_clv"] > 0)
    sums["spend_share_of_residual_clv"] = share.round(6).astype(object).where(share.notna(), None)
    return [_plain(row) for row in sums.reset_index().to_dict("records")]


MONEY_COLUMNS = frozenset({"suggested_amount", "suggested_amount_with_outcome", "given_amount", "pending_amount",
                           "counted_amount", "cost", "residual_clv"})


def _plain(row: dict) -> dict:
    """numpy scalars to JSON's ints and floats, amounts to cents."""
    def plain(key, value):
        if key in MONEY_COLUMNS:
            return round(float(value), 2)
        if key in REPORT_COLUMNS:
            return int(value)
        if key == "spend_share_of_residual_clv":
            return None if value is None else float(value)
        return value
    return {key: plain(key, value) for key, value in row.items()}


def outcome_report(records: Iterable[dict[str, str]], start: date, end: date, now: datetime | None = None,
                   customer_equity: float | None = None) -> dict:
    """Suggestions and their outcomes in total, by tier, by instrument and by month (each per currency). At
    `now` (default: the present), `counted_amount` is what the rolling budgets count of them: `given_amount`
    plus `pending_amount`, the offers without an outcome yet that are still held. `customer_equity`, the
    CLV fit's (None without one), is set beside the totals with what was given as a share of it."""
    frame = _frame(records, now or datetime.now(timezone.utc))
    totals = _grouped(frame, ["currency"])
    if customer_equity is not None:
        for row in totals:
            row["customer_equity"] = round(customer_equity, 2)
            row["spend_share_of_customer_equity"] = round(row["given_amount"] / customer_equity, 6) if customer_equity > 0 else None
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "totals": totals,
        "by_tier": _grouped(frame, ["tier", "currency"]),
        "by_instrument": _grouped(frame, ["instrument", "currency"]),
        "by_month": _grouped(frame, ["month", "currency"]),
    }


def outcome_report_csv(records: Iterable[dict[str, str]], now: datetime | None = None) -> str:
    """One row per tier and instrument (and currency): the finest grain, for a spreadsheet to pivot."""
    keys = ["tier", "instrument", "currency"]
    rows = _grouped(_frame(records, now or datetime.now(timezone.utc)), keys)
    return pd.DataFrame(rows, columns=[*keys, *REPORT_COLUMNS, *CUSTOMER_COLUMNS]).to_csv(index=False, float_format="%.2f")
