"""Published rule versions: immutable, numbered, with history, diff and rollback; workers read the
current one per job."""

from __future__ import annotations

import pytest

from clvdesk.rule_store import RuleStore, UnknownVersion, diff
from clvdesk.rules import RuleSet, load_rules

DEFAULTS = load_rules()


def with_cap(cap: float) -> RuleSet:
    data = DEFAULTS.model_dump()
    data["tiers"][0]["max_amount"] = cap
    return RuleSet.model_validate(data)


def test_defaults_until_a_first_publish(redis):
    store = RuleStore(redis)
    assert store.current() == DEFAULTS and store.current_number() is None and store.history() == []


def test_each_publish_is_a_new_version_with_author_and_comment(redis):
    store = RuleStore(redis)
    first = store.publish(with_cap(200), author="mia", comment="tighter champions")
    second = store.publish(with_cap(300), author="ole", comment="looser")
    assert (first.number, second.number) == (1, 2)
    assert store.current().version == "v2" and store.current().tiers[0].max_amount == 300
    assert [(v.number, v.author, v.comment) for v in store.history()] == [(2, "ole", "looser"), (1, "mia", "tighter champions")]
    assert store.version(1).rules.tiers[0].max_amount == 200  # older versions stay as they were


def test_a_second_store_sees_a_publish_on_its_next_read(redis):
    worker, admin = RuleStore(redis), RuleStore(redis)
    assert worker.current().version == DEFAULTS.version
    admin.publish(with_cap(120), author="mia", comment="")
    assert worker.current().version == "v1" and worker.current().tiers[0].max_amount == 120


def test_rollback_publishes_the_old_rules_again(redis):
    store = RuleStore(redis)
    store.publish(with_cap(200), author="mia", comment="")
    store.publish(with_cap(20), author="mia", comment="oops")
    back = store.rollback(1, author="ole")
    assert (back.number, back.rolled_back_from, back.comment) == (3, 1, "Rollback to v1")
    assert store.current().tiers[0].max_amount == 200 and len(store.history()) == 3
    with pytest.raises(UnknownVersion):
        store.rollback(9, author="ole")


def test_diff_names_each_changed_value_by_its_path():
    data = DEFAULTS.model_dump()
    data["tiers"][2]["max_amount"] = 12
    data["tiers"][0]["instruments"] = ["store_credit"]
    changes = diff(DEFAULTS, RuleSet.model_validate(data))
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("tiers[0].instruments", ["partial_refund", "store_credit"], ["store_credit"]),
        ("tiers[2].max_amount", 10.0, 12.0),
    ]
