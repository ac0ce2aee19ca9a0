"""Events per second of one clvdesk worker, next to an RQ SimpleWorker draining no-op jobs.

Both drain the same number of jobs from the same scratch Redis, one after the other, in a process
of their own; clvdesk's jobs are real ticket events against a stand-in Zendesk (a user lookup for
each requester not yet cached, and the note with the tags in the same safe update), half of their
customers in the store. Usage: python -m bench.worker_throughput [N]
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from bench.drain import NOOP_QUEUE
from bench.harness import ROOT, WEBHOOK_SECRET, clvdesk_env, median, paired_ratios, requester_of, scratch_redis, shop, table
from clvdesk.defaults import WORKER_THREADS
from clvdesk.helpdesk.zendesk.settings import account_of
from clvdesk.helpdesk.zendesk.webhook import parse_zendesk_webhook
from clvdesk.standins.zendesk import signed_request, ticket_created_event
from clvdesk.standins.zendesk import ZendeskStandin
from clvdesk.metrics import Metrics
from clvdesk.helpdesk.zendesk.signature import TIMESTAMP_HEADER, signed_digest
from workers.queue import EventEnqueuer, event_queue

ROUNDS = 8
THREADS = (1, WORKER_THREADS)
TEXTS = [
    "My order arrived broken. This is ridiculous, I want a refund or I will cancel my account!",
    "Hi, the parcel is a few days late, any news? Thanks",
    "Thank you, all sorted now.",
    "I was charged twice for order 4471, please fix this today.",
]


def enqueue_events(redis: Redis, standin: ZendeskStandin, tickets: list[int]) -> None:
    """Queue a ticket.created event for each ticket, as the receiver would, with the ticket's state."""
    enqueuer = EventEnqueuer(redis, Metrics(redis))
    for ticket in tickets:
        body = ticket_created_event(ticket_id=ticket, requester_id=requester_of(ticket), subject="Order",
                                    description=TEXTS[ticket % len(TEXTS)], ticket_state=standin.ticket_state(ticket))
        payload, headers = signed_request(WEBHOOK_SECRET, body)
        event = parse_zendesk_webhook(body, account=account_of(standin.url)).model_copy(update={"received_at": datetime.now(timezone.utc)})
        enqueuer.enqueue(event, signed=signed_digest(headers[TIMESTAMP_HEADER], payload))


def drain(kind: str, url: str, env: dict[str, str], threads: int = 1) -> float:
    result = subprocess.run([sys.executable, "-m", "bench.drain", kind, url, str(threads)], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main(count: int) -> None:
    with scratch_redis() as (url, redis, _), shop(redis, tickets=count * ROUNDS * len(THREADS)) as standin:
        # The stand-in has no rate limit here: this measures the worker, not the helpdesk's budget.
        env = clvdesk_env(url, standin.url, CLVDESK_ZENDESK_REQUESTS_PER_MINUTE="10000000")
        rates: dict[str, list[float]] = {"noop": [], **{f"clvdesk-{threads}": [] for threads in THREADS}}
        tickets = iter(range(1, count * ROUNDS * len(THREADS) + 1))
        for _ in range(ROUNDS):
            noop = Queue(NOOP_QUEUE, connection=redis, serializer=JSONSerializer)
            for _ in range(count):
                noop.enqueue_call("os.getpid")
            rates["noop"].append(count / drain("noop", url, env))

            for threads in THREADS:
                enqueue_events(redis, standin, [ticket for _, ticket in zip(range(count), tickets)])
                rates[f"clvdesk-{threads}"].append(count / drain("clvdesk", url, env, threads))
        posted, expected = len(standin.notes()), count * ROUNDS * len(THREADS)
        assert posted == expected, f"{posted} notes for {expected} events; queue {event_queue(redis).count}, failed {FailedJobRegistry(queue=event_queue(redis)).count}"

        rows = [["RQ SimpleWorker, no-op jobs", median(rates["noop"]), "1.00", ""]]
        for threads in THREADS:
            rows.append([f"clvdesk worker, {threads} thread(s), ticket events", median(rates[f"clvdesk-{threads}"]),
                         *paired_ratios(rates[f"clvdesk-{threads}"], rates["noop"])])
        print(table(f"One worker process draining {count} jobs, median of {ROUNDS} rounds",
                    ["worker", "jobs/s", "ratio (median of rounds)", "range"], rows))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
