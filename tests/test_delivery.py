"""The delivery guarantees, for every registered helpdesk through its stand-in (the `helpdesk_case`
fixture): one note per event however often it is delivered, a killed worker's job rerun without a second
note, a refused request in the dead letters, a 429 pausing every worker, and an answer lost after the
note was applied costing no second note."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.helpdesk import REGISTRY, configured
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter
from plugin import create_app
from workers.queue import event_queue

CLVDESK = [sys.executable, "-m", "clvdesk"]


@pytest.fixture
def case(helpdesk_case, redis):
    CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=900)])
    helpdesk_case.add_ticket(101)
    return helpdesk_case


def wait_until(condition, timeout) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_for(condition, timeout, message):
    assert wait_until(condition, timeout), message


def test_a_repeated_delivery_posts_one_note(case):
    first = case.deliver(101, event_id="evt-twice")
    second = case.deliver(101, event_id="evt-twice")
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json == {"status": "duplicate", "job_id": first.json["job_id"]}
    case.work()
    [note] = case.notes(101)
    assert case.reference(101, "evt-twice") in note and note.count("clvdesk-ref:") == 1


@pytest.mark.parametrize("how", [502, 504, "cut"])
def test_a_note_applied_then_its_answer_lost_is_posted_once(case, redis, how):
    """The helpdesk applies the note, then the answer is lost: the job looks on the ticket, finds its
    clvdesk-ref and posts nothing more."""
    job_id = case.deliver(101, event_id="evt-lost").json["job_id"]
    case.standin.lose_answer_next(how, method=case.case.note_method)
    case.work()
    [note] = case.notes(101)
    assert case.reference(101, "evt-lost") in note
    assert sum(case.standin.lost.values()) == 1
    assert event_queue(redis).fetch_job(job_id).get_status() == "finished"
    assert redis.get(f"clvdesk:note:{job_id}") == b"posted"


def test_a_refused_request_goes_to_dead_letters_and_is_retried_by_command(case, redis):
    job_id = case.deliver(555).json["job_id"]  # no such ticket yet: the helpdesk answers 404
    case.work()
    failed = FailedJobRegistry(queue=event_queue(redis))
    assert failed.get_job_ids() == [job_id]
    assert ScheduledJobRegistry(queue=event_queue(redis)).count == 0  # a 404 is not retried

    listed = subprocess.run([*CLVDESK, "jobs", "failed"], env=case.env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    [row] = listed.stdout.splitlines()
    assert row.startswith(job_id + "\t") and "answered 404" in row

    case.add_ticket(555)  # the admin fixes the cause …
    retried = subprocess.run([*CLVDESK, "jobs", "retry", "--all"], env=case.env, capture_output=True, text=True, timeout=60)
    assert retried.stdout.strip() == "queued 1 job(s) again"
    case.work()  # … and the job runs again
    assert failed.count == 0
    assert len(case.notes(555)) == 1


def test_a_429_pauses_every_worker_for_its_retry_after(case, redis):
    entry = REGISTRY[case.name]
    [(_, settings)] = configured("the test").values()

    def client():
        limiter = RateLimiter(redis, f"{case.name}:test", per_minute=6000, burst=10, max_wait_seconds=10)
        return entry.client(settings, limiter, Metrics(redis))

    one, two = client(), client()
    case.standin.fail_next(429, retry_after=1)
    started = time.monotonic()
    assert not one.has_note("101", "clvdesk-ref:none")  # gets the 429, pauses the account, then succeeds
    assert not two.has_note("101", "clvdesk-ref:none")  # never saw the 429, waits all the same
    assert time.monotonic() - started >= 0.95
    calls = [request for request in case.standin.requests if not case.standin.exempt_from_faults(request)]
    assert [request.status for request in calls][:2] == [429, 200]
    one.close(), two.close()


def test_the_job_of_a_worker_killed_mid_note_is_rerun_and_posts_one_note(case, redis):
    # The timeout must outlast the moment between the held note and the kill, or the attempt times out
    # first and the job's rerun is the second one, 30 s later through the scheduler.
    client = create_app(case.settings.model_copy(update={"job_timeout_seconds": 5}), redis=redis).test_client()
    case.client = client
    job_id = case.deliver(101, event_id="evt-killed").json["job_id"]

    # The helpdesk takes the note but answers slowly; the worker is killed while it waits for the answer,
    # with its process group (its scheduler child too), as a container or an OOM kill would.
    case.standin.delay_next(30, method=case.case.note_method)
    first = subprocess.Popen([*CLVDESK, "worker"], env=case.env, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert case.standin.holding.wait(20), "the worker never posted the note"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(5)
    assert len(case.notes(101)) == 1
    assert event_queue(redis).fetch_job(job_id).get_status() == "started"  # orphaned, not lost

    # Once its lease (5 s timeout + margin) has run out, the next worker to start finds the abandoned
    # job, runs it again, finds the note on the ticket and posts no second one. On a loaded machine the
    # attempt can still time out before the kill: then the rerun is the scheduled one, whose scheduler
    # lock the killed worker held for a minute, hence the long wait.
    started = StartedJobRegistry(queue=event_queue(redis))
    wait_for(lambda: started.get_expired_job_ids() == [job_id], 30, "the lease never ran out")
    second = subprocess.Popen([*CLVDESK, "worker"], env=case.env, stderr=subprocess.PIPE, text=True)
    try:
        rerun = wait_until(lambda: event_queue(redis).fetch_job(job_id).get_status() == "finished", 150)
    finally:
        second.terminate()
        _, log = second.communicate(timeout=10)
    assert rerun, f"the job was not rerun; the second worker said:\n{log}"
    assert len(case.notes(101)) == 1
    assert redis.get(f"clvdesk:note:{job_id}") == b"posted"
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line.get("event_id") == case.event_id(101, "evt-killed") and "note=already there" in line["message"] for line in lines)
    assert any(line.get("helpdesk", "").startswith(f"{case.name}:") for line in lines)
    secrets = [value for name, value in case.env.items() if name.startswith(f"CLVDESK_{case.name.upper()}_")
               and any(word in name for word in ("TOKEN", "SECRET", "KEY", "PASSWORD"))]
    assert not any(secret in log for secret in secrets) and "ana@example.com" not in log
