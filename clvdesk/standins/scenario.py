"""What `clvdesk demo` needs from a stand-in: a started server with sample tickets, the settings that point
clvdesk at it, and the webhook requests that announce the tickets. Each stand-in module provides
`demo_scenario(customers, on_note)`; the demo finds it by the helpdesk's registry name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clvdesk.standins.server import StandinServer

DEMO_CUSTOMERS = (  # (email, how the demo describes them), as clvdesk/data/demo_customers.csv knows them
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
