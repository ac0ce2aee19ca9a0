"""The queue web and worker share, and enqueueing a ticket event exactly once.

The job id is the event's identity, so a redelivered event finds its job already there. One Lua
script stores the job, queues it and counts the delivery (queued or duplicate) in one round trip:
the webhook's answer waits on nothing else. The job's hash is the one RQ's own unique enqueue
writes (its constant fields come from RQ's `Job.to_dict()`), so RQ workers, registries and
`clvdesk jobs` treat it like any other job.
"""

from __future__ import annotations

import zlib

from redis import Redis
from rq import Queue, Retry
from rq.job import JobStatus
from rq.serializers import JSONSerializer
from rq.utils import now, utcformat

from clvdesk.defaults import (
    EVENT_DEDUPE_SECONDS,
    FAILED_JOB_TTL_SECONDS,
    JOB_RETRY_INTERVALS_SECONDS,
    JOB_TIMEOUT_SECONDS,
    QUEUE_NAME,
)
from clvdesk.events import TicketEvent
from clvdesk.metrics import Metrics

JOB_FUNCTION = "workers.jobs.handle_ticket_event"
_VARYING = ("created_at", "enqueued_at", "data", "description")  # per event; every other field is constant

# KEYS: job hash, queue list, set of queues, metrics hash. ARGV: job id, time, description, data.
# The job's constant fields and the two counters' names are written into the script's text, so a
# delivery sends and Redis parses only what varies. Returns 1 (queued) or 0 (duplicate).
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[4], {duplicate}, 1)
  return 0
end
redis.call('HSET', KEYS[1], 'created_at', ARGV[2], 'enqueued_at', ARGV[2], 'description', ARGV[3], 'data', ARGV[4],
           {constant})
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], KEYS[2])
redis.call('HINCRBYFLOAT', KEYS[4], {queued}, 1)
return 1
"""


def _lua_string(text: str) -> str:
    """`text` as a Lua string literal: printable ASCII as is, every other byte as a decimal escape."""
    return '"' + "".join(
        chr(byte) if 32 <= byte < 127 and byte not in b'"\\' else f"\\{byte:03d}" for byte in text.encode()
    ) + '"'


def event_queue(redis: Redis) -> Queue:
    """The queue web and worker share; jobs are JSON, never pickles."""
    return Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)


class EventEnqueuer:
    """Stores and queues each ticket event's job once, and counts the delivery, in one round trip."""

    def __init__(self, redis: Redis, metrics: Metrics, *, helpdesk: str, timeout: int = JOB_TIMEOUT_SECONDS):
        self._queue = event_queue(redis)
        template = self._queue.create_job(
            JOB_FUNCTION,
            job_id="template",
            timeout=timeout,
            retry=Retry(max=len(JOB_RETRY_INTERVALS_SECONDS), interval=list(JOB_RETRY_INTERVALS_SECONDS)),
            result_ttl=EVENT_DEDUPE_SECONDS,
            failure_ttl=FAILED_JOB_TTL_SECONDS,
            status=JobStatus.QUEUED,
        )
        template.origin = self._queue.name
        fields = template.to_dict()
        constant = [(field, value) for field, value in fields.items() if field not in _VARYING and value is not None]
        # As redis-py writes them: str subclasses (RQ's status enum) by their text, numbers by str().
        texts = [str.__str__(part) if isinstance(part, str) else str(part) for pair in constant for part in pair]
        self._script = redis.register_script(_ENQUEUE.format(
            constant=", ".join(map(_lua_string, texts)),
            queued=_lua_string(metrics.field("clvdesk_webhooks_total", helpdesk=helpdesk, outcome="queued")),
            duplicate=_lua_string(metrics.field("clvdesk_webhooks_total", helpdesk=helpdesk, outcome="duplicate")),
        ))
        self._keys_of = template.__class__.key_for
        self._metrics_key = metrics.key

    def enqueue(self, event: TicketEvent) -> tuple[str, bool]:
        """(job id, True) for a new event, (job id, False) for one already accepted."""
        job_id = event.key
        data = zlib.compress(b'["%s", null, [%s], {}]' % (JOB_FUNCTION.encode(), event.model_dump_json().encode()))
        queue = self._queue
        created = self._script(
            keys=[self._keys_of(job_id), queue.key, queue.redis_queues_keys, self._metrics_key],
            args=[job_id, utcformat(now()), description(event), data],
        )
        return job_id, bool(created)


def description(event: TicketEvent) -> str:
    return f"{event.helpdesk} ticket {event.ticket_id} event {event.event_id}"
