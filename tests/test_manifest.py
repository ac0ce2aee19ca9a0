"""The Zendesk sidebar app as shipped: what its manifest declares, its translations in English and
Danish, and the page's script. (Zendesk's own validation rules are in test_app_package.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from clvdesk.analysis.model import CATEGORY_LABELS, SIGNAL_LABELS
from clvdesk.app_package import check_app
from clvdesk.clv.segments import SEGMENTS
from clvdesk.rules import INSTRUMENT_LABELS

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
LOCALES = ("en", "da")
MARKUP_SINKS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def keys(tree: dict, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in tree.items():
        found |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return found


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load(ROOT / "manifest.json")


def test_the_shipped_app_passes_zendesks_checks():
    assert check_app(ROOT, service_url="https://clv.shop.test") == []
    assert [type(problem).__name__ for problem in check_app(ROOT)] == ["PlaceholderDomain"]  # no host of its own yet


def test_manifest_declares_a_private_flexible_ticket_sidebar(manifest):
    assert manifest["defaultLocale"] == "en"
    assert manifest["private"] is True
    assert manifest["frameworkVersion"] == "2.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["location"] == {"support": {"ticket_sidebar": {"url": "assets/iframe.html", "flexible": True}}}


def test_parameters_are_the_service_url_and_a_secure_token(manifest):
    parameters = {parameter["name"]: parameter for parameter in manifest["parameters"]}
    assert set(parameters) == {"service_url", "api_token"}
    assert all(parameter["type"] == "text" and parameter["required"] is True for parameter in parameters.values())
    assert parameters["api_token"]["secure"] is True
    assert "secure" not in parameters["service_url"]  # the page may read it; the token only the proxy


@pytest.mark.parametrize("locale", LOCALES)
def test_installation_instructions_say_how_the_whitelist_gets_the_host(manifest, locale):
    instructions = load(ROOT / "translations" / f"{locale}.json")["app"]["installation_instructions"]
    for domain in manifest["domainWhitelist"]:
        assert urlsplit(f"//{domain}").hostname == domain
    assert "clvdesk app package --url" in instructions and "domainWhitelist" in instructions


def test_english_and_danish_have_the_same_keys():  # the sidebar's own: tests/test_locales.py
    english, danish = (load(ROOT / "translations" / f"{locale}.json") for locale in LOCALES)
    assert keys(english) == keys(danish)
    assert all(keys(load(ROOT / "translations" / f"{locale}.json")) for locale in LOCALES)


def test_the_pages_names_cover_every_value_the_api_sends():
    english = load(ROOT / "clvdesk" / "locales" / "en.json")
    assert english["instruments"] == INSTRUMENT_LABELS
    assert english["signals"] == SIGNAL_LABELS
    assert english["categories"] == CATEGORY_LABELS
    assert set(english["segments"]) == set(SEGMENTS)


def test_every_text_the_page_asks_for_exists():
    strings = keys(load(ROOT / "clvdesk" / "locales" / "en.json"))
    page = (ASSETS / "iframe.html").read_text()
    script = (ASSETS / "main.js").read_text()
    wanted = set(re.findall(r'data-i18n="([\w.]+)"', page)) | set(re.findall(r"\bt\('([\w.]+)'", script))
    assert wanted and wanted - strings == set()
    dynamic = set(re.findall(r"\bt\(`([\w.]+)\.\$\{", script))  # t(`sentiment.${label}`)
    assert dynamic == {"sentiment"}
    assert {f"sentiment.{label}" for label in ("very_negative", "negative", "neutral", "positive")} <= strings


def test_the_page_writes_text_never_markup():
    script = (ASSETS / "main.js").read_text()
    assert not MARKUP_SINKS.findall(script)
    assert "textContent" in script


def test_the_token_is_filled_in_by_zendesks_proxy_not_the_browser():
    script = (ASSETS / "main.js").read_text()
    assert "Bearer {{setting.api_token}}" in script
    assert "secure: true" in script
    assert "metadata(" not in script  # secure settings are not readable there, and must not be tried
