"""The RQ job that applies a shop's change to the customer store (clvdesk.shop.updates)."""

from __future__ import annotations

import logging

from rq import get_current_job

from clvdesk.customers import CurrencyMismatch
from clvdesk.settings import load_settings
from clvdesk.shop.changes import from_job
from clvdesk.shop.updates import ShopUpdater

log = logging.getLogger("clvdesk.shop")
_updaters: dict[int, ShopUpdater] = {}  # one per connection: it keeps the sampled population cutoffs


def apply_shop_change(change: dict) -> dict:
    job = get_current_job()
    updater = _updaters.get(id(job.connection))
    if updater is None:
        updater = _updaters[id(job.connection)] = ShopUpdater(job.connection, exports=load_settings().data_dir / "exports")
    try:
        outcome = updater.apply(from_job(change))
    except (CurrencyMismatch, ValueError) as exc:
        job.retries_left = 0  # the order itself is refused: running it again cannot help
        log.error("shop %s not applied: %s", change.get("kind"), exc)
        raise
    log.info("shop %s %s", change.get("kind"), outcome)
    return {"kind": change.get("kind"), "outcome": outcome}
