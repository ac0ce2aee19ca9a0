"""`clvdesk shop import`: every order pulled once through the stand-ins' paged APIs and rate limits, resumed
after a kill without pulling a page twice, and the store it loads is the one `clv fit` loads from the same
orders exported as CSV."""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datetime import date

from clvdesk.customers import CustomerStore, ShopLedgers
from clvdesk.shop.changes import CustomerRef, Order
from clvdesk.shop.updates import ShopUpdater
from clvdesk.shop.backfill import CHECKPOINT, ORDERS_QUERY, ShopifyOrders, run
from clvdesk.standins.shop import ShopifyShop, ShopifyStandin, WooCommerceShop, WooCommerceStandin

CLVDESK = [sys.executable, "-m", "clvdesk"]
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "shop" / "shopify" / "admin_schema_2025-01.json.gz"
CUSTOMERS = 120
KEY, SECRET = "ck_test_0123456789", "cs_test_0123456789"


def woo_orders(count: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    shop = WooCommerceShop("https://shop.example.com", "s")
    # customers buy at their own rates and spend around their own means, as the models assume
    orders, means, rates = [], [rng.lognormvariate(3.5, 0.8) for _ in range(CUSTOMERS)], [rng.gammavariate(0.5, 1) for _ in range(CUSTOMERS)]
    for n in range(count):
        who = rng.choices(range(CUSTOMERS), weights=rates)[0]
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00"
        status = rng.choice(["completed"] * 8 + ["processing", "cancelled", "pending"])
        refunds = [{"id": 90000 + n, "reason": "", "total": "-5.00"}] if rng.random() < 0.1 else []
        orders.append(shop.order(email=f"c{who}@example.com", customer_id=who if who % 5 else 0,
                                 total=f"{means[who] * rng.gammavariate(4, 0.25):.2f}", created_at=day, status=status, refunds=refunds,
                                 modified_at=day))
    return orders


def exported_csv(orders: list[dict], path: Path) -> Path:
    """The orders as a shop owner would export them for `clv fit`: counted ones, refunds as negative rows."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "email", "date", "amount"])
        for order in orders:
            if order["status"] not in ("completed", "processing", "on-hold", "refunded"):
                continue
            email = order["billing"]["email"]
            who = str(order["customer_id"]) if order["customer_id"] else email
            writer.writerow([who, email, order["date_created_gmt"][:10], order["total"]])
            for refund in order["refunds"]:
                writer.writerow([who, email, order["date_modified_gmt"][:10], refund["total"]])
    return path


@pytest.fixture
def woo():
    standin = WooCommerceStandin(consumer_key=KEY, consumer_secret=SECRET, requests_per_minute=1, rate_window_seconds=1)
    standin.orders = woo_orders(350)
    with standin:
        yield standin
    assert standin.violations == []


def env_for(redis_url: str, data_dir: Path, **shop: str) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    return {**clean, "CLVDESK_REDIS_URL": redis_url, "CLVDESK_DATA_DIR": str(data_dir), **shop}


def test_the_woocommerce_import_resumes_after_a_kill_and_matches_clv_fit(woo, redis, redis_url, tmp_path):
    env = env_for(redis_url, tmp_path, CLVDESK_WOOCOMMERCE_URL=woo.url, CLVDESK_WOOCOMMERCE_CONSUMER_KEY=KEY,
                  CLVDESK_WOOCOMMERCE_CONSUMER_SECRET=SECRET)
    checkpoint = tmp_path / "shop-import" / "woocommerce" / CHECKPOINT
    webhook_order = Order("woocommerce", "9999", CustomerRef("1", "c1@example.com"), date(2025, 6, 1), 10.0, "EUR", True)
    ShopUpdater(redis, exports=tmp_path).apply(webhook_order)  # a customer the webhooks had fed before the import
    first = subprocess.Popen([*CLVDESK, "shop", "import", "woocommerce"], env=env, stderr=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (checkpoint.exists() and json.loads(checkpoint.read_text())["pages"] >= 2):
        assert time.monotonic() < deadline and first.poll() is None, "the first run never got two pages in"
        time.sleep(0.01)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(5)
    done_before = json.loads(checkpoint.read_text())["pages"]
    assert done_before < 4, "the first run finished before it could be killed"
    asked_before = len(woo.requests)

    second = subprocess.run([*CLVDESK, "shop", "import", "woocommerce", "--model", "bgnbd"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    resumed = [int(r.query.get("page", ["1"])[0]) for r in woo.requests[asked_before:] if r.status == 200]
    assert resumed == list(range(done_before + 1, 5))  # no page pulled twice
    assert woo.rate_limited > 0  # the host's 429s were waited out

    merged = tmp_path / "shop-import" / "woocommerce" / "orders.csv"
    exported = exported_csv(woo.orders, tmp_path / "export.csv")
    key = lambda row: tuple(row)  # noqa: E731
    with merged.open() as a, exported.open() as b:
        pulled, expected = list(csv.reader(a)), list(csv.reader(b))
    assert pulled[0] == expected[0]
    assert sorted(pulled[1:], key=key) == sorted(
        [[w, e, d, repr(float(x))] for w, e, d, x in expected[1:]], key=key)

    store = CustomerStore(redis)
    assert list(ShopLedgers(store).customers()) == []  # the fit holds the full history now: next orders start from it
    imported = {email: store.find(email=email) for email in (f"c{n}@example.com" for n in range(CUSTOMERS))}
    fit = subprocess.run([*CLVDESK, "clv", "fit", str(exported), "--model", "bgnbd"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert fit.returncode == 0, fit.stderr
    refitted = {email: store.find(email=email) for email in imported}
    assert sum(value is not None for value in imported.values()) > CUSTOMERS / 2
    for email, value in imported.items():
        if value is None:
            assert refitted[email] is None
            continue
        assert refitted[email].historical_spend == pytest.approx(value.historical_spend)
        assert refitted[email].residual_clv == pytest.approx(value.residual_clv, rel=1e-9)
        assert refitted[email].segment == value.segment


def test_the_shopify_import_pages_within_the_cost_limit_and_skips_test_orders(tmp_path):
    shop = ShopifyShop("acme.myshopify.com", "s")
    orders = [shop.order(email=f"c{n % 30}@example.com", customer_id=100 + n % 30, total=f"{10 + n}.00",
                         created_at=f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z", test=n % 50 == 0) for n in range(240)]
    orders[3]["refunds"] = [shop.refund(orders[3], amount="4.00", created_at="2025-04-10T10:00:00Z")]
    with ShopifyStandin(access_token="shpat_test", bucket=130, restore_rate=200) as standin:
        standin.orders = orders
        started = time.monotonic()
        merged = run(ShopifyOrders(standin.url, "shpat_test", page_size=50), tmp_path / "paced")
        # each page of 50 costs 102 of the 130 points: the client waits for the bucket instead of being throttled
        assert standin.throttled == 0 and time.monotonic() - started >= 4 * (102 - 28) / 200
        standin.drain()  # another app emptied the bucket: the first query is THROTTLED and waited out
        again = run(ShopifyOrders(standin.url, "shpat_test", page_size=50), tmp_path / "drained")
        assert standin.throttled >= 1 and again.read_text() == merged.read_text()
    with merged.open() as out:
        rows = list(csv.DictReader(out))
    assert len(rows) == 240 - 5 + 1  # five test orders left out, one refund row
    assert {"customer_id": "103", "email": "c3@example.com", "date": "2025-04-10", "amount": "-4.0"} in rows
    assert all(len(row["customer_id"]) == 3 for row in rows)  # ids read as text


def _named_fields(query: str) -> list[tuple[list[str], str]]:
    """(path of parent fields, field) for every field the query selects."""
    body = re.sub(r"\([^)]*\)", "", query[query.index("{") + 1: query.rindex("}")])
    found, path, last = [], [], None
    for token in re.findall(r"[A-Za-z_]+|[{}]", body):
        if token == "{":
            path.append(last)
        elif token == "}":
            path.pop()
        else:
            found.append((list(path), token))
            last = token
    return found


@pytest.mark.skipif(not SCHEMA.exists(), reason="the saved Shopify Admin schema is not in ../shared")
def test_the_orders_query_names_only_fields_of_the_saved_admin_schema():
    types = {t["name"]: t for t in json.load(gzip.open(SCHEMA))["data"]["__schema"]["types"]}

    def type_name(ref):
        while ref.get("ofType"):
            ref = ref["ofType"]
        return ref["name"]

    for path, name in _named_fields(ORDERS_QUERY):
        current = "QueryRoot"
        for parent in path:
            current = type_name(next(f for f in types[current]["fields"] if f["name"] == parent)["type"])
        assert name in {f["name"] for f in types[current]["fields"]}, f"{'.'.join(path + [name])} is not in {current}"
