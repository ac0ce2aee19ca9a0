"""POST /webhooks/shopify and /webhooks/woocommerce: the configured shops' webhooks, answered in front of Flask
by the same WSGI layer as the helpdesks' (size limit, JSON errors, headers), through clvdesk.shop.receiver."""

from __future__ import annotations

from redis import Redis

from clvdesk.metrics import Metrics
from clvdesk.shop.receiver import ShopifyWebhook, ShopReceiver, WooCommerceWebhook
from clvdesk.shop.settings import configured_shops
from plugin.webhooks import WebhookEndpoint, WSGIApp
from workers.shop_queue import ShopEnqueuer

_WEBHOOKS = {"shopify": ShopifyWebhook, "woocommerce": WooCommerceWebhook}


def in_front(app: WSGIApp, redis: Redis, metrics: Metrics, *, timeout: int) -> WSGIApp:
    """`app` with the configured shops' webhooks answered before it (`app` itself when no shop is configured);
    SettingsError when a configured shop lacks what its webhooks need."""
    shops = configured_shops()
    for settings in shops.values():
        settings.require_receiving()
    if not shops:
        return app
    adapters = {name: _WEBHOOKS[name](settings) for name, settings in shops.items()}
    return WebhookEndpoint(app, ShopReceiver(adapters, ShopEnqueuer(redis, timeout=timeout), metrics), others_to_app=True)
