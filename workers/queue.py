"""The queue web and worker share, and enqueueing a ticket event exactly once.

The job id is the event's identity, so a redelivered event finds its job already there. A replayed
request finds the digest of what its signature covers, kept for the replay window: the invocation id
that names a trigger's event is not signed, so a replayer could otherwise mint new events from one
signed body. One Lua script checks both, stores the job, queues it and counts the delivery (queued or
duplicate) in one round trip: the webhook's answer waits on nothing else. The job's hash is the one
RQ's own unique enqueue writes (its constant fields come from RQ's `Job.to_dict()`), so RQ workers,
registries and `clvdesk jobs` treat it like any other job.
"""

from __future__ import annotations

import zlib

from redis import Redis
from redis.commands.core import Script
from rq import Queue, Retry
from rq.job import JobStatus
from rq.serializers import JSONSerializer
from rq.utils import now, utcformat

from clvdesk.defaults import (
    EVENT_DEDUPE_SECONDS,
    FAILED_JOB_TTL_SECONDS,
    JOB_RETRY_INTERVALS_SECONDS,
    JOB_TIMEOUT_SECONDS,
    KEY_PREFIX,
    QUEUE_NAME,
    REGISTRY_CLEANING_LOCK_SECONDS,
    WEBHOOK_REPLAY_SECONDS,
)
from clvdesk.events import TicketEvent
from clvdesk.metrics import Metrics

JOB_FUNCTION = "workers.jobs.handle_ticket_event"
_VARYING = ("created_at", "enqueued_at", "data", "description")  # per event; every other field is constant

# KEYS: job hash, queue list, set of queues, metrics hash, and the signed digest when the helpdesk signs.
# ARGV: job id, time, description, data. The job's constant fields, the two counters' names (one script
# per helpdesk account) and the replay window are written into the script's text, so a delivery sends and
# Redis parses only what varies. Returns 1 (queued), 0 (duplicate of this event) or the id of the job a
# replayed request was first queued as.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[4], {duplicate}, 1)
  return 0
end
if #KEYS == 5 then
  local first = redis.call('GET', KEYS[5])
  if first then
    redis.call('HINCRBYFLOAT', KEYS[4], {duplicate}, 1)
    return first
  end
  redis.call('SET', KEYS[5], ARGV[1], 'EX', {replay_seconds})
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


class EventQueue(Queue):
    """RQ's queue, with a registry-cleaning lock that a killed worker holds for one maintenance round."""

    def acquire_maintenance_lock(self) -> bool:
        return bool(self.connection.set(self.registry_cleaning_key, 1, nx=True, ex=REGISTRY_CLEANING_LOCK_SECONDS))


def event_queue(redis: Redis) -> EventQueue:
    """The queue web and worker share; jobs are JSON, never pickles."""
    return EventQueue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)


class EventEnqueuer:
    """Stores and queues each ticket event's job once, and counts the delivery, in one round trip."""

    def __init__(self, redis: Redis, metrics: Metrics, *, timeout: int = JOB_TIMEOUT_SECONDS):
        self._redis = redis
        self._metrics = metrics
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
        self._constant = ", ".join(_lua_string(str.__str__(part) if isinstance(part, str) else str(part))
                                   for pair in constant for part in pair)
        self._scripts: dict[tuple[str, str], Script] = {}
        self._keys_of = template.__class__.key_for

    def _script(self, helpdesk: str, account: str) -> Script:
        """The script for one helpdesk account, its counters written in (made once per account)."""
        script = self._scripts.get((helpdesk, account))
        if script is None:
            labels = {"helpdesk": helpdesk, "account": account}
            script = self._scripts[(helpdesk, account)] = self._redis.register_script(_ENQUEUE.format(
                constant=self._constant,
                queued=_lua_string(self._metrics.field("clvdesk_webhooks_total", **labels, outcome="queued")),
                duplicate=_lua_string(self._metrics.field("clvdesk_webhooks_total", **labels, outcome="duplicate")),
                replay_seconds=int(WEBHOOK_REPLAY_SECONDS),
            ))
        return script

    def enqueue(self, event: TicketEvent, *, signed: str | None) -> tuple[str, bool]:
        """(job id, True) for a new event; (job id, False) for one already accepted, or for a replay
        of a request already received (`signed`: the digest its signature covers, None where the
        helpdesk signs nothing), with that job's id."""
        job_id = event.key
        data = zlib.compress(b'["%s", null, [%s], {}]' % (JOB_FUNCTION.encode(), event.model_dump_json().encode()))
        queue = self._queue
        keys = [self._keys_of(job_id), queue.key, queue.redis_queues_keys, self._metrics.key]
        if signed is not None:
            keys.append(f"{KEY_PREFIX}:{event.scope}:signed:{signed}")
        result = self._script(event.helpdesk, event.account)(
            keys=keys, args=[job_id, utcformat(now()), description(event), data],
        )
        if isinstance(result, bytes):
            return result.decode(), False
        return job_id, bool(result)


def description(event: TicketEvent) -> str:
    return f"{event.scope} ticket {event.ticket_id} event {event.event_id}"
