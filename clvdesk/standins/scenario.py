"""What `clvdesk demo` needs from a stand-in: a started server with sample tickets, the settings that point
clvdesk at it, and the webhook requests that announce the tickets. Each stand-in module provides
`demo_scenario(customers, on_note)`; the demo finds it by the helpdesk's registry name.

And what the delivery tests and bench.load_and_faults need to drive any number of tickets through a stand-in:
each stand-in module's `PROFILE` (a `StandinProfile`), the one place that says how that helpdesk's
authenticated deliveries, settings, tickets and notes look."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clvdesk.standins.server import StandinServer

DEMO_CUSTOMERS = (  # (email, how the demo describes them), as the sample orders (clvdesk/data/demo_orders.csv) know them
    ("ana.larsen@example.com", "ana, a valuable customer, angry"),
    ("ben.okafor@example.com", "ben, a low-value customer, mildly annoyed"),
    ("dana.novak@example.net", "dana, not in the customer store"),
)
OnNote = Callable[[str, str], None]  # (ticket id, note body), called as the stand-in takes a note


@dataclass(frozen=True)
class DemoRequest:
    label: str
    body: bytes
    headers: dict[str, str]
    query: str = ""


@dataclass(frozen=True)
class DemoScenario:
    standin: StandinServer  # started, with a ticket per sample customer
    env: dict[str, str]  # CLVDESK_<NAME>_* for the web and worker processes
    requests: Sequence[DemoRequest]  # one per ticket


DemoFactory = Callable[[Sequence[tuple[str, str]], OnNote], DemoScenario]


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook request as the helpdesk sends it: raw body, headers, and a query string if it uses one."""

    body: bytes
    headers: dict[str, str]
    query: str = ""


def _announced(standin: StandinServer, ticket_id: int, text: str, announced: str) -> str:
    return announced


@dataclass(frozen=True)
class StandinProfile:
    """How to drive one helpdesk through its stand-in, for tests and benches alike."""

    name: str  # the registry name
    # a new, unstarted stand-in with the profile's credentials; options go to its constructor (validate=,
    # on_note=, requests_per_minute=: the per-minute budget, in whatever form the vendor limits calls)
    standin: Callable[..., StandinServer]
    env: Callable[[StandinServer], dict[str, str]]  # every CLVDESK_<NAME>_* variable for it: webhook and API
    add_ticket: Callable[[StandinServer, int, str], None]  # a ticket (id) whose requester has this email
    # "the customer wrote `text` on ticket N", as event `event_id`, authenticated as of now: the same
    # arguments give the same event (a fresh signature where the vendor's carries a time)
    webhook: Callable[[StandinServer, int, str, str], WebhookRequest]
    notes: Callable[[StandinServer, int], list[str]]  # the private notes on ticket N, as their text
    note_method: str  # the HTTP method of the note's write, for the stand-in's fault controls
    # The id clvdesk gives the event that `webhook(standin, ticket_id, text, event_id)` announces: `event_id`
    # itself where the helpdesk's webhook carries an id, else made of what the delivery names (Help Scout:
    # conversation and thread; Gorgias: ticket and message; Freshdesk: a digest of the body)
    event_id: Callable[[StandinServer, int, str, str], str] = _announced


def profile(name: str) -> StandinProfile:
    """The profile of helpdesk `name`: its stand-in module's PROFILE (clvdesk/standins/<name>.py)."""
    return importlib.import_module(f"clvdesk.standins.{name}").PROFILE
