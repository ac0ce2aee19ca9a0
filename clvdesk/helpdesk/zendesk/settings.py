"""A Zendesk account's settings, from CLVDESK_ZENDESK_* (the same names clvdesk has always read)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from clvdesk.defaults import ZENDESK_REQUESTS_PER_MINUTE
from clvdesk.helpdesk.settings import HelpdeskSettings, account_of
from clvdesk.settings import SettingsError, blank_is_unset

__all__ = ["ENV_PREFIX", "NAME", "ZendeskSettings", "account_of"]

NAME = "zendesk"
ENV_PREFIX = "CLVDESK_ZENDESK_"


class ZendeskSettings(HelpdeskSettings):
    """The account's URL, the API credentials the worker posts with and the secrets webhooks are signed with."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    URL_EXAMPLE = "https://acme.zendesk.com"

    email: str | None = None
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    requests_per_minute: Annotated[float, Field(gt=0)] = ZENDESK_REQUESTS_PER_MINUTE

    _blank_is_unset = field_validator("api_token", "oauth_token", mode="before")(blank_is_unset)

    def require_posting(self) -> None:
        """Raise SettingsError naming what the worker lacks to post notes."""
        if not self.url:
            raise SettingsError(f"{ENV_PREFIX}URL is not set; the worker needs it")
        if not (self.oauth_token or (self.email and self.api_token)):
            raise SettingsError(
                f"{ENV_PREFIX}EMAIL and {ENV_PREFIX}API_TOKEN are not both set "
                f"(nor {ENV_PREFIX}OAUTH_TOKEN); the worker needs them to post notes"
            )
