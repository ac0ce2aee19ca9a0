"""A Freshdesk account's settings, from CLVDESK_FRESHDESK_*: its URL, the agent API key the worker posts
with, and the secrets its automation rules' webhooks carry."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from clvdesk.defaults import FRESHDESK_REQUESTS_PER_MINUTE, MIN_TOKEN_CHARS
from clvdesk.helpdesk.settings import HelpdeskSettings
from clvdesk.settings import SettingsError, blank_is_unset

NAME = "freshdesk"
ENV_PREFIX = "CLVDESK_FRESHDESK_"
ACCOUNT_HOST = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.freshdesk\.com$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")  # stand-ins, in tests and `clvdesk demo`


def _account_url(value: str) -> str:
    """API v2 answers only on the account's own https://<name>.freshdesk.com, never on a custom domain."""
    text = value.strip().lower().rstrip("/")
    if "://" not in text:
        text = "https://" + (text if "." in text else f"{text}.freshdesk.com")
    parts = urlsplit(text)
    if parts.path or parts.query:
        raise ValueError("must be the account's base URL, without a path (https://acme.freshdesk.com)")
    if parts.hostname in LOOPBACK_HOSTS and parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    if parts.scheme != "https" or not ACCOUNT_HOST.match(parts.netloc):
        raise ValueError(
            "must be the account's https://<name>.freshdesk.com (Freshdesk's API v2 does not answer on a custom domain)"
        )
    return f"https://{parts.netloc}"


class FreshdeskSettings(HelpdeskSettings):
    """Everything clvdesk reads about one Freshdesk account. Secrets have no defaults."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    URL_EXAMPLE = "https://acme.freshdesk.com"

    api_key: SecretStr | None = None
    requests_per_minute: Annotated[float, Field(gt=0)] = FRESHDESK_REQUESTS_PER_MINUTE

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _account_url(value) if value else None

    _blank_is_unset = field_validator("api_key", mode="before")(blank_is_unset)

    @field_validator("webhook_secret")
    @classmethod
    def _long_secrets(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        """Nothing signs a Freshdesk webhook: the secret alone proves it, so it must be beyond guessing."""
        if any(len(secret.get_secret_value()) < MIN_TOKEN_CHARS for secret in value):
            raise ValueError(f"each secret must be at least {MIN_TOKEN_CHARS} characters long (openssl rand -hex 32 makes one)")
        if any(":" in secret.get_secret_value() for secret in value):
            raise ValueError("a secret cannot contain ':' (it is also sent as a Basic auth password)")
        return value

    def require_posting(self) -> None:
        """Raise SettingsError naming what the worker lacks to post notes."""
        for field, value in (("URL", self.url), ("API_KEY", self.api_key)):
            if not value:
                raise SettingsError(f"{ENV_PREFIX}{field} is not set; the worker needs it to post notes on Freshdesk")
