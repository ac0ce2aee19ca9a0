"""A Zendesk account's settings, from CLVDESK_ZENDESK_* (the same names clvdesk has always read)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from clvdesk.defaults import ZENDESK_REQUESTS_PER_MINUTE
from clvdesk.settings import AccountSettings, SettingsError, blank_is_unset

NAME = "zendesk"
ENV_PREFIX = "CLVDESK_ZENDESK_"


def account_of(url: str) -> str:
    """A Zendesk account's id as keys and metrics name it: its host (acme.zendesk.com)."""
    return urlsplit(url).netloc


class ZendeskSettings(AccountSettings):
    """The account's URL, the API credentials the worker posts with and the secrets webhooks are signed with."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    email: str | None = None
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    requests_per_minute: Annotated[float, Field(gt=0)] = ZENDESK_REQUESTS_PER_MINUTE

    _blank_is_unset = field_validator("api_token", "oauth_token", mode="before")(blank_is_unset)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://acme.zendesk.com")
        if parts.path.strip("/") or parts.query:
            raise ValueError("must be the account's base URL, without a path (https://acme.zendesk.com)")
        return f"{parts.scheme}://{parts.netloc}"

    def require_posting(self) -> None:
        """Raise SettingsError naming what the worker lacks to post notes."""
        if not self.url:
            raise SettingsError(f"{ENV_PREFIX}URL is not set; the worker needs it")
        if not (self.oauth_token or (self.email and self.api_token)):
            raise SettingsError(
                f"{ENV_PREFIX}EMAIL and {ENV_PREFIX}API_TOKEN are not both set "
                f"(nor {ENV_PREFIX}OAUTH_TOKEN); the worker needs them to post notes"
            )
