"""Is a clvdesk worker alive on this host? For the container's health check.

A worker's record in Redis (RQ's, with hostname and pid) expires unless its heartbeat renews it, so a
record for a process that is still running means the worker is registered and recently beat; a record
whose process is gone means it died without cleaning up.
"""

from __future__ import annotations

import os
import socket

from redis import Redis
from rq import Worker

from workers.queue import event_queue


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by another user
    return True


def live_workers(redis: Redis) -> list[Worker]:
    """The workers on clvdesk's queue registered from this host whose process runs."""
    host = socket.gethostname()
    return [
        worker for worker in Worker.all(connection=redis, queue=event_queue(redis))
        if worker.hostname == host and worker.pid and _running(worker.pid)
    ]
