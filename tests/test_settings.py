"""Settings: one clear message naming the variable; no secret has a default."""

from __future__ import annotations

import pytest

from clvdesk.defaults import MIN_TOKEN_CHARS
from clvdesk.helpdesk import configured
from clvdesk.helpdesk.zendesk import ZENDESK, ZendeskSettings
from clvdesk.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("CLVDESK_"):
            monkeypatch.delenv(name)


def test_no_secret_has_a_default():
    settings, zendesk = Settings(), ZendeskSettings()
    assert zendesk.webhook_secret == ()
    assert settings.api_token is None and zendesk.api_token is None and zendesk.oauth_token is None


def test_secrets_are_a_comma_separated_list_for_rotation(monkeypatch):
    monkeypatch.setenv("CLVDESK_ZENDESK_WEBHOOK_SECRET", "new-secret, old-secret")
    settings = load_settings(ZendeskSettings)
    assert settings.webhook_secrets == ("new-secret", "old-secret")
    assert "new-secret" not in repr(settings)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("CLVDESK_ZENDESK_URL", "acme.zendesk.com", "CLVDESK_ZENDESK_URL: must be an http(s) URL"),
        ("CLVDESK_ZENDESK_URL", "https://acme.zendesk.com/api/v2", "CLVDESK_ZENDESK_URL: must be the account's base URL"),
        ("CLVDESK_REDIS_URL", "localhost:6379", "CLVDESK_REDIS_URL: must be a redis://"),
        ("CLVDESK_TRUSTED_PROXIES", "yes", "CLVDESK_TRUSTED_PROXIES: input should be a valid integer"),
        ("CLVDESK_TRUSTED_PROXIES", "-1", "CLVDESK_TRUSTED_PROXIES: input should be greater than or equal to 0"),
        ("CLVDESK_NOTE_LANGUAGE", "fr", "CLVDESK_NOTE_LANGUAGE: 'fr' is not a language clvdesk writes (it writes: da, en)"),
        ("CLVDESK_ZENDESK_NOTE_LANGUAGE", "dansk", "CLVDESK_ZENDESK_NOTE_LANGUAGE: 'dansk' is not a language clvdesk"),
    ],
)
def test_malformed_values_name_their_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings()
        configured("the test")


def test_an_accounts_note_language_is_its_own_else_the_common_one(monkeypatch):
    monkeypatch.setenv("CLVDESK_ZENDESK_NOTE_LANGUAGE", " DA ")
    assert load_settings(ZendeskSettings).note_language == "da"
    monkeypatch.setenv("CLVDESK_ZENDESK_NOTE_LANGUAGE", "")
    assert load_settings(ZendeskSettings).note_language is None  # CLVDESK_NOTE_LANGUAGE's, English by default
    assert load_settings().note_language == "en"


def test_receiver_needs_its_secrets():
    with pytest.raises(SettingsError, match="CLVDESK_ZENDESK_WEBHOOK_SECRET is not set; the web process needs it"):
        ZENDESK.webhook(ZendeskSettings(url="https://acme.zendesk.com"))
    with pytest.raises(SettingsError, match="CLVDESK_ZENDESK_URL is not set; the web process needs it to name"):
        ZENDESK.webhook(ZendeskSettings(webhook_secret="s"))
    with pytest.raises(SettingsError, match="CLVDESK_API_TOKEN is not set"):
        Settings().require_receiver()


def test_worker_needs_zendesk_credentials():
    def client(**values):
        return ZENDESK.client(ZendeskSettings(**values), None, None)

    with pytest.raises(SettingsError, match="CLVDESK_ZENDESK_URL is not set; the worker needs it"):
        client(email="a@x.com")
    with pytest.raises(SettingsError, match="CLVDESK_ZENDESK_EMAIL and CLVDESK_ZENDESK_API_TOKEN are not both set"):
        client(url="https://acme.zendesk.com", email="a@x.com")
    assert client(url="https://acme.zendesk.com", oauth_token="o").account == "acme.zendesk.com"


def test_a_process_with_no_helpdesk_configured_says_so():
    with pytest.raises(SettingsError, match=r"no helpdesk is configured \(CLVDESK_ZENDESK_\*.*\); the worker needs one"):
        configured("the worker")


def test_zendesk_url_loses_its_trailing_slash():
    assert ZendeskSettings(url="https://acme.zendesk.com/").url == "https://acme.zendesk.com"


def test_an_empty_secret_is_unset(monkeypatch):
    monkeypatch.setenv("CLVDESK_ADMIN_TOKEN", "")
    monkeypatch.setenv("CLVDESK_API_TOKEN", "  ")
    settings = load_settings()
    assert settings.admin_token is None and settings.api_token is None


@pytest.mark.parametrize("name", ["CLVDESK_API_TOKEN", "CLVDESK_ADMIN_TOKEN", "CLVDESK_SECRET_KEY"])
def test_clvdesks_own_tokens_are_long_enough_to_resist_guessing(monkeypatch, name):
    monkeypatch.setenv(name, "x" * (MIN_TOKEN_CHARS - 1))
    with pytest.raises(SettingsError, match=f"^{name}: must be at least {MIN_TOKEN_CHARS} characters long"):
        load_settings()
    monkeypatch.setenv(name, "x" * MIN_TOKEN_CHARS)
    assert getattr(load_settings(), name.removeprefix("CLVDESK_").lower()).get_secret_value() == "x" * MIN_TOKEN_CHARS
