"""Start a worker on clvdesk's queue: one process, one or more threads, no fork per job.

RQ's default worker forks a child for every job. A clvdesk job is small, trusted and mostly waits
on the helpdesk's HTTP API, so jobs run in the worker process itself (SimpleWorker), each thread
with its own pipeline: one keep-alive HTTP session and the shared Redis connection pool.
"""

from __future__ import annotations

import threading
import time

from redis import Redis
from redis.client import Pipeline as RedisPipeline
from rq import SimpleWorker
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.timeouts import TimerDeathPenalty
from rq.utils import now
from rq.worker import WorkerStatus

from clvdesk.defaults import (
    JOB_LEASE_MARGIN_SECONDS,
    WORKER_HEARTBEAT_SECONDS,
    WORKER_MAINTENANCE_SECONDS,
    WORKER_STOP_POLL_SECONDS,
    WORKER_SUSPENSION_CHECK_SECONDS,
)
from clvdesk.settings import Settings
from clvdesk.pipeline import Pipeline
from workers.context import build_pipeline, install
from workers.queue import event_queue


class EventWorker(SimpleWorker):
    """A SimpleWorker whose lease on a job is its timeout plus a short margin (RQ's is a minute),
    so that the job of a worker killed mid-way is found and retried soon after.

    It also spends fewer Redis round trips on each job than RQ's (20 for a no-op job), keeping
    what they record: the worker's own heartbeat, which only keeps its record alive for minutes, is
    sent at most every few seconds, in one round trip; `rq suspend` is checked at most once a
    second; the job's execution record and its lease are written in one round trip; the job's
    end time, its result and the worker's return to idle go in one transaction.
    """

    _last_suspension_check = float("-inf")
    _preparation: RedisPipeline | None = None

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(job.timeout or self.job_monitoring_interval) + JOB_LEASE_MARGIN_SECONDS

    def heartbeat(self, timeout: int | None = None, pipeline: RedisPipeline | None = None) -> None:
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        due = self.last_heartbeat is None or (now() - self.last_heartbeat).total_seconds() >= WORKER_HEARTBEAT_SECONDS
        if timeout is not None or due:
            with self.connection.pipeline(transaction=False) as pipe:
                super().heartbeat(timeout, pipeline=pipe)
                pipe.execute()

    def set_state(self, state: str, pipeline: RedisPipeline | None = None) -> None:
        if pipeline is None and state == self._state:
            return  # already recorded
        super().set_state(state, pipeline=pipeline)

    def check_for_suspension(self, burst: bool) -> None:
        if time.monotonic() - self._last_suspension_check >= WORKER_SUSPENSION_CHECK_SECONDS:
            super().check_for_suspension(burst)
            self._last_suspension_check = time.monotonic()

    def prepare_execution(self, job: Job) -> Execution:
        """The execution record, sent with the job's lease by prepare_job_execution."""
        self._preparation = self.connection.pipeline()
        execution = Execution.create(job, self.get_heartbeat_ttl(job), pipeline=self._preparation, worker_name=self.name)
        self.executions[execution.id] = execution
        self.set_state(WorkerStatus.BUSY, pipeline=self._preparation)
        return execution

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        pipe, self._preparation = self._preparation, None
        if pipe is None:
            return super().prepare_job_execution(job, remove_from_intermediate_queue)
        with pipe:
            ttl = self.get_heartbeat_ttl(job)
            super().heartbeat(ttl, pipeline=pipe)
            job.prepare_for_execution(self.name, pipeline=pipe)  # sets the job's heartbeat too (RQ sets it twice)
            pipe.persist(job.key)
            if remove_from_intermediate_queue:
                pipe.lrem(self.queue_class(job.origin, connection=self.connection).intermediate_queue_key, 1, job.id)
            pipe.execute()

    def handle_job_success(self, job: Job, queue, started_job_registry, execution: Execution) -> None:
        """RQ's bookkeeping of a finished job in one transaction, the worker's return to idle with it.

        RQ first WATCHes and reads the job's dependents; nothing depends on an event job (the
        receiver enqueues each on its own), so that read is skipped. Jobs with repeats or a rate
        limit, which clvdesk does not create, go RQ's way.
        """
        if job.repeats_left or job.has_rate_limit:
            super().handle_job_success(job, queue, started_job_registry, execution)
            return
        with self.connection.pipeline() as pipe:
            self.increment_successful_job_count(pipeline=pipe)
            self.increment_total_working_time(job.ended_at - job.started_at, pipe)
            result_ttl = job.get_result_ttl(self.default_result_ttl)
            if result_ttl != 0:
                job._handle_success(result_ttl, pipeline=pipe, worker_name=self.name, execution_id=execution.id,
                                    execution_started_at=execution.created_at, execution_ended_at=job.ended_at)
            job.cleanup(result_ttl, pipeline=pipe, remove_from_queue=False)
            job._status = JobStatus.FINISHED
            self.cleanup_execution(job, pipeline=pipe, execution=execution)
            self.set_state(WorkerStatus.IDLE, pipeline=pipe)
            pipe.execute()

    def handle_execution_ended(self, job: Job, queue, heartbeat_ttl: int) -> None:
        if job.success_callback or job.failure_callback:
            super().handle_execution_ended(job, queue, heartbeat_ttl)
            return
        job.ended_at = job.last_heartbeat = now()  # saved with the job's outcome


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
    pipelines = [build_pipeline(redis) for _ in range(threads)]  # each its own HTTP session
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
