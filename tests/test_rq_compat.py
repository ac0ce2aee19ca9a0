"""The job the receiver writes by hand is an ordinary RQ job: RQ's own public API loads and runs it.

The receiver stores each job's hash with a Lua script instead of RQ's enqueue (one round trip), so a
new RQ release that changes its job layout would break the hand-off silently; this test would not pass.
"""

from __future__ import annotations

from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.defaults import JOB_RETRY_INTERVALS_SECONDS, QUEUE_NAME, WORKER_MAINTENANCE_SECONDS
from clvdesk.standins.zendesk import ticket_created_event
from workers.context import build_pipeline, install
from workers.queue import event_queue
from workers.worker import EventWorker


def test_rq_loads_and_runs_a_job_the_receiver_enqueued(settings, redis, standin, deliver):
    CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300)])
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(101, requester_id=901)
    answer = deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description="Refund me!"))
    assert answer.status_code == 202
    job_id = answer.json["job_id"]

    queue = Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)
    assert queue.job_ids == [job_id]
    job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.QUEUED and job.origin == QUEUE_NAME
    assert job.func_name == "workers.jobs.handle_ticket_event"
    assert job.args[0]["ticket_id"] == "101" and job.kwargs == {}  # the event as the receiver validated it
    assert job.timeout == settings.job_timeout_seconds
    assert job.retries_left == len(JOB_RETRY_INTERVALS_SECONDS)

    install(build_pipeline(redis))  # as clvdesk's worker does for its threads
    assert SimpleWorker([queue], connection=redis, serializer=JSONSerializer).work(burst=True)

    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value()["ticket_id"] == "101"
    assert len(standin.notes(101)) == 1 and queue.count == 0


def test_a_worker_killed_while_cleaning_the_registries_holds_their_lock_one_round_at_most(redis):
    """RQ keeps the cleaning lock for 15 minutes: a worker killed while cleaning stalled the rerun of every
    abandoned job that long (the killed-worker delivery test waited in vain). Ours lapses before the next round."""
    worker = EventWorker([event_queue(redis)], connection=redis, serializer=JSONSerializer)
    [queue] = worker.queues
    assert queue.acquire_maintenance_lock()  # and the worker dies before it releases it
    assert 0 < redis.ttl(queue.registry_cleaning_key) < WORKER_MAINTENANCE_SECONDS
    assert not queue.acquire_maintenance_lock()  # still one cleaner at a time
