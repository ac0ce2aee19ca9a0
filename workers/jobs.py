"""RQ job functions. Each takes JSON-serialisable arguments and delegates to the domain."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from rq import get_current_job

from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import HelpdeskRequestError
from clvdesk.logs import event_context
from workers.context import current_pipeline


def handle_ticket_event(event: dict) -> dict:
    """Suggest an appeasement for one ticket event and post it as a private note."""
    job = get_current_job()
    pipeline = current_pipeline(job.connection)
    ticket_event = TicketEvent.model_validate(event)
    started = time.monotonic()
    closing = job.connection.pipeline(transaction=False)  # the note's confirmation and the job's metrics
    with pipeline.metrics.batch(closing), event_context(ticket_event.event_id, helpdesk=ticket_event.scope):
        try:
            suggestion = pipeline.handle(ticket_event, closing=closing)
        except HelpdeskRequestError:
            job.retries_left = 0  # the helpdesk refused the request itself: running it again cannot help
            raise
        except Exception:
            if job.retries_left:
                pipeline.metrics.count("clvdesk_job_retries_total")
            raise
        pipeline.metrics.observe("clvdesk_job_duration_seconds", time.monotonic() - started)
        if ticket_event.received_at is not None:
            latency = (datetime.now(timezone.utc) - ticket_event.received_at).total_seconds()
            pipeline.metrics.observe("clvdesk_event_latency_seconds", latency)
    return {"ticket_id": suggestion.ticket_id, "tier": suggestion.customer.tier, "offer": suggestion.offer.instrument}
