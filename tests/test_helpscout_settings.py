"""Help Scout's settings: both names of the OAuth app's credentials, Help Scout's own limits, one-line errors."""

from __future__ import annotations

import pytest

from clvdesk.helpdesk.helpscout import HELPSCOUT
from clvdesk.helpdesk.helpscout.settings import HelpScoutSettings
from clvdesk.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("APP_ID", "CLIENT_ID", "APP_SECRET", "CLIENT_SECRET", "WEBHOOK_SECRET", "SIDEBAR_SECRET", "API_URL",
                 "REQUESTS_PER_MINUTE"):
        monkeypatch.delenv(f"CLVDESK_HELPSCOUT_{name}", raising=False)


@pytest.mark.parametrize("id_name, secret_name", [("APP_ID", "APP_SECRET"), ("CLIENT_ID", "CLIENT_SECRET")])
def test_the_oauth_app_by_either_name(monkeypatch, id_name, secret_name):
    monkeypatch.setenv(f"CLVDESK_HELPSCOUT_{id_name}", "app-1")
    monkeypatch.setenv(f"CLVDESK_HELPSCOUT_{secret_name}", "s3cret")
    settings = load_settings(HelpScoutSettings)
    assert (settings.app_id, settings.app_secret.get_secret_value(), settings.account) == ("app-1", "s3cret", "app-1")
    settings.require_posting()
    with pytest.raises(SettingsError, match="CLVDESK_HELPSCOUT_WEBHOOK_SECRET is not set"):
        HELPSCOUT.webhook(settings)  # set some Help Scout variable, and the web process needs the webhook's
    assert settings.api_url == "https://api.helpscout.net" and "s3cret" not in repr(settings)


def test_the_webhook_and_the_dynamic_app_have_their_own_secrets(monkeypatch):
    monkeypatch.setenv("CLVDESK_HELPSCOUT_WEBHOOK_SECRET", "w" * 40)
    monkeypatch.setenv("CLVDESK_HELPSCOUT_SIDEBAR_SECRET", "s" * 12)
    monkeypatch.setenv("CLVDESK_HELPSCOUT_API_URL", "http://127.0.0.1:8099/")
    monkeypatch.setenv("CLVDESK_HELPSCOUT_APP_ID", "app-1")
    settings = load_settings(HelpScoutSettings)
    assert HELPSCOUT.webhook(settings).account == "app-1" and settings.api_url == "http://127.0.0.1:8099"
    with pytest.raises(SettingsError, match="CLVDESK_HELPSCOUT_APP_SECRET is not set"):
        settings.require_posting()


@pytest.mark.parametrize("name, value, message", [
    ("WEBHOOK_SECRET", "x" * 41, "CLVDESK_HELPSCOUT_WEBHOOK_SECRET: must be at most 40 characters"),
    ("SIDEBAR_SECRET", "x" * 41, "CLVDESK_HELPSCOUT_SIDEBAR_SECRET: must be at most 40 characters"),
    ("API_URL", "api.helpscout.net", "CLVDESK_HELPSCOUT_API_URL: must be an http(s) base URL"),
    ("API_URL", "https://api.helpscout.net/v2", "CLVDESK_HELPSCOUT_API_URL: must be an http(s) base URL"),
    ("REQUESTS_PER_MINUTE", "0", "CLVDESK_HELPSCOUT_REQUESTS_PER_MINUTE: input should be greater than 0"),
    ("REQUESTS_PER_MINUTE", "many", "CLVDESK_HELPSCOUT_REQUESTS_PER_MINUTE: input should be a valid number"),
])
def test_a_bad_value_is_one_line_naming_its_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(f"CLVDESK_HELPSCOUT_{name}", value)
    with pytest.raises(SettingsError) as raised:
        load_settings(HelpScoutSettings)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_blank_secrets_are_unset_and_what_is_missing_is_named(monkeypatch):
    monkeypatch.setenv("CLVDESK_HELPSCOUT_APP_ID", "app-1")
    monkeypatch.setenv("CLVDESK_HELPSCOUT_APP_SECRET", "  ")
    settings = load_settings(HelpScoutSettings)
    assert settings.app_secret is None
    with pytest.raises(SettingsError, match="CLVDESK_HELPSCOUT_APP_SECRET is not set"):
        settings.require_posting()
    with pytest.raises(SettingsError, match="CLVDESK_HELPSCOUT_APP_ID is not set"):
        HelpScoutSettings(app_id=None, webhook_secret="w").require_receiving()
    with pytest.raises(SettingsError, match="CLVDESK_HELPSCOUT_WEBHOOK_SECRET is not set"):
        HelpScoutSettings(app_id="app-1").require_receiving()
