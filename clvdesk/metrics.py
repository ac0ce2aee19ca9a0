"""Counters and histograms kept in Redis, so that every web and worker process adds to one set of
figures, and the web process serves them at /metrics in Prometheus' text format."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis
from redis.client import Pipeline

from clvdesk.defaults import KEY_PREFIX

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# name: (type, help). Only these may be recorded, so a typo fails loudly instead of adding a series.
METRICS: dict[str, tuple[str, str]] = {
    "clvdesk_webhooks_total": ("counter", "Webhook deliveries by helpdesk and outcome"),
    "clvdesk_shop_webhooks_total": ("counter", "Shop webhook deliveries by shop and outcome"),
    "clvdesk_notes_posted_total": ("counter", "Internal notes posted to the helpdesk"),
    "clvdesk_helpdesk_requests_total": ("counter", "Helpdesk API responses by status (0: no response)"),
    "clvdesk_helpdesk_retries_total": ("counter", "Helpdesk API calls retried within a job"),
    "clvdesk_helpdesk_ambiguous_writes_total": ("counter", "Helpdesk writes not resent because they may have been applied"),
    "clvdesk_job_retries_total": ("counter", "Jobs scheduled for another run after a transient failure"),
    "clvdesk_job_duration_seconds": ("histogram", "Time a worker spends on one event"),
    "clvdesk_event_latency_seconds": ("histogram", "Time from accepting a webhook to posting its note"),
    "clvdesk_queue_depth": ("gauge", "Events waiting in the queue"),
    "clvdesk_dead_letters": ("gauge", "Failed jobs kept for `clvdesk jobs retry`"),
}


# KEYS: the metrics hash. ARGV: field, amount, field, amount, ... All of a job's records in one command
# instead of one HINCRBYFLOAT each. Sent as EVAL, not EVALSHA: it rides in pipelines, where redis-py
# would spend a round trip checking that a registered script is loaded, and it survives a Redis restart.
_ADD_ALL = "for i = 1, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end"


def _field(name: str, labels: dict[str, str]) -> str:
    return name + "|" + ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))


def _exposition_order(item: tuple[str, float]) -> tuple[str, float]:
    """Series by name and labels, a histogram's buckets by increasing bound."""
    head, _, bound = item[0].partition('le="')
    return head, float(bound.split('"')[0]) if bound else 0.0


class Metrics:
    """Records go straight to Redis, or, inside `batch()`, together in one round trip at its end."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._key = f"{prefix}:metrics"
        self._local = threading.local()

    @property
    def key(self) -> str:
        """The Redis hash that holds every series, for scripts that count as they write."""
        return self._key

    @staticmethod
    def field(name: str, **labels: str) -> str:
        """The hash field of a counter series, for scripts that count as they write."""
        if METRICS[name][0] != "counter":
            raise ValueError(f"{name} is not a counter")
        return _field(name, labels)

    @contextmanager
    def batch(self, pipe: Pipeline | None = None) -> Iterator[None]:
        """Collect this thread's records and send them at the end, on `pipe` with its other commands."""
        pending: Counter[str] = Counter()
        self._local.pending = pending
        try:
            yield
        finally:
            self._local.pending = None
            if pending:
                self._send(pending, pipe if pipe is not None else self._redis)
            if pipe is not None and len(pipe):
                pipe.execute()

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        self._add({self.field(name, **labels): amount})

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        if METRICS[name][0] != "histogram":
            raise ValueError(f"{name} is not a histogram")
        # Only the observation's own bucket is stored; render() makes the counts cumulative.
        index = bisect_left(LATENCY_BUCKETS, seconds)
        bound = str(LATENCY_BUCKETS[index]) if index < len(LATENCY_BUCKETS) else "+Inf"
        fields = {_field(f"{name}_bucket", {**labels, "le": bound}): 1}
        fields[_field(f"{name}_sum", labels)] = seconds
        fields[_field(f"{name}_count", labels)] = 1
        self._add(fields)

    def _add(self, fields: dict[str, float]) -> None:
        pending = getattr(self._local, "pending", None)
        if pending is not None:
            pending.update(fields)
            return
        self._send(fields, self._redis)

    def _send(self, fields: dict[str, float], client: Redis | Pipeline) -> None:
        client.eval(_ADD_ALL, 1, self._key, *(part for item in fields.items() for part in item))

    def render(self, gauges: dict[str, float]) -> str:
        """Prometheus text exposition of every recorded series plus the given gauges."""
        stored = {field.decode(): float(value) for field, value in self._redis.hgetall(self._key).items()}
        series: dict[str, list[str]] = defaultdict(list)
        for field, value in sorted(_cumulative(stored).items(), key=_exposition_order):
            sample, _, labels = field.partition("|")
            family = sample.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
            series[family if family in METRICS else sample].append(f"{sample}{{{labels}}} {value:g}" if labels else f"{sample} {value:g}")
        for name, value in gauges.items():
            series[name].append(f"{name} {value:g}")
        lines = []
        for name, (kind, help_text) in METRICS.items():
            if series.get(name):
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *series[name]]
        return "\n".join(lines) + "\n"


def _cumulative(stored: dict[str, float]) -> dict[str, float]:
    """Histogram buckets as Prometheus wants them: each counts every observation up to its bound."""
    result = {field: value for field, value in stored.items() if "_bucket|" not in field}
    counts: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for field, value in stored.items():
        if "_bucket|" in field:
            head, _, bound = field.partition('le="')
            counts[(head, bound.split('"')[0])][field] = value
    families = {head for head, _ in counts}
    for head in families:
        total = 0.0
        for bound in (*map(str, LATENCY_BUCKETS), "+Inf"):
            total += sum(counts.get((head, bound), {}).values())
            result[f'{head}le="{bound}"'] = total
    return result
