"""A Gorgias account's settings, from CLVDESK_GORGIAS_*."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from clvdesk.defaults import GORGIAS_BURST, GORGIAS_REQUESTS_PER_MINUTE, GORGIAS_WINDOW_SECONDS, MIN_TOKEN_CHARS
from clvdesk.helpdesk.gorgias.ids import gorgias_id
from clvdesk.settings import SettingsError, blank_is_unset, split_secrets

NAME = "gorgias"
ENV_PREFIX = "CLVDESK_GORGIAS_"


class GorgiasSettings(BaseSettings):
    """The account's URL, the REST API key the worker posts with (and the user its notes are from), and the
    secrets the account's HTTP integrations send in their header."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    url: str | None = None  # https://acme.gorgias.com
    email: str | None = None  # the user whose API key it is: Basic auth's username
    api_key: SecretStr | None = None
    sender_user_id: Annotated[str, AfterValidator(gorgias_id)] | None = None  # the user the notes are posted as
    webhook_secret: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    requests_per_minute: Annotated[float, Field(gt=0)] = GORGIAS_REQUESTS_PER_MINUTE
    burst: Annotated[int, Field(ge=1)] = GORGIAS_BURST
    window_seconds: Annotated[float, Field(gt=0)] = GORGIAS_WINDOW_SECONDS  # 10 on Enterprise accounts

    _blank_is_unset = field_validator("api_key", "sender_user_id", mode="before")(blank_is_unset)
    _split_secrets = field_validator("webhook_secret", mode="before")(split_secrets)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://acme.gorgias.com")
        if parts.path.strip("/") not in ("", "api") or parts.query:
            raise ValueError("must be the account's address, without a path (https://acme.gorgias.com)")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("webhook_secret")
    @classmethod
    def _long_enough(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        """Unlike a signing key, this secret travels in the request and is compared against guesses."""
        if any(len(secret.get_secret_value()) < MIN_TOKEN_CHARS for secret in value):
            raise ValueError(f"each secret must be at least {MIN_TOKEN_CHARS} characters long (openssl rand -hex 32 makes one)")
        return value

    @property
    def account(self) -> str:
        """The account's host (acme.gorgias.com): what keys and metrics name it by."""
        return urlsplit(self.url).netloc if self.url else "default"

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        return tuple(secret.get_secret_value() for secret in self.webhook_secret)

    @property
    def receives(self) -> bool:
        return bool(self.webhook_secret)

    @property
    def posts(self) -> bool:
        return bool(self.url and self.email and self.api_key and self.sender_user_id)

    def require_posting(self) -> None:
        """Raise SettingsError naming the first thing the worker lacks to post notes."""
        for field in ("url", "email", "api_key", "sender_user_id"):
            if not getattr(self, field):
                raise SettingsError(f"{ENV_PREFIX}{field.upper()} is not set; the worker needs it to post notes")
