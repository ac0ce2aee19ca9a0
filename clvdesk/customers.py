"""The customer store: each customer's value, looked up by email or id, replaced whole and atomically.

An import writes a complete new version beside the current one and then switches a pointer, so a
lookup sees either the old store or the new one, never half of each.
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from redis import Redis

from clvdesk.defaults import CUSTOMER_IMPORT_BATCH, KEY_PREFIX

REQUIRED_COLUMNS = ("email", "residual_clv", "historical_spend")
OPTIONAL_COLUMNS = ("tier", "customer_id")
MAX_REPORTED_ERRORS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
log = logging.getLogger("clvdesk.customers")


def normalise_email(email: str) -> str:
    return email.strip().casefold()


class CustomerValue(BaseModel):
    """What clvdesk knows of a customer's worth. residual_clv is future margin still to come."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)  # a NaN is refused on the way in and on the way out

    email: str | None = None
    customer_id: str | None = None
    residual_clv: float
    historical_spend: float
    tier: str | None = None
    # Written by the CLV engine (`clvdesk clv fit`); absent for customers imported from a file.
    total_clv: float | None = None  # margin on historical spend + residual_clv
    p_alive: float | None = None  # probability the customer is still active
    expected_purchases_1y: float | None = None  # purchases expected in the next 365 days
    expected_spend: float | None = None  # expected amount of one future order
    segment: str | None = None  # clvdesk.clv.segments.SEGMENTS
    value_tier: str | None = None  # top, high, medium or low by residual CLV
    # The history the values above come from, at the fit's instant (time unit of the stored model): with
    # them a lookup recomputes P(alive) and residual CLV as of the ticket (clvdesk.clv.fresh).
    frequency: float | None = None  # repeat purchases
    recency: float | None = None  # first to last purchase
    T: float | None = None  # first purchase to the fit's instant
    values_as_of: datetime | None = None  # set by a lookup that recomputed the values for that instant

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value else None


class CorruptCustomerRecord(ValueError):
    """A record in the store is not a valid CustomerValue (not JSON, a field missing, a number not finite)."""


def parse_record(raw: bytes, key: str) -> CustomerValue:
    """The stored record found for `key`, or CorruptCustomerRecord saying what is wrong with it."""
    try:
        return CustomerValue.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, error['loc'])) or 'record'}: {error['msg']}" for error in exc.errors()[:3])
        raise CorruptCustomerRecord(
            f"the stored record for {key!r} is corrupt ({problems}); reload the store with `clvdesk clv fit` or `clvdesk customers import`"
        ) from None


class CustomerImportError(ValueError):
    """The file cannot be loaded; the message names each bad line (1 = the header)."""


def read_customer_csv(path: str | Path, *, tiers: Sequence[str] = ()) -> list[CustomerValue]:
    """Parse and check a customer file completely before anything is stored."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise CustomerImportError(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise CustomerImportError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CustomerImportError(f"{path}: not a readable CSV file ({exc})") from None

    frame.columns = [str(column).strip().lower() for column in frame.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise CustomerImportError(f"{path}: missing column(s) {', '.join(missing)}; the header has {', '.join(frame.columns)}")
    if frame.empty:
        raise CustomerImportError(f"{path}: no customer rows below the header")

    errors: list[str] = []
    customers: list[CustomerValue] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(frame.to_dict("records")):
        line = offset + 2  # the header is line 1
        problem, customer = _parse_row(row, tiers)
        if customer is not None and customer.email in seen:
            problem = f"email {customer.email} repeats line {seen[customer.email]}"
        if problem:
            errors.append(f"line {line}: {problem}")
            continue
        seen[customer.email] = line
        customers.append(customer)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        raise CustomerImportError(f"{path}: nothing imported; " + "; ".join(shown) + more)
    return customers


def _parse_row(row: dict[str, str], tiers: Sequence[str]) -> tuple[str | None, CustomerValue | None]:
    email = row["email"].strip()
    if not _EMAIL.match(email):
        return f"email {email!r} is not an email address", None
    amounts = {}
    for column in ("residual_clv", "historical_spend"):
        text = row[column].strip()
        try:
            amounts[column] = float(text)
        except ValueError:
            return f"{column} {text!r} is not a number", None
        if not math.isfinite(amounts[column]):
            return f"{column} {text!r} is not a finite number", None
    tier = row.get("tier", "").strip() or None
    if tier and tiers and tier not in tiers:
        return f"tier {tier!r} is not one of {', '.join(tiers)}", None
    customer_id = row.get("customer_id", "").strip() or None
    return None, CustomerValue(email=email, customer_id=customer_id, tier=tier, **amounts)


# Resolve the current version and read from it in one atomic step. ARGV: the key prefix, then
# (index, value) pairs in order of preference; returns the version and the first record found.
_FIND = """
local version = redis.call('GET', KEYS[1])
if not version then return false end
for i = 2, #ARGV, 2 do
  local found = redis.call('HGET', ARGV[1] .. version .. ':' .. ARGV[i], ARGV[i + 1])
  if found then return {version, found} end
end
return false
"""
VALUATION_INDEX = "valuation"  # beside the email and id hashes of a version: the JSON of clvdesk.clv.fresh.Valuation


class CustomerStore:
    """Customers in Redis: one hash by email and one by customer id, per version, and for a version the CLV
    engine loaded, the valuation its values came from (switched with the customers, so they always match)."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._base = f"{prefix}:customers"
        self._find = redis.register_script(_FIND)
        self._valuations: dict[bytes, object] = {}  # version → its parsed Valuation (or None): read once per version

    @property
    def _current_key(self) -> str:
        return f"{self._base}:current"

    def _hash(self, version: str, index: str) -> str:
        return f"{self._base}:{version}:{index}"

    def find(self, *, email: str | None = None, customer_id: str | None = None, as_of: datetime | None = None) -> CustomerValue | None:
        """Look a customer up by email first, then by id (one round trip); None when the store has neither,
        CorruptCustomerRecord when the record found is not a valid one. With `as_of`, a customer the CLV
        engine scored gets P(alive), residual and total CLV and expected purchases recomputed for that
        instant (values_as_of says so); others come as stored."""
        wanted = [part for index, value in (("email", email and normalise_email(email)), ("id", customer_id))
                  if value for part in (index, value)]
        if not wanted:
            return None
        found = self._find(keys=[self._current_key], args=[f"{self._base}:", *wanted])
        if not found:
            return None
        version, raw = found
        customer = parse_record(raw, " or ".join(wanted[1::2]))
        if as_of is None or customer.T is None or customer.expected_spend is None:
            return customer
        valuation = self.valuation(version)
        if valuation is None:
            return customer
        fresh = valuation.values_at(as_of, frequency=customer.frequency, recency=customer.recency, T=customer.T,
                                    expected_spend=customer.expected_spend, historical_spend=customer.historical_spend)
        values = fresh.__dict__
        if not all(map(math.isfinite, values.values())):  # never served: the fit's own (checked) values stand
            log.warning("values of %s as of %s are not finite: served as of the fit", " or ".join(wanted[1::2]), as_of.isoformat())
            return customer
        return customer.model_copy(update={**values, "values_as_of": as_of})

    def valuation(self, version: bytes | None = None):
        """The clvdesk.clv.fresh.Valuation of `version` (default: the current one), or None where the
        customers were imported from a file."""
        version = version or self._redis.get(self._current_key)
        if not version:
            return None
        if version not in self._valuations:
            from clvdesk.clv.fresh import Valuation  # scipy and the models: only where a valuation is stored

            text = self._redis.get(self._hash(version.decode(), VALUATION_INDEX))
            self._valuations = {version: Valuation.from_json(text) if text else None}  # only the current version is kept
        return self._valuations[version]

    def find_many(self, keys: Sequence[str]) -> dict[str, CustomerValue]:
        """Each key (an email or a customer id) that is in the store, looked up in batches: for the
        simulation, which reads thousands at once. An import finishing meanwhile may hide some; a corrupt
        record is left out (the customer counts as unknown) with a warning."""
        version = self._redis.get(self._current_key)
        if not version or not keys:
            return {}
        found: dict[str, CustomerValue] = {}
        for index, lookup in (("email", normalise_email), ("id", str)):
            missing = [key for key in keys if key not in found]
            for start in range(0, len(missing), CUSTOMER_IMPORT_BATCH):
                batch = missing[start : start + CUSTOMER_IMPORT_BATCH]
                raws = self._redis.hmget(self._hash(version.decode(), index), [lookup(key) for key in batch])
                for key, raw in zip(batch, raws):
                    if raw:
                        try:
                            found[key] = parse_record(raw, key)
                        except CorruptCustomerRecord as exc:
                            log.warning("%s: counted as an unknown customer", exc)
        return found

    def count(self) -> int:
        """Customers in the current version (a store loaded from ids alone has no email index)."""
        version = self._redis.get(self._current_key)
        if not version:
            return 0
        return max(self._redis.hlen(self._hash(version.decode(), index)) for index in ("email", "id"))

    def replace_all(self, customers: Iterable[CustomerValue]) -> int:
        """Load a complete new version, then switch to it; the old version is dropped afterwards."""
        return self.replace_records((c.email, c.customer_id, c.model_dump_json()) for c in customers)

    def replace_records(
        self, records: Iterable[tuple[str | None, str | None, str]], *, progress: Callable[[int], None] | None = None,
        valuation: str | None = None,
    ) -> int:
        """replace_all for records already serialised: (normalised email, customer id, CustomerValue JSON).

        Each batch goes to Redis as one HSET per index; `progress` hears how many records are loaded;
        `valuation` (a Valuation's JSON) is stored with the version, for values at lookup time.
        """
        version = uuid.uuid4().hex
        versions_key = f"{self._base}:versions"
        self._redis.sadd(versions_key, version)
        count = 0
        by_email: dict[str, str] = {}
        by_id: dict[str, str] = {}
        try:
            for count, (email, customer_id, record) in enumerate(records, start=1):
                if email:
                    by_email[email] = record
                if customer_id:
                    by_id[customer_id] = record
                if count % CUSTOMER_IMPORT_BATCH == 0:
                    self._write(version, by_email, by_id)
                    if progress:
                        progress(count)
            self._write(version, by_email, by_id)
            if valuation is not None:
                self._redis.set(self._hash(version, VALUATION_INDEX), valuation)
            self._redis.set(self._current_key, version)
        except BaseException:
            self._drop(version)
            raise
        for old in self._redis.smembers(versions_key):
            if old.decode() != version:
                self._drop(old.decode())
        return count

    def _write(self, version: str, by_email: dict[str, str], by_id: dict[str, str]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for index, mapping in (("email", by_email), ("id", by_id)):
            if mapping:
                pipe.hset(self._hash(version, index), mapping=mapping)
        pipe.execute()
        by_email.clear()
        by_id.clear()

    def _drop(self, version: str) -> None:
        self._redis.unlink(self._hash(version, "email"), self._hash(version, "id"), self._hash(version, VALUATION_INDEX))
        self._redis.srem(f"{self._base}:versions", version)


# --- customers fed by a shop's orders (clvdesk.shop) --------------------------------------------------------
#
# Beside the versions: each shop customer's ledger (a hash: `doc`, the ledger's JSON, and `rev`, bumped by
# every change), which ledger each order belongs to, and the store's currency. A change is computed from a
# snapshot and committed by _COMMIT only if neither the ledger nor the current version moved meanwhile, so
# the ledger and the customer's record change together, in one atomic step, or not at all.

# KEYS: current pointer, ledger, order owners, currency, versions set. ARGV: snapshot version ('' none), snapshot
# rev, ledger JSON ('' deletes the ledger), record JSON ('' deletes the record), email, id, old email, old id,
# a version to create when there is none, currency ('' none), the key prefix, then the ledger's order keys.
_COMMIT = """
local version = redis.call('GET', KEYS[1]) or ''
if version ~= ARGV[1] then return 'conflict' end
if (redis.call('HGET', KEYS[2], 'rev') or '0') ~= ARGV[2] then return 'conflict' end
if ARGV[10] ~= '' then
  local currency = redis.call('GET', KEYS[4])
  if currency and currency ~= ARGV[10] then return 'currency:' .. currency end
  if not currency then redis.call('SET', KEYS[4], ARGV[10]) end
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('HSET', KEYS[2], 'doc', ARGV[3], 'rev', tostring(tonumber(ARGV[2]) + 1))
end
for i = 12, #ARGV do
  if ARGV[3] == '' then redis.call('HDEL', KEYS[3], ARGV[i]) else redis.call('HSET', KEYS[3], ARGV[i], KEYS[2]) end
end
if version == '' then
  if ARGV[4] == '' then return 'ok' end
  version = ARGV[9]
  redis.call('SADD', KEYS[5], version)
  redis.call('SET', KEYS[1], version)
end
local by_email, by_id = ARGV[11] .. version .. ':email', ARGV[11] .. version .. ':id'
for _, pair in ipairs({{by_email, ARGV[7], ARGV[5]}, {by_id, ARGV[8], ARGV[6]}}) do
  if pair[2] ~= '' and pair[2] ~= pair[3] then redis.call('HDEL', pair[1], pair[2]) end
  if pair[3] ~= '' then
    if ARGV[4] == '' then redis.call('HDEL', pair[1], pair[3]) else redis.call('HSET', pair[1], pair[3], ARGV[4]) end
  end
end
return 'ok'
"""


class StoreConflict(Exception):
    """Another change of the same customer (or a new version of the store) came between read and commit."""


class CurrencyMismatch(ValueError):
    """An order in another currency than the store's: one store holds one currency."""


class LedgerSnapshot(BaseModel):
    """What a shop change is computed from: the current version, the customer's ledger and record."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    version: str | None
    rev: str
    ledger: str | None  # the ledger's JSON
    record: CustomerValue | None


class ShopLedgers:
    """The customer store's side that the shops write: per customer, their ledger and record, together."""

    def __init__(self, store: CustomerStore):
        self.store = store
        self._redis = store._redis
        self._base = f"{store._base}:ledger"
        self._owners = f"{store._base}:ledger-owners"
        self._currency = f"{store._base}:currency"
        self._commit = self._redis.register_script(_COMMIT)

    def key(self, customer: str) -> str:
        return f"{self._base}:{customer}"

    def owner(self, order: str) -> str | None:
        """The customer key whose ledger holds `order` (platform:order id), if any."""
        found = self._redis.hget(self._owners, order)
        return found.decode().removeprefix(self._base + ":") if found else None

    def currency(self) -> str | None:
        found = self._redis.get(self._currency)
        return found.decode() if found else None

    def snapshot(self, customer: str, *, email: str | None, customer_id: str | None) -> LedgerSnapshot:
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self.store._current_key)
        pipe.hmget(self.key(customer), "rev", "doc")
        version_raw, (rev, doc) = pipe.execute()
        version = version_raw.decode() if version_raw else None
        record = None
        if version:
            for index, value in (("id", customer_id), ("email", email and normalise_email(email))):
                raw = self._redis.hget(self.store._hash(version, index), value) if value else None
                if raw:
                    try:
                        record = parse_record(raw, value)
                    except CorruptCustomerRecord as exc:
                        log.warning("%s: replaced from the shop's orders", exc)
                    break
        return LedgerSnapshot(version=version, rev=(rev or b"0").decode(), ledger=doc.decode() if doc else None, record=record)

    def commit(self, customer: str, snapshot: LedgerSnapshot, *, ledger: str | None, record: CustomerValue | None,
               orders: Sequence[str], currency: str | None = None, old: CustomerValue | None = None) -> None:
        """Write the ledger (None deletes it) and the record (None deletes it, under its email and id and
        under `old`'s where they changed) at once; StoreConflict if the snapshot is stale, CurrencyMismatch
        for a currency other than the store's."""
        old = old or snapshot.record
        target = record or old
        result = self._commit(
            keys=[self.store._current_key, self.key(customer), self._owners, self._currency, f"{self.store._base}:versions"],
            args=[snapshot.version or "", snapshot.rev, ledger or "", record.model_dump_json() if record else "",
                  (target.email if target else None) or "", (target.customer_id if target else None) or "",
                  (old.email if old else None) or "", (old.customer_id if old else None) or "",
                  uuid.uuid4().hex, currency or "", f"{self.store._base}:", *orders],
        ).decode()
        if result == "conflict":
            raise StoreConflict(customer)
        if result.startswith("currency:"):
            raise CurrencyMismatch(f"the order is in {currency}, the customer store in {result.removeprefix('currency:')}: "
                                   "one store holds one currency; the order is not counted")

    def clear(self) -> int:
        """Forget every ledger (after a fit on the shop's whole history, which holds what they held)."""
        keys = list(self._redis.scan_iter(match=f"{self._base}:*", count=1000))
        for start in range(0, len(keys), CUSTOMER_IMPORT_BATCH):
            self._redis.unlink(*keys[start:start + CUSTOMER_IMPORT_BATCH])
        self._redis.unlink(self._owners)
        return len(keys)

    def customers(self) -> Iterable[str]:
        """Every customer key that has a ledger."""
        for key in self._redis.scan_iter(match=f"{self._base}:*", count=1000):
            yield key.decode().removeprefix(self._base + ":")

    def sample(self, count: int) -> tuple[str | None, list[CustomerValue]]:
        """The current version and up to `count` of its customers drawn at random (for population cutoffs)."""
        version = self._redis.get(self.store._current_key)
        if not version:
            return None, []
        for index in ("email", "id"):
            drawn = self._redis.hrandfield(self.store._hash(version.decode(), index), count, withvalues=True)
            if drawn:
                values = []
                for raw in drawn[1::2]:
                    try:
                        values.append(parse_record(raw, "a sampled customer"))
                    except CorruptCustomerRecord:
                        continue
                return version.decode(), values
        return version.decode(), []
