"""A shop's settings: Shopify from CLVDESK_SHOPIFY_*, WooCommerce from CLVDESK_WOOCOMMERCE_*. Like a helpdesk
account's, each names the shop (its host keys logs, metrics and dedupe), the webhook secrets (comma-separated,
to rotate one) and the API credentials the backfill reads orders with."""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from clvdesk.helpdesk.settings import HelpdeskSettings
from clvdesk.settings import SettingsError, blank_is_unset, load_settings

_SHOP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ShopifySettings(HelpdeskSettings):
    """`shop`: the store's myshopify name (acme or acme.myshopify.com); `webhook_secret`: the app's client
    secret, which signs its webhooks; `access_token`: the Admin API token (custom app or OAuth install)."""

    model_config = SettingsConfigDict(env_prefix="CLVDESK_SHOPIFY_")
    URL_EXAMPLE = "https://acme.myshopify.com"

    shop: str | None = None
    access_token: SecretStr | None = None

    _blank_is_unset = field_validator("access_token", mode="before")(blank_is_unset)

    @field_validator("shop")
    @classmethod
    def _shop(cls, value: str | None) -> str | None:
        if not value:
            return None
        name = value.strip().lower().removeprefix("https://").rstrip("/").removesuffix(".myshopify.com")
        if not _SHOP_NAME.match(name):
            raise ValueError("must be the store's myshopify name, such as acme or acme.myshopify.com")
        return f"{name}.myshopify.com"

    @property
    def account(self) -> str:
        return self.shop or (super().account)

    @property
    def api_url(self) -> str:
        """Where the Admin API is: CLVDESK_SHOPIFY_URL when set (a stand-in), else the shop's own host."""
        return self.url or f"https://{self.shop}"

    def require_receiving(self) -> None:
        if not self.webhook_secret:
            raise SettingsError("CLVDESK_SHOPIFY_WEBHOOK_SECRET is not set; the web process needs it")
        if not self.shop:
            raise SettingsError("CLVDESK_SHOPIFY_SHOP is not set; the web process needs it to name the shop")


class WooCommerceSettings(HelpdeskSettings):
    """`url`: the WordPress site; the REST API key's consumer key and secret; the webhooks' secret."""

    model_config = SettingsConfigDict(env_prefix="CLVDESK_WOOCOMMERCE_")
    URL_EXAMPLE = "https://shop.example.com"

    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None

    _blank_is_unset = field_validator("consumer_key", "consumer_secret", mode="before")(blank_is_unset)


SHOP_SETTINGS = {"shopify": ShopifySettings, "woocommerce": WooCommerceSettings}


def configured_shops() -> dict[str, HelpdeskSettings]:
    """Each shop any of whose variables is set, with its settings (SettingsError for a malformed one)."""
    found = {}
    for name, cls in SHOP_SETTINGS.items():
        settings = load_settings(cls)
        if settings.model_fields_set:
            found[name] = settings
    return found
