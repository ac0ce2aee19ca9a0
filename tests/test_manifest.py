"""The Zendesk sidebar app is a valid Apps Framework v2 package: Zendesk rejects a bad one only at upload."""

from __future__ import annotations

import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
ZAF_SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
LOGOS = {"logo.png": 320, "logo-small.png": 128}  # sizes Zendesk requires, in pixels
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_RGBA = 6
MARKUP_SINKS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())


@pytest.fixture(scope="module")
def translations(manifest) -> dict:
    return json.loads((ROOT / "translations" / f"{manifest['defaultLocale']}.json").read_text())


@pytest.fixture(scope="module")
def parameters(manifest) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in manifest["parameters"]}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def iframe_references() -> list[str]:
    parser = _References()
    parser.feed((ASSETS / "iframe.html").read_text())
    return parser.urls


def png_header(path: Path) -> tuple[int, int, int]:
    """Width, height and colour type from the IHDR chunk that follows the signature."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path.name} is not a PNG"
    width, height, _depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return width, height, colour_type


def test_manifest_has_the_fields_zendesk_requires(manifest):
    assert manifest["name"]
    assert all(manifest["author"].get(field) for field in ("name", "email", "url"))
    assert manifest["defaultLocale"] == "en"
    assert manifest["private"] is True
    assert manifest["frameworkVersion"] == "2.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["location"] == {"support": {"ticket_sidebar": {"url": "assets/iframe.html", "flexible": True}}}


def test_parameters_are_required_text_and_the_token_is_secure(parameters):
    assert set(parameters) == {"service_url", "api_token"}
    assert all(parameter["type"] == "text" and parameter["required"] is True for parameter in parameters.values())
    assert parameters["api_token"]["secure"] is True


def test_domain_whitelist_lists_bare_host_names_named_in_the_instructions(manifest, translations):
    domains = manifest["domainWhitelist"]
    assert domains
    for domain in domains:
        assert urlsplit(f"//{domain}").hostname == domain, f"{domain!r} must be a host name, without scheme or path"
        assert domain in translations["app"]["installation_instructions"]


def test_translations_describe_the_app_and_label_every_parameter(translations, parameters):
    app = translations["app"]
    for field in ("name", "short_description", "long_description", "installation_instructions"):
        assert app[field].strip(), f"app.{field} is empty"
    assert set(app["parameters"]) == set(parameters)
    for name, texts in app["parameters"].items():
        assert texts["label"].strip() and texts["helpText"].strip(), f"parameter {name} lacks a label or help text"


@pytest.mark.parametrize("name", LOGOS)
def test_logos_exist_at_the_sizes_zendesk_requires(name):
    width, height, colour_type = png_header(ASSETS / name)
    assert (width, height) == (LOGOS[name], LOGOS[name])
    if name == "logo-small.png":
        assert colour_type == PNG_RGBA, "the small logo needs a transparent background"


def test_every_referenced_asset_exists(manifest):
    sidebar = manifest["location"]["support"]["ticket_sidebar"]["url"]
    assert (ROOT / sidebar).is_file()
    references = iframe_references()
    assert ZAF_SDK_URL in references
    local = [url for url in references if not urlsplit(url).scheme]
    assert local, "iframe.html loads no script of its own"
    for url in local:
        assert (ASSETS / url).is_file(), f"iframe.html references missing {url}"


def test_main_js_writes_text_never_markup():
    script = (ASSETS / "main.js").read_text()
    assert not MARKUP_SINKS.findall(script)
    assert "textContent" in script


def test_the_token_is_filled_in_by_zendesks_proxy_not_the_browser():
    script = (ASSETS / "main.js").read_text()
    assert "Bearer {{setting.api_token}}" in script
    assert "secure: true" in script
    assert "metadata(" not in script  # secure settings are not readable there, and must not be tried
