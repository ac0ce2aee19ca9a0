"""`clvdesk app package --helpdesk freshdesk`: the zip holds the FDK app with the Zendesk sidebar's page,
script and locales, and a broken copy fails with FDK's reason, naming the file and field."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from clvdesk.app_package import AppPackageError
from clvdesk.cli import main
from clvdesk.helpdesk.freshdesk.app_package import APP_DIR, build_freshdesk_package, check_freshdesk_app, freshdesk_files
from tests.test_app_package import KNOWN, edit_json

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of what the package is made from, to break."""
    copy = tmp_path / "checkout"
    for path in freshdesk_files(ROOT).values():
        target = copy / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return copy


def test_the_shipped_app_passes_and_the_zip_is_fdks_layout(tmp_path):
    out = tmp_path / "dist" / "fd.zip"
    result = CliRunner().invoke(main, ["app", "package", "--helpdesk", "freshdesk", "--root", str(ROOT), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert archive.read("app/scripts/main.js") == (ROOT / "assets" / "main.js").read_bytes()
        assert archive.read("app/sidebar.html") == (ROOT / "assets" / "iframe.html").read_bytes()
        assert archive.read("app/locales/da.json") == (ROOT / "clvdesk" / "locales" / "da.json").read_bytes()
    assert {"manifest.json", "config/iparams.json", "config/requests.json", "app/index.html", "app/scripts/app.js",
            "app/styles/images/icon.svg", "app/locales/en.json"} <= names
    assert not any(name.startswith(("assets/", "translations/", "plugin/")) for name in names)
    first = out.read_bytes()
    build_freshdesk_package(ROOT, out)
    assert out.read_bytes() == first  # the same app gives the same zip


def test_the_token_is_only_in_a_header_of_the_templates():
    templates = json.loads((ROOT / APP_DIR / "config" / "requests.json").read_text())
    iparams = json.loads((ROOT / APP_DIR / "config" / "iparams.json").read_text())
    assert iparams["api_token"]["secure"] is True and iparams["clvdesk_host"]["secure"] is False
    for template in templates.values():
        schema = template["schema"]
        assert schema["headers"]["Authorization"] == "Bearer <%= iparam.api_token %>"
        assert "api_token" not in json.dumps({key: value for key, value in schema.items() if key != "headers"})
    assert "api_token" not in (ROOT / APP_DIR / "app" / "scripts" / "app.js").read_text()


def manifest(checkout: Path) -> Path:
    return checkout / APP_DIR / "manifest.json"


def config(checkout: Path, name: str) -> Path:
    return checkout / APP_DIR / "config" / name


def page(checkout: Path) -> Path:
    return checkout / APP_DIR / "app" / "index.html"


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


BREAKAGES = {
    "platform 2.3": (
        lambda c: edit_json(manifest(c), lambda m: m.update({"platform-version": "2.3"})),
        ("InvalidField", "manifest.json: platform-version must be '3.0', got '2.3'"),
    ),
    "a 2.x key": (
        lambda c: edit_json(manifest(c), lambda m: m.update({"whitelisted-domains": ["https://x.example.com"]})),
        ("InvalidField", "manifest.json: whitelisted-domains is a Platform 2.x key"),
    ),
    "no product module": (
        lambda c: edit_json(manifest(c), lambda m: m["modules"].pop("support_ticket")),
        ("MissingField", "manifest.json: modules needs a product module besides common"),
    ),
    "no engines": (
        lambda c: edit_json(manifest(c), lambda m: m.pop("engines")),
        ("MissingField", "manifest.json: engines.node and engines.fdk are required"),
    ),
    "sidebar under common": (
        lambda c: edit_json(manifest(c), lambda m: m["modules"]["common"].update(
            location={"ticket_sidebar": m["modules"]["support_ticket"]["location"]["ticket_sidebar"]})),
        ("InvalidField", "manifest.json: modules.common.location.ticket_sidebar is not a location of modules.common"),
    ),
    "a template not declared": (
        lambda c: edit_json(manifest(c), lambda m: m["modules"]["common"]["requests"].pop("postOutcome")),
        ("MissingField", "config/requests.json: postOutcome is not declared in modules.common.requests"),
    ),
    "a declared request without a template": (
        lambda c: edit_json(manifest(c), lambda m: m["modules"]["common"]["requests"].update(getClv={})),
        ("MissingField", "manifest.json: modules.common.requests.getClv has no template in config/requests.json"),
    ),
    "events without a server": (
        lambda c: edit_json(manifest(c), lambda m: m["modules"]["support_ticket"].update(
            events={"onTicketCreate": {"handler": "onTicketCreate"}})),
        ("MissingFile", "modules.support_ticket declares events or functions; server/server.js is missing"),
    ),
    "host with a scheme": (
        lambda c: rewrite(config(c, "requests.json"), '"host": "<%= iparam.clvdesk_host %>"',
                          '"host": "https://<%= iparam.clvdesk_host %>"'),
        ("InvalidField", "config/requests.json: getSuggestion.schema.host must be a bare host name"),
    ),
    "http template": (
        lambda c: rewrite(config(c, "requests.json"), '"protocol": "https"', '"protocol": "http"'),
        ("InsecureUrl", "config/requests.json: getSuggestion.schema.protocol must be https"),
    ),
    "the token in the path": (
        lambda c: rewrite(config(c, "requests.json"), "/suggestion\"", "/suggestion?token=<%= iparam.api_token %>\""),
        ("InsecureParameter", "getSuggestion.schema.path: the secure iparam.api_token may go in headers only"),
    ),
    "an iparam that is not there": (
        lambda c: rewrite(config(c, "requests.json"), "iparam.clvdesk_host", "iparam.clvdesk_domain"),
        ("InvalidField", "getSuggestion.schema.host: iparam.clvdesk_domain is not in config/iparams.json"),
    ),
    "token not secure": (
        lambda c: edit_json(config(c, "iparams.json"), lambda i: i["api_token"].update(secure=False)),
        ("InsecureParameter", 'config/iparams.json: api_token holds a credential and must be "secure": true'),
    ),
    "unknown iparam type": (
        lambda c: edit_json(config(c, "iparams.json"), lambda i: i["clvdesk_host"].update(type="string")),
        ("InvalidField", "config/iparams.json: clvdesk_host.type 'string' is not one of"),
    ),
    "both installation pages": (
        lambda c: config(c, "iparams.html").write_text("<!DOCTYPE html><p>settings</p>"),
        ("InvalidField", "config/: iparams.json and iparams.html cannot both be present"),
    ),
    "too many attempts": (
        lambda c: edit_json(config(c, "requests.json"), lambda r: r["getSuggestion"]["options"].update(maxAttempts=9)),
        ("InvalidField", "config/requests.json: getSuggestion.options.maxAttempts must be 1 to 5"),
    ),
    "page without FDK's client": (
        lambda c: rewrite(page(c), '<script src="{{{appclient}}}"></script>', ""),
        ("MissingField", "app/index.html: must load FDK's client"),
    ),
    "inline script": (
        lambda c: rewrite(page(c), "</body>", "<script>window.x = 1;</script></body>"),
        ("InvalidField", "app/index.html: has 1 inline script(s)"),
    ),
    "outside script": (
        lambda c: rewrite(page(c), "</body>", '<script src="https://cdn.example.com/lib.js"></script></body>'),
        ("InsecureUrl", "app/index.html: https://cdn.example.com/lib.js is outside the app"),
    ),
    "missing script": (
        lambda c: (c / APP_DIR / "app" / "scripts" / "app.js").unlink(),
        ("MissingAsset", "app/index.html references scripts/app.js, which is not in the package"),
    ),
    "icon not an SVG": (
        lambda c: (c / APP_DIR / "app" / "styles" / "images" / "icon.svg").write_bytes(b"\x89PNG\r\n\x1a\n"),
        ("InvalidField", "modules.support_ticket.location.ticket_sidebar.icon: styles/images/icon.svg must be an SVG"),
    ),
    "sidebar page missing": (
        lambda c: edit_json(manifest(c), lambda m: m["modules"]["support_ticket"]["location"]["ticket_sidebar"].update(
            url="sidebar/index.html")),
        ("MissingAsset", "ticket_sidebar.url: sidebar/index.html is not a file under app/"),
    ),
    "the shared page gone": (
        lambda c: (c / "assets" / "iframe.html").unlink(),
        ("MissingFile", "app/sidebar.html: missing (from assets/iframe.html)"),
    ),
    "a 2.x request call": (
        lambda c: rewrite(c / APP_DIR / "app" / "scripts" / "app.js", "fdk.request.invokeTemplate(template, params)",
                          "fdk.request.get(options.url, params)"),
        ("InvalidField", "app/scripts/app.js: calls a Platform 2.x request method"),
    ),
    "a clvdesk token's value in a file": (
        lambda c: rewrite(c / "clvdesk" / "locales" / "en.json", "Customer", KNOWN[0]),
        ("SecretInFile", "app/locales/en.json: contains the value of a clvdesk token or secret"),
    ),
    "requests not JSON": (
        lambda c: config(c, "requests.json").write_text('{"getSuggestion": '),
        ("InvalidJson", "config/requests.json: not valid JSON"),
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_copy_fails_with_a_precise_message(checkout, tmp_path, breakage):
    assert check_freshdesk_app(checkout, known_secrets=KNOWN) == []
    breaking, (kind, message) = BREAKAGES[breakage]
    breaking(checkout)
    found = [(type(problem).__name__, str(problem)) for problem in check_freshdesk_app(checkout, known_secrets=KNOWN)]
    assert any(name == kind and message in text for name, text in found), found
    with pytest.raises(AppPackageError):
        build_freshdesk_package(checkout, tmp_path / "out.zip", known_secrets=KNOWN)
    assert not (tmp_path / "out.zip").exists()


def test_the_command_lists_each_problem_and_exits_2(checkout, tmp_path, monkeypatch):
    monkeypatch.setenv("CLVDESK_FRESHDESK_API_KEY", KNOWN[0])
    rewrite(checkout / "assets" / "main.js", "'use strict';", f"'use strict'; // {KNOWN[0]}")
    edit_json(manifest(checkout), lambda m: m.pop("engines"))
    out = tmp_path / "out.zip"
    result = CliRunner().invoke(main, ["app", "package", "--helpdesk", "freshdesk", "--root", str(checkout), "--out", str(out)])
    assert result.exit_code == 2
    assert "SecretInFile: app/scripts/main.js: contains the value of a clvdesk token or secret" in result.output
    assert "MissingField: manifest.json: engines.node and engines.fdk are required" in result.output
    assert "clvdesk: 2 problem(s); no package written" in result.output
    assert KNOWN[0] not in result.output and not out.exists()
