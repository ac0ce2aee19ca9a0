"""Each customer's appeasements in Redis: what the rolling budget and the abuse guard count.

A worker decides on the usage it expects, then records the offer only if the usage is still that
(one Lua script, so atomic); otherwise the script answers with the actual usage and the worker
decides again. Two tickets handled at the same moment therefore cannot both spend the same
budget. Recording is keyed by event, so a retried job replaces its own entry instead of adding one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis import Redis

from clvdesk.analysis import Sentiment
from clvdesk.customers import CustomerValue
from clvdesk.defaults import KEY_PREFIX, RULES_SPEND_ATTEMPTS
from clvdesk.rules import Decision, RuleSet, Tier, Usage, classify, decide

DAY_SECONDS = 86_400

# KEYS: the customer's zset (event → time), hash (event → cents).
# ARGV: now, budget window s, abuse window s, event, expected cents, expected count, cents to record.
# Records only if the usage is as expected. Returns {cents spent, appeasements, recorded 0/1}, both
# excluding `event`.
_LEDGER = """
local now = tonumber(ARGV[1])
local keep = math.max(tonumber(ARGV[2]), tonumber(ARGV[3]))
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - keep))) do
  redis.call('HDEL', KEYS[2], old)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - keep))
local cents, count = 0, 0
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], now - keep, '+inf', 'WITHSCORES')
for i = 1, #entries, 2 do
  local event, at = entries[i], tonumber(entries[i + 1])
  if event ~= ARGV[4] then
    if tonumber(ARGV[2]) > 0 and at >= now - tonumber(ARGV[2]) then cents = cents + tonumber(redis.call('HGET', KEYS[2], event) or '0') end
    if tonumber(ARGV[3]) > 0 and at >= now - tonumber(ARGV[3]) then count = count + 1 end
  end
end
if cents ~= tonumber(ARGV[5]) or count ~= tonumber(ARGV[6]) then return {cents, count, 0} end
if tonumber(ARGV[7]) > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[7])
  redis.call('EXPIRE', KEYS[1], keep)
  redis.call('EXPIRE', KEYS[2], keep)
else
  redis.call('ZREM', KEYS[1], ARGV[4])
  redis.call('HDEL', KEYS[2], ARGV[4])
end
return {cents, count, 1}
"""


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
        self._prefix = f"{prefix}:spend"
        self._script = redis.register_script(_LEDGER)

    def _keys(self, identity: str) -> list[str]:
        return [f"{self._prefix}:{identity}:at", f"{self._prefix}:{identity}:cents"]

    def record(
        self, identity: str, windows: Windows, *, event: str, now: float, seen: Usage, amount: float
    ) -> tuple[bool, Usage]:
        """Record `event`'s offer if the usage is still `seen`: (True, seen); else nothing is recorded
        and the answer is (False, the usage as it is)."""
        args = [now, windows.budget, windows.abuse, event, _cents(seen.spent), seen.appeasements, _cents(amount)]
        cents, count, recorded = self._script(keys=self._keys(identity), args=args)
        return bool(recorded), Usage(spent=cents / 100, appeasements=count)

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

        A ticket counts once however many comments it gets: each new decision replaces its entry.
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
            recorded, usage = self.record(identity, windows, event=ticket, now=stamp, seen=usage, amount=decision.offer.amount)
            if recorded:
                return decision
        raise SpendingContention(f"{RULES_SPEND_ATTEMPTS} attempts lost to other tickets of the same customer")


def _cents(amount: float) -> int:
    return int(round(amount * 100))
