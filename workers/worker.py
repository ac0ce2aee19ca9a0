"""Start a worker on clvdesk's queue: one process, one or more threads, no fork per job.

RQ's default worker forks a child for every job. A clvdesk job is small, trusted and mostly waits
on the helpdesk's HTTP API, so jobs run in the worker process itself (SimpleWorker), each thread
with its own pipeline: one keep-alive HTTP session and the shared Redis connection pool.
"""

from __future__ import annotations

import threading

from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

from clvdesk.defaults import JOB_LEASE_MARGIN_SECONDS, WORKER_MAINTENANCE_SECONDS, WORKER_STOP_POLL_SECONDS
from clvdesk.settings import Settings
from clvdesk.pipeline import Pipeline
from workers.context import build_pipeline, install
from workers.queue import event_queue


class EventWorker(SimpleWorker):
    """A SimpleWorker whose lease on a job is its timeout plus a short margin (RQ's is a minute),
    so that the job of a worker killed mid-way is found and retried soon after."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(job.timeout or self.job_monitoring_interval) + JOB_LEASE_MARGIN_SECONDS


class ThreadEventWorker(EventWorker):
    """An EventWorker on a thread beside the main one: signals belong to the main thread, so job
    timeouts use a timer, and a stop request is noticed between short waits for the next job."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None):
        while True:
            result = super().dequeue_job_and_maintain_ttl(timeout, WORKER_STOP_POLL_SECONDS if timeout else max_idle_time)
            if result is not None or timeout is None or self._stop_requested:
                return result


def _work(worker: EventWorker, pipeline: Pipeline, log_level: str, **options) -> bool:
    install(pipeline)
    return worker.work(logging_level=log_level, **options)


def run_worker(settings: Settings, redis: Redis, *, burst: bool = False, threads: int = 1) -> bool:
    """Work the queue with `threads` workers in this process; the main one also runs the scheduler
    that re-queues retries when they fall due. With burst, stop when the queue is empty."""
    queue = event_queue(redis)
    options = {"connection": redis, "serializer": queue.serializer, "maintenance_interval": WORKER_MAINTENANCE_SECONDS}
    pipelines = [build_pipeline(settings, redis) for _ in range(threads)]  # each its own HTTP session
    helpers = [ThreadEventWorker([queue], **options) for _ in range(threads - 1)]
    running = [
        threading.Thread(target=_work, args=(helper, pipeline, settings.log_level), kwargs={"burst": burst}, daemon=True)
        for helper, pipeline in zip(helpers, pipelines[1:])
    ]
    for thread in running:
        thread.start()
    try:
        main = EventWorker([queue], **options)
        return _work(main, pipelines[0], settings.log_level, burst=burst, with_scheduler=True)
    finally:
        for helper in helpers:
            helper._stop_requested = True
        for thread in running:
            thread.join()
