"""Enqueueing a shop's change once per delivery: the delivery's identity is remembered (SET NX) for the
dedupe window, and the job is queued only by the request that set it; if queueing then fails, it is
forgotten again so that the shop's retry is queued."""

from __future__ import annotations

import hashlib

from redis import Redis
from rq import Retry

from clvdesk.defaults import FAILED_JOB_TTL_SECONDS, JOB_RETRY_INTERVALS_SECONDS, JOB_TIMEOUT_SECONDS, KEY_PREFIX
from clvdesk.defaults import SHOP_DELIVERY_DEDUPE_SECONDS
from workers.queue import event_queue

SHOP_JOB_FUNCTION = "workers.shop_jobs.apply_shop_change"


class ShopEnqueuer:
    def __init__(self, redis: Redis, *, timeout: int = JOB_TIMEOUT_SECONDS):
        self._redis = redis
        self._queue = event_queue(redis)
        self._timeout = timeout

    def enqueue(self, shop: str, dedupe: str, change: dict) -> tuple[str, bool]:
        job_id = "shop-" + hashlib.sha256(f"{shop}:{dedupe}".encode()).hexdigest()[:32]
        key = f"{KEY_PREFIX}:shop:delivery:{job_id}"
        if not self._redis.set(key, job_id, nx=True, ex=SHOP_DELIVERY_DEDUPE_SECONDS):
            return job_id, False
        try:
            self._queue.enqueue(SHOP_JOB_FUNCTION, change, job_id=job_id, job_timeout=self._timeout,
                                retry=Retry(max=len(JOB_RETRY_INTERVALS_SECONDS), interval=list(JOB_RETRY_INTERVALS_SECONDS)),
                                result_ttl=SHOP_DELIVERY_DEDUPE_SECONDS, failure_ttl=FAILED_JOB_TTL_SECONDS,
                                description=f"{shop} {change.get('kind')}")
        except BaseException:
            self._redis.delete(key)
            raise
        return job_id, True
