"""The whole path through real processes: a stand-in Shopify signs an order webhook, `clvdesk web` queues it,
`clvdesk worker` applies it to the customer store in Redis, and the next ticket's note shows the new values."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from clvdesk.standins.shop import ShopifyShop
from clvdesk.standins.zendesk import signed_request, ticket_created_event
from tests.conftest import API_TOKEN, WEBHOOK_SECRET
from tests.test_clv_fresh import fitted, store  # noqa: F401 (fixtures: a store `clv fit` loaded)
from tests.test_shop import SHOPIFY_SECRET

CLVDESK = [sys.executable, "-m", "clvdesk"]
SHOP = ShopifyShop("acme.myshopify.com", SHOPIFY_SECRET)


def days_ago(days: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, message: str) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, message
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def processes(settings, zendesk_env, tmp_path, store):  # noqa: F811
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CLVDESK_")}, **zendesk_env,
           "CLVDESK_REDIS_URL": settings.redis_url, "CLVDESK_API_TOKEN": API_TOKEN, "CLVDESK_DATA_DIR": str(tmp_path),
           "CLVDESK_SHOPIFY_SHOP": "acme", "CLVDESK_SHOPIFY_WEBHOOK_SECRET": SHOPIFY_SECRET}
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    web = subprocess.Popen([*CLVDESK, "web", "--port", str(port)], env=env, stderr=log, start_new_session=True)
    worker = subprocess.Popen([*CLVDESK, "worker"], env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            assert web.poll() is None, (tmp_path / "web.log").read_text()
            return False

    try:
        wait_for(up, 30, "clvdesk web did not start")
        yield url
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # a loaded machine: never leave a worker to eat later tests' jobs
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log.close()


def test_orders_reach_the_customer_and_the_next_note(processes, store, standin):  # noqa: F811
    url = processes + "/webhooks/shopify"
    # a first order warms the worker up (its first shop job loads the CLV models), as any running one is
    warm = SHOP.order(email="warm@example.com", customer_id=7999, total="1.00", created_at=days_ago(3))
    assert SHOP.send(url, "orders/create", warm)[0] == 202
    wait_for(lambda: store.find(email="warm@example.com") is not None, 30, "the worker never took the first order")
    order = SHOP.order(email="ana@example.com", customer_id=7001, total="80.00", created_at=days_ago(2))
    status, answer = SHOP.send(url, "orders/create", order, webhook_id="wh-live-1")
    assert status == 202, answer
    seconds = wait_for(lambda: store.find(email="ana@example.com") is not None, 5, "the order never reached the store")
    assert seconds < 1.0, f"the order took {seconds:.2f} s to reach the customer store"
    first = store.find(email="ana@example.com")
    assert first.historical_spend == 80.0 and first.p_alive is not None and first.segment == "new"

    repeat = SHOP.order(email="ana@example.com", customer_id=7001, total="45.50", created_at=days_ago(1))
    assert SHOP.send(url, "orders/paid", repeat, webhook_id="wh-live-2")[0] == 202
    wait_for(lambda: store.find(email="ana@example.com").historical_spend == 125.5, 5, "the repeat order was not counted")
    assert store.find(email="ana@example.com").frequency == 1.0

    status, answer = SHOP.send(url, "orders/paid", repeat, webhook_id="wh-live-2")  # Shopify's retry
    assert (status, answer["status"]) == (200, "duplicate")
    status, _ = SHOP.send(url, "orders/updated", repeat, webhook_id="wh-live-3")  # the same order again
    assert status == 202
    time.sleep(0.5)
    assert store.find(email="ana@example.com").historical_spend == 125.5

    refund = SHOP.refund(repeat, amount="20.00", created_at=days_ago(0))
    assert SHOP.send(url, "refunds/create", refund, webhook_id="wh-live-4")[0] == 202
    wait_for(lambda: store.find(email="ana@example.com").historical_spend == 105.5, 5, "the refund did not lower spend")

    # the next ticket's note shows the values the orders made
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(101, requester_id=901)
    body, headers = signed_request(WEBHOOK_SECRET, ticket_created_event(ticket_id=101, requester_id=901, subject="Broken",
                                                                         description="It arrived broken!", event_id="evt-live"))
    request = urllib.request.Request(processes + "/webhooks/zendesk", data=body, headers=headers, method="POST")
    assert urllib.request.urlopen(request, timeout=5).status == 202
    wait_for(lambda: standin.notes(101), 10, "no note was posted")
    assert "spent so far $105.50" in standin.notes(101)[0]["body"]

    redact = {"shop_id": 1, "shop_domain": "acme.myshopify.com", "customer": {"id": 7001, "email": "ana@example.com"},
              "orders_to_redact": [order["id"], repeat["id"]]}
    assert SHOP.send(url, "customers/redact", redact, webhook_id="wh-live-5")[0] == 202
    wait_for(lambda: store.find(email="ana@example.com") is None and store.find(customer_id="7001") is None, 5,
             "the redacted customer is still in the store")
