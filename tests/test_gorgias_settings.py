"""CLVDESK_GORGIAS_*: what the web process and the worker need, each bad value one line naming its variable."""

from __future__ import annotations

import pytest

from clvdesk.helpdesk.gorgias import GORGIAS
from clvdesk.helpdesk.gorgias.settings import GorgiasSettings
from clvdesk.settings import SettingsError, load_settings

SECRET = "gorgias-secret-0123456789abcdefghijkl"


@pytest.fixture
def env(monkeypatch):
    for name in ("URL", "EMAIL", "API_KEY", "SENDER_USER_ID", "WEBHOOK_SECRET", "REQUESTS_PER_MINUTE", "BURST", "WINDOW_SECONDS"):
        monkeypatch.delenv(f"CLVDESK_GORGIAS_{name}", raising=False)

    def set_env(**values: str) -> GorgiasSettings:
        for name, value in values.items():
            monkeypatch.setenv(f"CLVDESK_GORGIAS_{name.upper()}", value)
        return load_settings(GorgiasSettings)

    return set_env


def test_a_complete_account_is_served_by_both_sides(env):
    settings = env(url="https://acme.gorgias.com/", email="bot@shop.example", api_key="k" * 40,
                   sender_user_id="42", webhook_secret=f"{SECRET}, {SECRET}-next")
    assert settings.url == "https://acme.gorgias.com" and settings.account == "acme.gorgias.com"
    assert settings.webhook_secrets == (SECRET, f"{SECRET}-next")
    assert GORGIAS.webhook(settings).account == "acme.gorgias.com"
    assert GORGIAS.client(settings, None, None).account == "acme.gorgias.com"
    policy = GORGIAS.rate_limit(settings)
    assert (policy.per_minute, policy.burst) == (60, 10)
    assert "k" * 40 not in repr(settings) and SECRET not in repr(settings)


def test_each_side_names_the_first_setting_it_lacks(env):
    settings = env()
    assert settings.model_fields_set == set()  # nothing set: Gorgias is not served at all
    with pytest.raises(SettingsError, match="^CLVDESK_GORGIAS_URL is not set; the worker needs it to post notes$"):
        GORGIAS.client(settings, None, None)
    with pytest.raises(SettingsError, match="^CLVDESK_GORGIAS_WEBHOOK_SECRET is not set; the web process needs it$"):
        GORGIAS.webhook(settings)
    with pytest.raises(SettingsError, match="^CLVDESK_GORGIAS_URL is not set; the web process needs it to name"):
        GORGIAS.webhook(env(webhook_secret=SECRET))


def test_the_worker_names_what_it_lacks(env):
    settings = env(url="https://acme.gorgias.com", email="bot@shop.example", api_key="key", sender_user_id="")
    with pytest.raises(SettingsError, match="^CLVDESK_GORGIAS_SENDER_USER_ID is not set"):
        GORGIAS.client(settings, None, None)


@pytest.mark.parametrize(("values", "message"), [
    ({"url": "acme.gorgias.com"}, "CLVDESK_GORGIAS_URL: must be an http(s) URL such as https://acme.gorgias.com"),
    ({"url": "https://acme.gorgias.com/app/tickets"}, "CLVDESK_GORGIAS_URL: must be the account's base URL, without a path"),
    ({"webhook_secret": "short"}, "CLVDESK_GORGIAS_WEBHOOK_SECRET: each secret must be at least 32 characters long"),
    ({"sender_user_id": "clvdesk"}, "CLVDESK_GORGIAS_SENDER_USER_ID: must be a Gorgias id"),
    ({"requests_per_minute": "0"}, "CLVDESK_GORGIAS_REQUESTS_PER_MINUTE: input should be greater than 0"),
    ({"burst": "0"}, "CLVDESK_GORGIAS_BURST: input should be greater than or equal to 1"),
    ({"window_seconds": "soon"}, "CLVDESK_GORGIAS_WINDOW_SECONDS: input should be a valid number"),
])
def test_a_bad_value_is_one_line_naming_its_variable(env, values, message):
    with pytest.raises(SettingsError) as raised:
        env(**values)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
