"""Settings from the environment (prefix CLVDESK_), checked once, with errors that name the variable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clvdesk.defaults import JOB_TIMEOUT_SECONDS, MIN_TOKEN_CHARS
from clvdesk.defaults import DEFAULT_ANNUAL_DISCOUNT_RATE, DEFAULT_CAC, DEFAULT_MARGIN
from clvdesk.defaults import MAX_TRUSTED_PROXIES
from clvdesk.i18n import DEFAULT_LANGUAGE, languages

ENV_PREFIX = "CLVDESK_"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "clvdesk"


def written_language(value: str) -> str:
    """A note language setting: a language clvdesk has a file for (clvdesk/locales/)."""
    code = value.strip().lower()
    if code not in languages():
        raise ValueError(f"{value!r} is not a language clvdesk writes (it writes: {', '.join(languages())})")
    return code


def account_language(value: str | None) -> str | None:
    """A helpdesk account's note language (CLVDESK_<NAME>_NOTE_LANGUAGE); unset or blank: the common one."""
    return None if value is None or not value.strip() else written_language(value)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def blank_is_unset(value: object) -> object:
    """An empty secret (e.g. `VAR=` in an env file) is no secret: treat it as unset."""
    return None if isinstance(value, str) and not value.strip() else value


def split_secrets(value: object) -> object:
    """Several secrets, comma-separated, so that one can be rotated without dropping requests."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class Settings(BaseSettings):
    """What clvdesk reads from its environment whatever helpdesks it serves; each helpdesk's own settings
    (CLVDESK_<NAME>_*) are its package's (see clvdesk.helpdesk.configured). Secrets have no defaults."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    redis_url: str | None = None
    data_dir: Path = _default_data_dir()
    api_token: SecretStr | None = None
    admin_token: SecretStr | None = None  # the admin API's; unset, the admin API answers 503
    secret_key: SecretStr | None = None  # signs the admin page's sessions; unset, one is generated and kept in Redis
    job_timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = JOB_TIMEOUT_SECONDS
    margin: Annotated[float, Field(gt=0, le=1)] = DEFAULT_MARGIN  # share of spend that is profit
    annual_discount_rate: Annotated[float, Field(gt=0, le=1)] = DEFAULT_ANNUAL_DISCOUNT_RATE
    cac: Annotated[float, Field(ge=0)] = DEFAULT_CAC  # acquisition cost per customer
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Reverse proxies in front of the web process whose X-Forwarded-For/-Proto it believes; 0: none
    trusted_proxies: Annotated[int, Field(ge=0, le=MAX_TRUSTED_PROXIES)] = 0
    # The language of the notes of every account that sets none of its own (CLVDESK_<NAME>_NOTE_LANGUAGE)
    note_language: str = DEFAULT_LANGUAGE

    @field_validator("note_language")
    @classmethod
    def _written_language(cls, value: str) -> str:
        return written_language(value)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    _blank_is_unset = field_validator("api_token", "admin_token", "secret_key", mode="before")(blank_is_unset)

    @field_validator("api_token", "admin_token", "secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        """clvdesk's own tokens are compared against guesses: a short one could be guessed."""
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(f"must be at least {MIN_TOKEN_CHARS} characters long (openssl rand -hex 32 makes one)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def require(self, *fields: str, purpose: str) -> None:
        """Raise SettingsError for the first of `fields` that is unset."""
        for field in fields:
            if not getattr(self, field):
                raise SettingsError(f"{env_name(field)} is not set; {purpose} needs it")

    def require_receiver(self) -> None:
        self.require("api_token", purpose="the web process")


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT] = Settings, **overrides: object) -> SettingsT:  # type: ignore[assignment]
    """Read the environment into `cls` (the common Settings, or a helpdesk's own); a malformed value
    becomes one SettingsError naming its variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = first["msg"].removeprefix("Value error, ")
        variable = cls.model_config.get("env_prefix", "") + field.upper()
        raise SettingsError(f"{variable}: {message[:1].lower()}{message[1:]}") from None
