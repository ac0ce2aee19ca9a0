"""The dead-letter list: jobs that failed for good (a refused request, or every retry used up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.registry import FailedJobRegistry

from workers.queue import event_queue


@dataclass(frozen=True)
class DeadLetter:
    job_id: str
    description: str
    failed_at: datetime | None
    error: str


def _registry(redis: Redis) -> FailedJobRegistry:
    return FailedJobRegistry(queue=event_queue(redis))


def dead_letters(redis: Redis) -> list[DeadLetter]:
    """Every failed job, oldest first, with the last line of its error."""
    queue = event_queue(redis)
    letters = []
    for job in queue.job_class.fetch_many(_registry(redis).get_job_ids(), connection=redis, serializer=queue.serializer):
        if job is None:  # expired since the registry was read
            continue
        result = job.latest_result()
        text = (result.exc_string or "") if result else ""
        last_line = next((line for line in reversed(text.strip().splitlines()) if line.strip()), "")
        letters.append(DeadLetter(job.id, job.description or "", job.ended_at, last_line))
    return letters


def retry_dead_letters(redis: Redis, job_ids: list[str] | None = None) -> list[str]:
    """Queue the given failed jobs (all when None) again; returns the ids queued.

    A job whose note was posted before it failed posts no second one: the note ledger remembers it.
    """
    registry = _registry(redis)
    wanted = job_ids if job_ids is not None else registry.get_job_ids()
    queued = []
    for job_id in wanted:
        try:
            registry.requeue(job_id)
        except NoSuchJobError:
            raise LookupError(f"no failed job {job_id}") from None
        queued.append(job_id)
    return queued
