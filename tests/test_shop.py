"""Shop orders into the customer store: the ledger's rule is the CLV engine's, an order counts once, an
update replaces, a refund lowers spend once, other currencies are refused, a redact erases; and the
webhooks refuse bad signatures and malformed orders with a precise 4xx, storing nothing."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pytest

from clvdesk.clv.segments import SEGMENTS
from clvdesk.clv.summary import summarize
from clvdesk.customers import CurrencyMismatch
from clvdesk.shop import history, shopify
from clvdesk.shop.changes import CustomerRef, Order, PrivacyRequest, Refund, from_job, to_job
from clvdesk.shop.signature import sign
from clvdesk.shop.updates import ShopUpdater
from clvdesk.standins.shop import ShopifyShop, WooCommerceShop
from plugin import create_app
from tests.test_clv_fresh import fitted, store  # noqa: F401 (fixtures: customers `clv fit` scored, for both models)

NOW = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)  # nine days after the fit's instant (tests.test_clv_fresh)
SHOPIFY_SECRET = "shpss_test_secret_0123456789abcdef"
WOO_SECRET = "woo-webhook-secret-0123456789"
ANA = CustomerRef("7001", "ana@example.com")


def order(order_id, day, amount, *, counted=True, refunds=None, customer=ANA, currency="USD"):
    return Order("shopify", order_id, customer, date.fromisoformat(day), amount, currency, counted,
                 {rid: (date.fromisoformat(d), a) for rid, (d, a) in (refunds or {}).items()})


@pytest.fixture
def updater(redis, tmp_path):
    return ShopUpdater(redis, exports=tmp_path / "exports")


def test_statistics_follow_the_clv_engines_summary():
    # same-day orders are one purchase, a refund on a purchase day nets off it, one on another day lowers spend only
    rows = [("2026-01-05", 40.0), ("2026-01-05", 10.0), ("2026-01-19", 30.0), ("2026-01-26", -5.0), ("2026-02-02", 0.0)]
    doc = history.new_ledger()
    doc = history.apply(doc, order("1", "2026-01-05", 40.0))
    doc = history.apply(doc, order("2", "2026-01-05", 10.0))
    doc = history.apply(doc, order("3", "2026-01-19", 30.0))
    doc = history.apply(doc, Refund("shopify", "3", "r1", date(2026, 1, 26), 5.0, "USD"))
    doc = history.apply(doc, order("4", "2026-02-02", 0.0))
    stats = history.statistics(doc)
    frame = pd.DataFrame({"customer_id": "a", "email": None, "date": pd.to_datetime([d for d, _ in rows]),
                          "amount": [a for _, a in rows]})
    expected = summarize(frame, time_unit="day").loc["a"]
    assert stats.frequency == expected["frequency"] == 2
    assert (stats.last - stats.first).days == expected["recency"]
    assert stats.monetary_value == pytest.approx(expected["monetary_value"])
    assert stats.historical_spend == pytest.approx(expected["historical_spend"]) == 75.0


def test_changes_survive_the_job_round_trip():
    change = order("9", "2026-03-05", 12.5, refunds={"r": ("2026-03-06", 2.5)})
    assert from_job(to_job(change)) == change


def test_an_order_counts_once_an_update_replaces_and_a_refund_counts_once(store, updater):
    assert updater.apply(order("1", "2026-03-03", 80.0), now=NOW) == "counted"
    first = store.find(email="ana@example.com")
    assert (first.historical_spend, first.frequency, first.customer_id) == (80.0, 0.0, "7001")
    assert first.segment == "new" and first.value_tier is not None and 0 < first.p_alive <= 1

    assert updater.apply(order("1", "2026-03-03", 80.0), now=NOW) == "unchanged"
    assert store.find(email="ana@example.com") == first

    assert updater.apply(order("1", "2026-03-03", 60.0), now=NOW) == "counted"  # edited: replaces, does not add
    assert store.find(email="ana@example.com").historical_spend == 60.0

    updater.apply(order("2", "2026-03-08", 25.0), now=NOW)
    repeat = store.find(customer_id="7001")
    assert (repeat.historical_spend, repeat.frequency, repeat.recency) == (85.0, 1.0, pytest.approx(5 / 7))
    assert repeat.residual_clv != first.residual_clv

    refund = Refund("shopify", "2", "r-1", date(2026, 3, 9), 10.0, "USD")
    assert updater.apply(refund, now=NOW) == "counted"
    assert updater.apply(refund, now=NOW) == "unchanged"
    assert store.find(email="ana@example.com").historical_spend == 75.0
    # the order's next update lists the same refund: still counted once
    updater.apply(order("2", "2026-03-08", 25.0, refunds={"r-1": ("2026-03-09", 10.0)}), now=NOW)
    assert store.find(email="ana@example.com").historical_spend == 75.0


def test_a_cancelled_order_takes_back_what_it_added(store, updater):
    updater.apply(order("1", "2026-03-03", 80.0), now=NOW)
    updater.apply(order("2", "2026-03-05", 20.0), now=NOW)
    updater.apply(order("2", "2026-03-05", 20.0, counted=False), now=NOW)
    found = store.find(email="ana@example.com")
    assert (found.historical_spend, found.frequency) == (80.0, 0.0)
    updater.apply(order("1", "2026-03-03", 80.0, counted=False), now=NOW)
    assert store.find(email="ana@example.com") is None  # nothing they bought counts


def test_a_fitted_customer_keeps_their_history_and_gains_the_new_order(store, updater, fitted):
    _, scores = fitted
    repeat_buyer = scores[scores["frequency"] >= 2].index[0]
    before = store.find(customer_id=repeat_buyer)
    updater.apply(order("55", "2026-03-06", 40.0, customer=CustomerRef(repeat_buyer, None)), now=NOW)
    after = store.find(customer_id=repeat_buyer)
    assert after.frequency == before.frequency + 1
    assert after.historical_spend == pytest.approx(before.historical_spend + 40.0)
    assert after.T == pytest.approx(before.T, abs=1 / 7)  # the first purchase stays where the fit put it
    assert after.segment in SEGMENTS and after.p_alive > before.p_alive - 1e-9


def test_one_store_holds_one_currency(store, updater):
    updater.apply(order("1", "2026-03-03", 80.0), now=NOW)
    bob = CustomerRef("7002", "bob@example.com")
    with pytest.raises(CurrencyMismatch, match="the order is in EUR, the customer store in USD"):
        updater.apply(order("2", "2026-03-03", 50.0, customer=bob, currency="EUR"), now=NOW)
    assert store.find(email="bob@example.com") is None


def test_redact_erases_the_customer_and_data_request_exports_without_naming_them(store, updater, tmp_path, caplog):
    updater.apply(order("1", "2026-03-03", 80.0), now=NOW)
    caplog.set_level("INFO", logger="clvdesk.shop")
    assert updater.apply(PrivacyRequest("shopify", "acme.myshopify.com", "data_request", "dr-1", ANA)) == "exported"
    assert "ana@example.com" in (tmp_path / "exports" / "shopify-dr-1.json").read_text()
    assert updater.apply(PrivacyRequest("shopify", "acme.myshopify.com", "redact", "rd-1", ANA)) == "erased"
    assert store.find(email="ana@example.com") is None and store.find(customer_id="7001") is None
    assert updater.ledgers.owner("shopify:1") is None
    assert "ana@example.com" not in caplog.text and "7001" not in caplog.text


# --- the webhooks ----------------------------------------------------------------------------------------


@pytest.fixture
def shop_app(settings, redis, monkeypatch):
    monkeypatch.setenv("CLVDESK_SHOPIFY_SHOP", "acme")
    monkeypatch.setenv("CLVDESK_SHOPIFY_WEBHOOK_SECRET", SHOPIFY_SECRET)
    monkeypatch.setenv("CLVDESK_WOOCOMMERCE_URL", "https://shop.example.com")
    monkeypatch.setenv("CLVDESK_WOOCOMMERCE_WEBHOOK_SECRET", WOO_SECRET)
    return create_app(settings, redis=redis).test_client()


SHOPIFY = ShopifyShop("acme.myshopify.com", SHOPIFY_SECRET)
WOO = WooCommerceShop("https://shop.example.com", WOO_SECRET)
ANA_ORDER = SHOPIFY.order(email="ana@example.com", customer_id=7001, total="80.00", created_at="2026-03-03T10:00:00-05:00")


def post(client, url, body, headers):
    return client.post(url, data=body, headers=headers)


def test_a_signed_order_is_queued_once(shop_app, redis):
    body, headers = SHOPIFY.delivery("orders/create", ANA_ORDER, webhook_id="wh-1")
    first = post(shop_app, "/webhooks/shopify", body, headers)
    assert first.status_code == 202 and first.json["status"] == "queued"
    again = post(shop_app, "/webhooks/shopify", body, headers)
    assert again.status_code == 200 and again.json == {"status": "duplicate", "job_id": first.json["job_id"]}


@pytest.mark.parametrize("tamper, status, code, says", [
    (lambda b, h: (b, {**h, "X-Shopify-Hmac-Sha256": ShopifyShop("acme.myshopify.com", "wrong").delivery("orders/create", ANA_ORDER)[1]["X-Shopify-Hmac-Sha256"]}),
     401, "invalid_signature", "not the HMAC-SHA256"),
    (lambda b, h: (b + b" ", h), 401, "invalid_signature", "not the HMAC-SHA256"),
    (lambda b, h: (b, {k: v for k, v in h.items() if k != "X-Shopify-Hmac-Sha256"}), 401, "invalid_signature", "missing X-Shopify-Hmac-Sha256"),
    (lambda b, h: SHOPIFY.delivery("orders/create", {**ANA_ORDER, "total_price_set": None, "total_price": "12,50"}),
     400, "invalid_payload", "total_price '12,50' is not a decimal amount"),
    (lambda b, h: SHOPIFY.delivery("orders/create", {**ANA_ORDER, "created_at": "yesterday", "processed_at": None}),
     400, "invalid_payload", "created_at 'yesterday' is not an ISO 8601 timestamp"),
])
def test_bad_shopify_deliveries_get_a_precise_4xx_and_store_nothing(shop_app, redis, tamper, status, code, says):
    body, headers = tamper(*SHOPIFY.delivery("orders/create", ANA_ORDER))
    answer = post(shop_app, "/webhooks/shopify", body, headers)
    assert answer.status_code == status and answer.json["error"] == code and says in answer.json["message"]
    assert not list(redis.scan_iter(match="*shop:delivery*")) and not list(redis.scan_iter(match="rq:job:*"))


def test_malformed_json_that_is_signed_is_a_400(shop_app):
    body = b"{not json"
    _, headers = SHOPIFY.delivery("orders/create", {})
    headers["X-Shopify-Hmac-Sha256"] = sign(SHOPIFY_SECRET, body)
    answer = post(shop_app, "/webhooks/shopify", body, headers)
    assert answer.status_code == 400 and answer.json["error"] == "malformed_json"


def test_another_shops_webhook_is_refused(shop_app):
    body, headers = ShopifyShop("other.myshopify.com", SHOPIFY_SECRET).delivery("orders/create", ANA_ORDER)
    answer = post(shop_app, "/webhooks/shopify", body, headers)
    assert answer.status_code == 401 and "X-Shopify-Shop-Domain" in answer.json["message"]


def test_test_orders_are_ignored(shop_app):
    body, headers = SHOPIFY.delivery("orders/create", {**ANA_ORDER, "test": True})
    answer = post(shop_app, "/webhooks/shopify", body, headers)
    assert answer.status_code == 200 and answer.json["status"] == "ignored"


def test_woocommerce_ping_signed_orders_and_redelivery(shop_app):
    ping = shop_app.post("/webhooks/woocommerce", data=b"webhook_id=7", content_type="application/x-www-form-urlencoded")
    assert ping.status_code == 200 and ping.json == {"status": "ping"}
    unsigned = shop_app.post("/webhooks/woocommerce", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 401
    payload = WOO.order(email="ana@example.com", customer_id=0, total="30.00", created_at="2026-03-03T10:00:00")
    body, headers = WOO.delivery("order.created", payload)
    assert post(shop_app, "/webhooks/woocommerce", body, headers).status_code == 202
    body, headers = WOO.delivery("order.created", payload)  # a new delivery id, the same event
    assert post(shop_app, "/webhooks/woocommerce", body, headers).json["status"] == "duplicate"


def test_helpdesk_webhooks_still_pass_through(shop_app):
    assert shop_app.post("/webhooks/nowhere", json={}).status_code == 404


def test_a_woocommerce_refund_arrives_as_an_order_update_and_counts_once(store, updater):
    from clvdesk.shop import woocommerce

    placed = WOO.order(email="ana@example.com", customer_id=0, total="30.00", created_at="2026-03-03T10:00:00",
                       order_id=501)
    updater.apply(woocommerce.parse("order.created", placed), now=NOW)
    refunded = {**placed, "date_modified_gmt": "2026-03-05T09:00:00", "refunds": [{"id": 77, "reason": "", "total": "-12.00"}]}
    updater.apply(woocommerce.parse("order.updated", refunded), now=NOW)
    later = {**refunded, "date_modified_gmt": "2026-03-06T09:00:00", "status": "completed"}  # another update, same refund
    assert updater.apply(woocommerce.parse("order.updated", later), now=NOW) == "unchanged"
    found = store.find(email="ana@example.com")
    assert (found.historical_spend, found.customer_id) == (18.0, None)


def test_an_email_change_moves_the_customer(store, updater):
    updater.apply(order("1", "2026-03-03", 80.0), now=NOW)
    updater.apply(shopify.parse("customers/update", {"id": 7001, "email": "Ana.New@Example.com"},
                                shop="acme.myshopify.com", webhook_id="w"))
    assert store.find(email="ana@example.com") is None
    assert store.find(email="ana.new@example.com").historical_spend == 80.0
    updater.apply(order("2", "2026-03-08", 20.0, customer=CustomerRef("7001", "ana.new@example.com")), now=NOW)
    assert store.find(customer_id="7001").historical_spend == 100.0


def test_shop_redact_erases_everyone_the_shop_sent_and_no_one_else(store, updater, fitted):
    _, scores = fitted
    fitted_only = scores.index[5]
    updater.apply(order("1", "2026-03-03", 80.0), now=NOW)
    updater.apply(order("2", "2026-03-03", 50.0, customer=CustomerRef("7002", "bob@example.com")), now=NOW)
    assert updater.apply(PrivacyRequest("shopify", "acme.myshopify.com", "shop_redact", "sr-1")) == "erased"
    assert store.find(email="ana@example.com") is None and store.find(email="bob@example.com") is None
    assert store.find(customer_id=fitted_only) is not None
    assert list(updater.ledgers.customers()) == []


def test_a_cancelled_first_order_leaves_a_customer_the_shop_did_not_make(redis, updater):
    from clvdesk.customers import CustomerStore, CustomerValue

    store = CustomerStore(redis)
    store.replace_all([CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=900, tier="vip")])
    updater.apply(order("1", "2026-03-03", 80.0, counted=False), now=NOW)
    assert store.find(email="ana@example.com").historical_spend == 900


@pytest.mark.parametrize("change, says", [
    ({"refunds": 5}, "refunds is not a JSON array"),
    ({"refunds": [{"id": 1, "created_at": "2026-03-04T00:00:00Z", "transactions": "all"}]}, "transactions is not a JSON array"),
    ({"refunds": ["x"]}, "refunds[0] is not a JSON object"),
    ({"total_price_set": {"shop_money": 3}}, "total_price_set.shop_money is not a JSON object"),
    ({"total_price_set": {"shop_money": {"amount": "NaN"}}}, "is not a finite amount"),
    ({"total_price_set": None, "total_price": "1e999999"}, "is not a finite amount"),
    ({"id": 12.5}, "id '12.5' is not an id"),
    ({"currency": "dollars"}, "is not an ISO 4217 currency code"),
])
def test_malformed_orders_are_400s_that_name_the_field(shop_app, redis, change, says):
    body, headers = SHOPIFY.delivery("orders/paid", {**ANA_ORDER, **change})
    answer = post(shop_app, "/webhooks/shopify", body, headers)
    assert answer.status_code == 400 and says in answer.json["message"], answer.json
    assert not list(redis.scan_iter(match="rq:job:*"))
