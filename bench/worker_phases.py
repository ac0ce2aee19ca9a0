"""Where one worker thread's time goes per event: CPU and wall time of each phase, measured in place.

Wraps the phases (taking a job, starting it, the job and its helpdesk calls, finishing it) with
thread-CPU and wall clocks and drains N events in this process, each from a requester not yet
cached (a user lookup and the note: two helpdesk calls). Sampling profilers misled here: they
counted threads blocked on sockets as busy. Usage: python -m bench.worker_phases [N]
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections import defaultdict

from rq.queue import Queue

from bench.harness import REQUESTERS, clvdesk_env, scratch_redis, shop, table
from bench.worker_throughput import enqueue_events
from clvdesk.helpdesk.transport import ApiTransport
from clvdesk.ratelimit import RateLimiter
from clvdesk.settings import load_settings
from workers import jobs
from workers.queue import event_queue
from workers.worker import EventWorker, run_worker

# (label, owner, attribute): an inner call of the same label (retries, recursion) is not counted twice.
PHASES = [
    ("take the job (dequeue, fetch)", Queue, "dequeue_any"),
    ("start it (lease, execution)", EventWorker, "prepare_job_execution"),
    ("the job", jobs, "handle_ticket_event"),
    ("  helpdesk calls", ApiTransport, "call"),
    ("    rate-limit slot", RateLimiter, "acquire"),
    ("finish it (result, registries)", EventWorker, "handle_job_success"),
]


def _timed(label: str, function, totals: dict, inside: threading.local):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        if getattr(inside, label, False):
            return function(*args, **kwargs)
        setattr(inside, label, True)
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            entry = totals[label]
            entry[0] += 1
            entry[1] += time.thread_time() - cpu
            entry[2] += time.perf_counter() - wall
            setattr(inside, label, False)
    return timed


def main(count: int) -> None:
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    inside = threading.local()
    for label, owner, name in PHASES:
        setattr(owner, name, _timed(label, getattr(owner, name), totals, inside))
    count = min(count, REQUESTERS)  # every requester new: two helpdesk calls per event
    with scratch_redis() as (url, redis, _), shop(redis, tickets=count) as standin:
        os.environ.update(clvdesk_env(url, standin.url, CLVDESK_ZENDESK_REQUESTS_PER_MINUTE="10000000"))
        enqueue_events(redis, standin, list(range(1, count + 1)))
        settings = load_settings()
        cpu, wall = time.thread_time(), time.perf_counter()  # the stand-in serves from threads of its own
        run_worker(settings, redis, burst=True, threads=1)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        assert len(standin.notes()) == count and not event_queue(redis).count
    rows = [["the worker thread, all of it", "", cpu / count * 1000, wall / count * 1000]]
    rows += [[label, f"{totals[label][0] / count:.2f}", totals[label][1] / count * 1000, totals[label][2] / count * 1000]
             for label, _, _ in PHASES]
    print(table(f"One worker thread, {count} events ({count / wall:.0f}/s), per event",
                ["phase", "calls", "CPU ms", "wall ms"], rows))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
