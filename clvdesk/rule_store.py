"""Published tier rules: immutable numbered versions with author, time and comment, and a pointer to
the current one. Rolling back publishes an old version's rules again, so history only grows.

Workers read the pointer once per job, in the same round trip as the job's other first reads
(`current_and`); the rules are parsed once per version and cached in the process. With nothing
published, the rules shipped with clvdesk are current.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict
from redis import Redis

from clvdesk.defaults import KEY_PREFIX, RULES_HISTORY_LIMIT
from clvdesk.rules import RuleSet, load_rules

# KEYS: sequence, versions hash, current pointer. ARGV: the version record's JSON (without its number,
# which is the hash field). Numbers, stores and points to the new version in one step.
_PUBLISH = """
local n = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], n, ARGV[1])
redis.call('SET', KEYS[3], n)
return n
"""


class RuleVersion(BaseModel):
    """One published version of the rules; `rules.version` is `v<number>`."""

    model_config = ConfigDict(frozen=True)

    number: int
    author: str
    comment: str
    published_at: datetime
    rolled_back_from: int | None = None  # the version whose rules were published again
    shipped: bool = False  # the rules shipped with clvdesk, published again
    rules: RuleSet


SHIPPED_COMMENT = "Restored the rules shipped with clvdesk"


class Change(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    before: object = None
    after: object = None


class UnknownVersion(LookupError):
    """No version with that number was published."""


class RuleStore:
    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._keys = [f"{prefix}:rules:seq", f"{prefix}:rules:versions", f"{prefix}:rules:current"]
        self._publish = redis.register_script(_PUBLISH)
        self._cache: dict[bytes, RuleSet] = {}
        self._default: RuleSet | None = None

    def current(self) -> RuleSet:
        """The published rules in force (the shipped defaults until a first publish)."""
        return self._in_force(self._redis.get(self._keys[2]))

    def current_and(self, *keys: str) -> tuple[RuleSet, list[bytes | None]]:
        """The rules in force and the values at `keys`, read in one round trip."""
        number, *values = self._redis.mget(self._keys[2], *keys)
        return self._in_force(number), values

    def _in_force(self, number: bytes | None) -> RuleSet:
        if number is None:
            return self.shipped()
        if number not in self._cache:
            self._cache = {number: self.version(int(number)).rules}
        return self._cache[number]

    def current_number(self) -> int | None:
        number = self._redis.get(self._keys[2])
        return int(number) if number else None

    def publish(self, rules: RuleSet, *, author: str, comment: str, rolled_back_from: int | None = None,
                shipped: bool = False) -> RuleVersion:
        record = {
            "author": author,
            "comment": comment,
            "published_at": datetime.now(timezone.utc).isoformat(),
            "rolled_back_from": rolled_back_from,
            "shipped": shipped,
            "rules": rules.model_dump(mode="json"),
        }
        return self.version(int(self._publish(keys=self._keys, args=[json.dumps(record)])))

    def rollback(self, number: int, *, author: str, comment: str = "") -> RuleVersion:
        old = self.version(number)
        return self.publish(old.rules, author=author, comment=comment or f"Rollback to v{number}", rolled_back_from=number)

    def restore_shipped(self, *, author: str, comment: str = "") -> RuleVersion:
        """Publish the rules shipped with clvdesk again, as a new version (history keeps what was before)."""
        return self.publish(self.shipped(), author=author, comment=comment or SHIPPED_COMMENT, shipped=True)

    def shipped(self) -> RuleSet:
        """The rules shipped with clvdesk (in force until a first publish)."""
        self._default = self._default or load_rules()
        return self._default

    def version(self, number: int) -> RuleVersion:
        raw = self._redis.hget(self._keys[1], number)
        if raw is None:
            raise UnknownVersion(f"There is no rules version v{number}.")
        return _version(number, raw)

    def history(self, limit: int = RULES_HISTORY_LIMIT) -> list[RuleVersion]:
        """The newest `limit` versions, newest first."""
        newest = int(self._redis.get(self._keys[0]) or 0)
        numbers = list(range(newest, max(newest - limit, 0), -1))
        raws = self._redis.hmget(self._keys[1], numbers) if numbers else []
        return [_version(number, raw) for number, raw in zip(numbers, raws) if raw]


def _version(number: int, raw: bytes) -> RuleVersion:
    record = json.loads(raw)
    record["rules"]["version"] = f"v{number}"
    return RuleVersion.model_validate({**record, "number": number})


def diff(before: RuleSet, after: RuleSet) -> list[Change]:
    """Every value that differs, with its path as the admin API's errors name it (tiers[2].max_amount)."""
    changes: list[Change] = []
    _walk(before.model_dump(mode="json", exclude={"version"}), after.model_dump(mode="json", exclude={"version"}), "", changes)
    return changes


def _walk(before: object, after: object, path: str, changes: list[Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(k for k in after if k not in before)]:
            _walk(before.get(key), after.get(key), f"{path}.{key}" if path else str(key), changes)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (left, right) in enumerate(zip(before, after)):
            _walk(left, right, f"{path}[{index}]", changes)
    elif before != after:
        changes.append(Change(path=path, before=before, after=after))
