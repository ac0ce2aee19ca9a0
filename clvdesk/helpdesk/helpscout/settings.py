"""A Help Scout account's settings, from CLVDESK_HELPSCOUT_*.

The OAuth app (Your Profile > My apps) gives an App ID and App Secret, which OAuth calls client id and
client secret: either name is read. The webhook and the Dynamic App each have a secret of their own.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clvdesk.defaults import HELPSCOUT_API_URL, HELPSCOUT_MAX_SECRET_CHARS, HELPSCOUT_REQUESTS_PER_MINUTE
from clvdesk.settings import SettingsError, account_language, blank_is_unset

NAME = "helpscout"
ENV_PREFIX = "CLVDESK_HELPSCOUT_"


class HelpScoutSettings(BaseSettings):
    """The OAuth app the worker posts as, the secrets Help Scout signs with, and where its API is."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True, populate_by_name=True)

    app_id: str | None = Field(None, validation_alias=AliasChoices("app_id", f"{ENV_PREFIX}APP_ID", f"{ENV_PREFIX}CLIENT_ID"))
    app_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("app_secret", f"{ENV_PREFIX}APP_SECRET", f"{ENV_PREFIX}CLIENT_SECRET")
    )
    webhook_secret: SecretStr | None = None
    sidebar_secret: SecretStr | None = None  # the Dynamic App's
    api_url: str = HELPSCOUT_API_URL  # another only for a stand-in or a proxy in front of Help Scout
    requests_per_minute: Annotated[float, Field(gt=0)] = HELPSCOUT_REQUESTS_PER_MINUTE
    note_language: str | None = None  # the language of the account's notes; unset: CLVDESK_NOTE_LANGUAGE's

    _note_language = field_validator("note_language")(account_language)

    _blank_is_unset = field_validator("app_id", "app_secret", "webhook_secret", "sidebar_secret", mode="before")(
        blank_is_unset
    )

    @field_validator("webhook_secret", "sidebar_secret")
    @classmethod
    def _fits_help_scout(cls, value: SecretStr | None) -> SecretStr | None:
        """Help Scout refuses longer secrets, so a longer one here cannot be the one it signs with."""
        if value is not None and len(value.get_secret_value()) > HELPSCOUT_MAX_SECRET_CHARS:
            raise ValueError(f"must be at most {HELPSCOUT_MAX_SECRET_CHARS} characters, as Help Scout allows")
        return value

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") or parts.query:
            raise ValueError(f"must be an http(s) base URL without a path, such as {HELPSCOUT_API_URL}")
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def account(self) -> str:
        """The OAuth app's id: what keys and metrics name the account by, in the web process and the worker alike."""
        return self.app_id or ""

    def require_receiving(self) -> None:
        """Raise SettingsError naming what the web process lacks to take this account's webhooks (the app id
        too: events must name the account the worker posts as)."""
        if not self.webhook_secret:
            raise SettingsError(f"{ENV_PREFIX}WEBHOOK_SECRET is not set; the web process needs it")
        if not self.app_id:
            raise SettingsError(f"{ENV_PREFIX}APP_ID is not set; the web process needs it to name the account")

    def require_posting(self) -> None:
        """Raise SettingsError naming what the worker lacks to post notes."""
        for name, value in (("APP_ID", self.app_id), ("APP_SECRET", self.app_secret)):
            if not value:
                raise SettingsError(f"{ENV_PREFIX}{name} is not set; the worker needs it to post notes")
