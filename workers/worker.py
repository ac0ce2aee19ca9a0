"""Start a worker on clvdesk's queue.

SimpleWorker runs jobs in this process instead of forking one child per job, so the pipeline's
HTTP session and Redis connections stay alive across jobs; the job's work is small and trusted.
"""

from __future__ import annotations

from redis import Redis
from rq import SimpleWorker

from clvdesk.settings import Settings
from workers.queue import event_queue
from workers.context import build_pipeline, install


def make_worker(settings: Settings, redis: Redis) -> SimpleWorker:
    install(build_pipeline(settings, redis))
    queue = event_queue(redis)
    return SimpleWorker([queue], connection=redis, serializer=queue.serializer)


def run_worker(settings: Settings, redis: Redis, *, burst: bool = False) -> bool:
    """Work the queue; with burst, stop when it is empty. True if any job ran."""
    return make_worker(settings, redis).work(burst=burst, with_scheduler=False, logging_level=settings.log_level)
