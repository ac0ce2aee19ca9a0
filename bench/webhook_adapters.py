"""Each helpdesk's webhook adapter, in process: authenticate, read the JSON, parse into the event.

Freshdesk's deliveries carry no signature (a secret compared in constant time) but HTML to read into
text; Zendesk's are HMAC-signed JSON. This prints deliveries per second of each adapter, alternating
rounds, and Freshdesk's rate as a ratio of Zendesk's measured in the same rounds.
Usage: python -m bench.webhook_adapters [N]
"""

from __future__ import annotations

import sys
import time

from bench.harness import median, paired_ratios, table
from clvdesk.helpdesk.freshdesk import FRESHDESK, FreshdeskSettings
from clvdesk.helpdesk.interface import Delivery, Headers
from clvdesk.helpdesk.zendesk import ZENDESK, ZendeskSettings
from clvdesk.json_body import read_json
from clvdesk.standins.freshdesk import html_paragraphs, rule_body, webhook_request
from clvdesk.standins.zendesk import signed_request, ticket_created_event

ROUNDS = 6
SECRET = "bench-webhook-secret-0123456789abcdefghij"
TEXT = "My order #4471 arrived broken. This is ridiculous!! Refund me or I will cancel my account.\nThanks, Ana"


def _deliveries(count: int) -> dict[str, tuple[object, list[Delivery]]]:
    freshdesk = FRESHDESK.webhook(FreshdeskSettings(url="acme", webhook_secret=SECRET))
    zendesk = ZENDESK.webhook(ZendeskSettings(url="https://acme.zendesk.com", webhook_secret=SECRET))

    def delivery(payload: bytes, headers: dict[str, str]) -> Delivery:
        return Delivery(body=payload, headers=Headers(headers), query={}, request_id="bench")

    return {
        "freshdesk": (freshdesk, [delivery(*webhook_request(SECRET, rule_body(
            "ticket_created", ticket_id=str(ticket), text=html_paragraphs(TEXT), requester_id="43000123456",
            requester_email="ana@example.com", updated_at="2026-12-04T09:15:02Z",
        ))) for ticket in range(1, count + 1)]),
        "zendesk": (zendesk, [delivery(*signed_request(SECRET, ticket_created_event(
            ticket_id=ticket, requester_id=9001, subject="Broken", description=TEXT,
        ))) for ticket in range(1, count + 1)]),
    }


def _rate(adapter, deliveries: list[Delivery]) -> float:
    started = time.perf_counter()
    for delivery in deliveries:
        adapter.authenticate(delivery)
        adapter.parse(read_json(delivery.body), delivery)
    return len(deliveries) / (time.perf_counter() - started)


def main(count: int) -> None:
    cases = _deliveries(count)
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, (adapter, deliveries) in cases.items():
            rates[name].append(_rate(adapter, deliveries))
    ratio, spread = paired_ratios(rates["freshdesk"], rates["zendesk"])
    print(table(f"webhook adapters, {count} deliveries x {ROUNDS} rounds (authenticate + read JSON + parse)",
                ["adapter", "deliveries/s (median)"], [[name, median(values)] for name, values in rates.items()]))
    print(f"freshdesk / zendesk: {ratio} (range {spread})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
