"""How the delivery-guarantee tests (tests/test_delivery.py) drive each registered helpdesk through its
stand-in. A helpdesk joins them with one module here that calls `register(HelpdeskCase(...))`; every
module in this package is imported, and a registered helpdesk without a case fails those tests."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from clvdesk.standins.server import StandinServer


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook request as the helpdesk sends it: raw body, headers, and a query string if it uses one."""

    body: bytes
    headers: dict[str, str]
    query: str = ""


@dataclass(frozen=True)
class HelpdeskCase:
    name: str  # the registry name
    standin: Callable[[], StandinServer]  # a new, unstarted stand-in that records contract violations
    env: Callable[[StandinServer], dict[str, str]]  # every CLVDESK_<NAME>_* variable for it: webhook and API
    add_ticket: Callable[[StandinServer, int, str], None]  # a ticket (id) whose requester has this email
    # "the customer wrote `text` on ticket N", as event `event_id`: the same arguments give the same event
    webhook: Callable[[StandinServer, int, str, str], WebhookRequest]
    notes: Callable[[StandinServer, int], list[str]]  # the private notes on ticket N, as their text
    note_method: str  # the HTTP method of the note's write, for the stand-in's fault controls
    # The id clvdesk gives the event that `webhook(standin, ticket_id, text, event_id)` announces: `event_id`
    # itself where the helpdesk's webhook carries an id, else made of what the delivery names (Help Scout:
    # conversation and thread; Gorgias: ticket and message; Freshdesk: a digest of the body)
    event_id: Callable[[StandinServer, int, str, str], str] = lambda standin, ticket_id, text, announced: announced


CASES: dict[str, HelpdeskCase] = {}


def register(case: HelpdeskCase) -> HelpdeskCase:
    if case.name in CASES:
        raise ValueError(f"a case for {case.name} is registered twice")
    CASES[case.name] = case
    return case


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
