"""Help Scout in the tests: a conversation's suggestion made by the real pipeline and worker."""

from __future__ import annotations

from clvdesk.standins.zendesk import ticket_created_event
from clvdesk.suggestions import Suggestion, SuggestionStore


def stored_suggestion(request, *, conversation_id: int, email: str, text: str) -> Suggestion:
    """The suggestion the worker stores for a customer who wrote `text`.

    Until the pipeline serves Help Scout, Zendesk's stand-in and pipeline make it, and it is stored
    under the Help Scout conversation."""
    standin, deliver, work, redis = (request.getfixturevalue(name) for name in ("standin", "deliver", "work", "redis"))
    standin.add_user(901, email)
    standin.add_ticket(4242, requester_id=901)
    assert deliver(ticket_created_event(ticket_id=4242, requester_id=901, subject="Order trouble", description=text)).status_code == 202
    work()
    store = SuggestionStore(redis)
    made = store.latest("zendesk", "4242").model_copy(update={"helpdesk": "helpscout", "ticket_id": str(conversation_id)})
    store.save(made)
    return made
