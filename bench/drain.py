"""Drain a queue with one worker process and print how long its work loop took.

`drain.py noop URL` runs an RQ SimpleWorker on no-op jobs; `drain.py clvdesk URL THREADS` runs
clvdesk's worker. Each runs as its own process, started by worker_throughput.py, so that both are
timed alike: from the start of the work loop, without interpreter start-up and imports.
"""

from __future__ import annotations

import sys
import time

from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from clvdesk.connection import connect
from clvdesk.settings import load_settings
from workers.worker import run_worker

NOOP_QUEUE = "bench-noop"


def main(kind: str, url: str, threads: str = "1") -> None:
    redis = connect(url)
    started = time.perf_counter()
    if kind == "noop":
        queue = Queue(NOOP_QUEUE, connection=redis, serializer=JSONSerializer)
        SimpleWorker([queue], connection=redis, serializer=JSONSerializer).work(burst=True, logging_level="WARNING")
    else:
        run_worker(load_settings(), redis, burst=True, threads=int(threads))
    print(time.perf_counter() - started)


if __name__ == "__main__":
    main(*sys.argv[1:])
