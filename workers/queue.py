"""The queue web and worker share, and enqueueing a ticket event exactly once.

The job id is the event's identity, so RQ's atomic unique enqueue refuses a redelivered event.
"""

from __future__ import annotations

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

from clvdesk.defaults import (
    EVENT_DEDUPE_SECONDS,
    FAILED_JOB_TTL_SECONDS,
    JOB_RETRY_INTERVALS_SECONDS,
    JOB_TIMEOUT_SECONDS,
    QUEUE_NAME,
)
from clvdesk.events import TicketEvent

JOB_FUNCTION = "workers.jobs.handle_ticket_event"


def event_queue(redis: Redis) -> Queue:
    """The queue web and worker share; jobs are JSON, never pickles."""
    return Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)


def enqueue_event(
    queue: Queue, event: TicketEvent, *, timeout: int = JOB_TIMEOUT_SECONDS, pipeline: Pipeline | None = None
) -> tuple[str, bool]:
    """Returns (job id, True) for a new event and (job id, False) for one already accepted.

    The job itself is stored and queued at once, atomically; RQ's bookkeeping of the queue's name
    goes on `pipeline` when one is given, for the caller to send with its own commands.
    """
    try:
        queue.enqueue_call(
            JOB_FUNCTION,
            args=(event.model_dump(mode="json"),),
            job_id=event.key,
            unique=True,
            timeout=timeout,
            retry=Retry(max=len(JOB_RETRY_INTERVALS_SECONDS), interval=list(JOB_RETRY_INTERVALS_SECONDS)),
            result_ttl=EVENT_DEDUPE_SECONDS,
            failure_ttl=FAILED_JOB_TTL_SECONDS,
            description=f"{event.helpdesk} ticket {event.ticket_id} event {event.event_id}",
            pipeline=pipeline,
        )
    except DuplicateJobError:
        return event.key, False
    return event.key, True
