"""The queue web and worker share, and enqueueing a ticket event exactly once.

The job id is the event's identity, so RQ's atomic unique enqueue refuses a redelivered event.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

from clvdesk.defaults import EVENT_DEDUPE_SECONDS, FAILED_JOB_TTL_SECONDS, JOB_TIMEOUT_SECONDS, QUEUE_NAME
from clvdesk.events import TicketEvent

JOB_FUNCTION = "workers.jobs.handle_ticket_event"


def event_queue(redis: Redis) -> Queue:
    """The queue web and worker share; jobs are JSON, never pickles."""
    return Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)


def enqueue_event(queue: Queue, event: TicketEvent) -> tuple[str, bool]:
    """Returns (job id, True) for a new event and (job id, False) for one already accepted."""
    try:
        queue.enqueue_call(
            JOB_FUNCTION,
            args=(event.model_dump(mode="json"),),
            job_id=event.key,
            unique=True,
            timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=EVENT_DEDUPE_SECONDS,
            failure_ttl=FAILED_JOB_TTL_SECONDS,
            description=f"{event.helpdesk} ticket {event.ticket_id} event {event.event_id}",
        )
    except DuplicateJobError:
        return event.key, False
    return event.key, True
