"""What every helpdesk account's settings share: its address, the secrets its webhooks carry, and the
account id that keys and metrics name it by. Each helpdesk's own settings (CLVDESK_<NAME>_*) extend it."""

from __future__ import annotations

from typing import Annotated, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from clvdesk.settings import split_secrets


class HelpdeskSettings(BaseSettings):
    """`url` is the account's base address (no path); `webhook_secret` a comma-separated list, so that one
    can be rotated without refusing deliveries."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)
    URL_EXAMPLE: ClassVar[str] = "https://acme.example.com"

    url: str | None = None
    webhook_secret: Annotated[tuple[SecretStr, ...], NoDecode] = ()

    _split_secrets = field_validator("webhook_secret", mode="before")(split_secrets)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL such as {cls.URL_EXAMPLE}")
        if parts.path.strip("/") or parts.query:
            raise ValueError(f"must be the account's base URL, without a path ({cls.URL_EXAMPLE})")
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def account(self) -> str:
        """The account's host (acme.zendesk.com): what keys and metrics name it by."""
        return urlsplit(self.url).netloc if self.url else "default"

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        return tuple(secret.get_secret_value() for secret in self.webhook_secret)

    @property
    def receives(self) -> bool:
        return bool(self.webhook_secret)
