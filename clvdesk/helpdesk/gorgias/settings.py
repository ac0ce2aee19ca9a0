"""A Gorgias account's settings, from CLVDESK_GORGIAS_*."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from clvdesk.defaults import GORGIAS_BURST, GORGIAS_REQUESTS_PER_MINUTE, GORGIAS_WINDOW_SECONDS, MIN_TOKEN_CHARS
from clvdesk.helpdesk.gorgias.ids import gorgias_id
from clvdesk.helpdesk.settings import HelpdeskSettings
from clvdesk.settings import SettingsError, blank_is_unset

NAME = "gorgias"
ENV_PREFIX = "CLVDESK_GORGIAS_"


class GorgiasSettings(HelpdeskSettings):
    """The account's URL, the REST API key the worker posts with (and the user its notes are from), and the
    secrets the account's HTTP integrations send in their header."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    URL_EXAMPLE = "https://acme.gorgias.com"

    email: str | None = None  # the user whose API key it is: Basic auth's username
    api_key: SecretStr | None = None
    sender_user_id: Annotated[str, AfterValidator(gorgias_id)] | None = None  # the user the notes are posted as
    requests_per_minute: Annotated[float, Field(gt=0)] = GORGIAS_REQUESTS_PER_MINUTE
    burst: Annotated[int, Field(ge=1)] = GORGIAS_BURST
    window_seconds: Annotated[float, Field(gt=0)] = GORGIAS_WINDOW_SECONDS  # 10 on Enterprise accounts

    _blank_is_unset = field_validator("api_key", "sender_user_id", mode="before")(blank_is_unset)

    @field_validator("webhook_secret")
    @classmethod
    def _long_enough(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        """Unlike a signing key, this secret travels in the request and is compared against guesses."""
        if any(len(secret.get_secret_value()) < MIN_TOKEN_CHARS for secret in value):
            raise ValueError(f"each secret must be at least {MIN_TOKEN_CHARS} characters long (openssl rand -hex 32 makes one)")
        return value

    def require_posting(self) -> None:
        """Raise SettingsError naming the first thing the worker lacks to post notes."""
        for field in ("url", "email", "api_key", "sender_user_id"):
            if not getattr(self, field):
                raise SettingsError(f"{ENV_PREFIX}{field.upper()} is not set; the worker needs it to post notes")
