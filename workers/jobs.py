"""RQ job functions. Each takes JSON-serialisable arguments and delegates to the domain."""

from __future__ import annotations

from rq import get_current_job

from clvdesk.events import TicketEvent
from workers.context import current_pipeline


def handle_ticket_event(event: dict) -> dict:
    """Suggest an appeasement for one ticket event and post it as a private note."""
    job = get_current_job()
    suggestion = current_pipeline(job.connection).handle(TicketEvent.model_validate(event))
    return {"ticket_id": suggestion.ticket_id, "tier": suggestion.customer.tier, "offer": suggestion.offer.instrument}
