"""How fast the Help Scout Dynamic App answers, next to /readyz (one Redis round trip) in the same process.

    python -m bench.helpscout_sidebar [CALLS]

A conversation's suggestion is made by the real web app and worker against the stand-in Help Scout,
then signed Dynamic App calls (verify, read the suggestion, render the sidebar HTML) and /readyz calls go
through the Flask app in alternating rounds; the ratio is per round, then its median.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import API_TOKEN, median, paired_ratios, percentile, scratch_redis, table
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.settings import Settings
from clvdesk.helpdesk.helpscout.webhook import CONVERSATION_CREATED
from clvdesk.standins.helpscout import HelpScoutStandin, dynamic_app_call, signed_delivery
from plugin import create_app
from workers.worker import run_worker

ROUNDS = 5
CONVERSATION = 501
APP_ID, APP_SECRET = "bench-app", "bench-app-secret"
WEBHOOK_SECRET, SIDEBAR_SECRET = "bench-webhook-secret", "bench-sidebar-secret"


def _timed(call, calls: int) -> tuple[float, list[float]]:
    """(calls a second, each call's milliseconds)."""
    took = []
    started = time.perf_counter()
    for _ in range(calls):
        before = time.perf_counter()
        assert call().status_code == 200
        took.append((time.perf_counter() - before) * 1000)
    return calls / (time.perf_counter() - started), took


def main(calls: int) -> None:
    with scratch_redis() as (url, redis, _), tempfile.TemporaryDirectory() as data:
        standin = HelpScoutStandin(app_id=APP_ID, app_secret=APP_SECRET).start()
        try:
            os.environ.update({
                "CLVDESK_HELPSCOUT_APP_ID": APP_ID, "CLVDESK_HELPSCOUT_APP_SECRET": APP_SECRET,
                "CLVDESK_HELPSCOUT_WEBHOOK_SECRET": WEBHOOK_SECRET, "CLVDESK_HELPSCOUT_SIDEBAR_SECRET": SIDEBAR_SECRET,
                "CLVDESK_HELPSCOUT_API_URL": standin.url,
            })
            settings = Settings(redis_url=url, data_dir=Path(data), api_token=API_TOKEN)
            client = create_app(settings, redis=redis).test_client()
            CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=1240, historical_spend=2310)])
            standin.add_customer(9001, "ana@example.com")
            standin.add_conversation(CONVERSATION, 9001)
            standin.customer_wrote(CONVERSATION, "It arrived broken. Refund me or I will cancel my account!")
            payload, signed = signed_delivery(WEBHOOK_SECRET, CONVERSATION_CREATED, standin.webhook_body(CONVERSATION))
            assert client.post("/webhooks/helpscout", data=payload, headers=signed).status_code == 202
            run_worker(settings, redis, burst=True)
            body, headers = dynamic_app_call(SIDEBAR_SECRET, CONVERSATION)
            assert "Suggested offer" in client.post("/apps/helpscout", data=body, headers=headers).json["html"]

            app_rates, base_rates, app_ms, base_ms = [], [], [], []
            for _ in range(ROUNDS):
                rate, took = _timed(lambda: client.post("/apps/helpscout", data=body, headers=headers), calls)
                app_rates.append(rate), app_ms.extend(took)
                rate, took = _timed(lambda: client.get("/readyz"), calls)
                base_rates.append(rate), base_ms.extend(took)
        finally:
            standin.stop()
    ratio, spread = paired_ratios(app_rates, base_rates)
    print(table(f"Help Scout Dynamic App vs /readyz, {ROUNDS} rounds of {calls} calls (Flask in-process)",
                ["endpoint", "calls/s (median round)", "p50 ms", "p99 ms"], [
        ["POST /apps/helpscout", median(app_rates), percentile(app_ms, 0.5), percentile(app_ms, 0.99)],
        ["GET /readyz", median(base_rates), percentile(base_ms, 0.5), percentile(base_ms, 0.99)],
    ]))
    print(f"ratio (Dynamic App / readyz, per round): median {ratio}, range {spread}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
