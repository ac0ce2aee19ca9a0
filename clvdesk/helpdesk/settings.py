"""What every helpdesk account's settings share: its address, the secrets its webhooks carry, the
language its agents read notes in, and the account id that keys and metrics name it by. Each helpdesk's own settings (CLVDESK_<NAME>_*) extend it."""

from __future__ import annotations

from typing import Annotated, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from clvdesk.settings import SettingsError, account_language, split_secrets


def account_of(url: str) -> str:
    """A helpdesk account's id as keys and metrics name it: its host (acme.zendesk.com, acme.gorgias.com)."""
    return urlsplit(url).netloc


class HelpdeskSettings(BaseSettings):
    """`url` is the account's base address (no path); `webhook_secret` a comma-separated list, so that one
    can be rotated without refusing deliveries."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)
    URL_EXAMPLE: ClassVar[str] = "https://acme.example.com"

    url: str | None = None
    webhook_secret: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    note_language: str | None = None  # the language of the account's notes; unset: CLVDESK_NOTE_LANGUAGE's

    _split_secrets = field_validator("webhook_secret", mode="before")(split_secrets)

    _note_language = field_validator("note_language")(account_language)

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
        return account_of(self.url) if self.url else ""

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        return tuple(secret.get_secret_value() for secret in self.webhook_secret)

    def require_receiving(self) -> None:
        """Raise SettingsError naming what the web process lacks to take this account's webhooks."""
        prefix = self.model_config["env_prefix"]
        if not self.webhook_secret:
            raise SettingsError(f"{prefix}WEBHOOK_SECRET is not set; the web process needs it")
        if not self.url:
            raise SettingsError(f"{prefix}URL is not set; the web process needs it to name the account")
