"""Each customer's appeasements in Redis: what the rolling budget and the abuse guard count.

They count what customers received, not what was suggested: an amount an agent recorded as applied or
changed (`settle`, from the outcome API) counts; a declined one counts nothing; a suggestion with no
outcome yet counts as pending for PENDING_OFFER_HOLD_SECONDS, then is released. `counted_amount` is
that rule for one suggestion; the simulation and the outcome report use it, and this ledger stores
its result (the offer while pending, the amount given once settled).

A worker decides on the usage it expects, then records the offer only if the usage is still that
(one Lua script, so atomic); otherwise the script answers with the actual usage and the worker
decides again. Two tickets handled at the same moment therefore cannot both spend the same
budget. A ticket's pending entry is keyed by ticket, so a retried job or a new comment replaces it
instead of adding one; an outcome turns it into an entry of its suggestion, which recording again
replaces (it counts once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from redis import Redis
from redis.client import Pipeline

from clvdesk.analysis import Sentiment
from clvdesk.customers import CustomerValue
from clvdesk.defaults import KEY_PREFIX, PENDING_OFFER_HOLD_SECONDS, RULES_SPEND_ATTEMPTS
from clvdesk.rules import Decision, RuleSet, Tier, Usage, classify, decide

DAY_SECONDS = 86_400

# KEYS: the customer's zset (entry → suggestion time), hash (entry → cents), set (pending entries), and
# the ticket's hash (identity, keep: whose ledger it counts in, for how long).
# ARGV: now, budget window s, abuse window s, the ticket's entry, expected cents, expected count, cents to
# record, pending hold s, identity. Pending entries older than the hold are released (removed). Records
# the ticket's offer as pending only if the usage is as expected. Returns {cents spent, appeasements,
# recorded 0/1}, both excluding the ticket's own pending entry.
_LEDGER = """
local now, budget, abuse, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[8])
local keep = math.max(budget, abuse)
local function forget(entry)
  redis.call('ZREM', KEYS[1], entry)
  redis.call('HDEL', KEYS[2], entry)
  redis.call('SREM', KEYS[3], entry)
end
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - keep))) do forget(old) end
local cents, count = 0, 0
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], now - keep, '+inf', 'WITHSCORES')
for i = 1, #entries, 2 do
  local entry, at = entries[i], tonumber(entries[i + 1])
  if entry ~= ARGV[4] then
    if at <= now - hold and redis.call('SISMEMBER', KEYS[3], entry) == 1 then
      forget(entry)
    else
      if budget > 0 and at >= now - budget then cents = cents + tonumber(redis.call('HGET', KEYS[2], entry) or '0') end
      if abuse > 0 and at >= now - abuse then count = count + 1 end
    end
  end
end
if cents ~= tonumber(ARGV[5]) or count ~= tonumber(ARGV[6]) then return {cents, count, 0} end
if tonumber(ARGV[7]) > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[7])
  redis.call('SADD', KEYS[3], ARGV[4])
else
  forget(ARGV[4])
end
redis.call('HSET', KEYS[4], 'identity', ARGV[9], 'keep', keep)
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, keep) end
return {cents, count, 1}
"""

# KEYS: the ticket's hash, the customer's zset, hash and set (as above). ARGV: identity, the ticket's
# pending entry, the suggestion's entry, cents given, the suggestion's time. Replaces the ticket's
# pending entry (and any earlier outcome of the suggestion) by what was given; 0 when the ticket's
# ledger is no longer `identity`'s (nothing changed).
_SETTLE = """
if redis.call('HGET', KEYS[1], 'identity') ~= ARGV[1] then return 0 end
local keep = redis.call('HGET', KEYS[1], 'keep')
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('SREM', KEYS[4], ARGV[2])
if tonumber(ARGV[4]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[2], keep)
  redis.call('EXPIRE', KEYS[3], keep)
else
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1
"""


def given_amount(outcome: str, offered, changed):
    """What the customer received by the agent's outcome: the offer applied, the amount it was changed
    to, or nothing. On one suggestion's amounts, or for one outcome on arrays of them."""
    if outcome == "applied":
        return offered
    if outcome == "changed":
        return changed
    if outcome == "declined":
        return 0.0
    raise ValueError(f"no outcome {outcome!r}")


def counted_amount(outcome: str | None, offered, changed, age):
    """What a suggestion uses of its customer's budget `age` seconds after it was made: what was given by
    its outcome, else (none recorded yet) the offer while it is pending. On one suggestion, or for one
    outcome on arrays (numpy) of suggestions."""
    if outcome is None:
        return offered * (age < PENDING_OFFER_HOLD_SECONDS)
    return given_amount(outcome, offered, changed)


def counted_amounts(outcomes: pd.Series, offered: np.ndarray, changed: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """`counted_amount` of many suggestions (`outcomes`: each one's name, NaN or None where none is
    recorded), one call per outcome: for the simulation and the report."""
    names = pd.Categorical(outcomes)
    counted = np.zeros(len(names))
    for name, rows in [(None, names.isna()), *((name, names == name) for name in names.categories)]:
        counted[rows] = counted_amount(name, offered[rows], changed[rows], ages[rows])
    return counted


class SpendingContention(RuntimeError):
    """Other tickets of the customer kept spending first; the job is retried."""


@dataclass(frozen=True)
class Windows:
    """How far back a tier's rolling budget and abuse guard look, in seconds (0: not at all)."""

    budget: int
    abuse: int

    @classmethod
    def of(cls, tier: Tier) -> Windows:
        return cls(
            budget=tier.rolling_budget.days * DAY_SECONDS if tier.rolling_budget else 0,
            abuse=tier.abuse_guard.days * DAY_SECONDS if tier.abuse_guard else 0,
        )


class SpendingLedger:
    """Appeasements per customer identity (customer id, else email) with their time and face value."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:spend"
        self._script = redis.register_script(_LEDGER)
        self._settle = redis.register_script(_SETTLE)

    def _keys(self, identity: str) -> list[str]:
        return [f"{self._prefix}:{identity}:at", f"{self._prefix}:{identity}:cents", f"{self._prefix}:{identity}:pending"]

    def _ticket_key(self, ticket: str) -> str:
        return f"{self._prefix}-ticket:{ticket}"

    def record(
        self, identity: str, windows: Windows, *, ticket: str, now: float, seen: Usage, amount: float
    ) -> tuple[bool, Usage]:
        """Record `ticket`'s offer as pending if the usage is still `seen`: (True, seen); else nothing
        is recorded and the answer is (False, the usage as it is)."""
        args = [now, windows.budget, windows.abuse, ticket, _cents(seen.spent), seen.appeasements,
                _cents(counted_amount(None, amount, None, 0)), PENDING_OFFER_HOLD_SECONDS, identity]
        cents, count, recorded = self._script(keys=[*self._keys(identity), self._ticket_key(ticket)], args=args)
        return bool(recorded), Usage(spent=cents / 100, appeasements=count)

    def usage(self, identity: str, windows: Windows, now: datetime) -> Usage:
        """What the customer's budget and guard count at `now` (the script's answer to a usage no one can expect)."""
        return self.record(identity, windows, ticket="", now=now.timestamp(), seen=Usage(spent=-1), amount=0)[1]

    def settle(self, pipe: Pipeline, ticket: str, event: str, given: float, made_at: datetime) -> None:
        """Queue on `pipe` (the caller's transaction, which stores the outcome) replacing `ticket`'s pending
        offer by what the agent gave for its suggestion of `event` (made at `made_at`). Nothing is queued
        when the ticket counts in no ledger (no identity, a tier without guardrails, older than every window)."""
        identity = self._redis.hget(self._ticket_key(ticket), "identity")
        if identity is None:
            return
        keys = [self._ticket_key(ticket), *self._keys(identity.decode())]
        entry = f"given:{ticket}:{event}"  # never a ticket's own entry, which starts with its helpdesk
        self._settle(keys=keys, args=[identity, ticket, entry, _cents(given), made_at.timestamp()], client=pipe)

    def decide(
        self,
        rules: RuleSet,
        customer: CustomerValue | None,
        sentiment: Sentiment,
        *,
        identity: str | None,
        ticket: str,
        now: datetime,
    ) -> Decision:
        """Decide on the customer's usage and record the offer, atomically against their other tickets.

        A ticket counts once however many comments it gets: each new decision replaces its pending
        entry (what agents gave for its earlier suggestions stays counted).
        Without an identity, or when the tier has no guardrail, there is nothing to count.
        The first decision assumes nothing spent yet, so the usual customer costs one round trip:
        a refused record answers with the actual usage, and the decision is made again on it.
        """
        windows = Windows.of(classify(rules, customer)[0])
        if not identity or not (windows.budget or windows.abuse):
            return decide(rules, customer, sentiment)
        stamp = now.timestamp()
        usage = Usage(spent=0.0, appeasements=0)
        for _ in range(RULES_SPEND_ATTEMPTS):
            decision = decide(rules, customer, sentiment, usage)
            recorded, usage = self.record(identity, windows, ticket=ticket, now=stamp, seen=usage, amount=decision.offer.amount)
            if recorded:
                return decision
        raise SpendingContention(f"{RULES_SPEND_ATTEMPTS} attempts lost to other tickets of the same customer")


def _cents(amount: float) -> int:
    return int(round(amount * 100))
