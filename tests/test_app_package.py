"""`clvdesk app package`: the zip Zendesk uploads holds exactly the app, and a broken copy of the app
fails with a message naming what is wrong."""

from __future__ import annotations

import json
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from clvdesk import app_package
from clvdesk.app_package import AppPackageError, build_package, check_app
from clvdesk.cli import main

ROOT = Path(__file__).resolve().parent.parent


def app_files() -> list[str]:
    """What the app is made of, where it is in the repository (the language files as the package's too)."""
    names = ["manifest.json"]
    for folder in ("assets", "translations", "clvdesk/locales"):
        names += sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / folder).rglob("*") if path.is_file())
    return names


def zipped_names() -> list[str]:
    """app_files() as the zip names them: the language files are the sidebar's assets/locales/."""
    return sorted(name.replace("clvdesk/locales/", "assets/locales/") for name in app_files())


@pytest.fixture
def app(tmp_path) -> Path:
    """A copy of the app to break."""
    copy = tmp_path / "app"
    for name in app_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, copy / name)
    return copy


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + b"\0\0\0\0" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


KNOWN = ["s3cr3t-t0ken-value"]  # as if CLVDESK_API_TOKEN had this value


def problems(app: Path) -> list[tuple[str, str]]:
    return [(type(problem).__name__, str(problem)) for problem in check_app(app, known_secrets=KNOWN)]


SERVICE_URL = "https://clv.shop.test"  # where the installation's clvdesk answers


def test_the_shipped_app_passes_and_the_zip_holds_exactly_it(tmp_path):
    out = tmp_path / "dist" / "clvdesk-app.zip"
    result = CliRunner().invoke(main, ["app", "package", "--root", str(ROOT), "--out", str(out), "--url", SERVICE_URL])
    assert result.exit_code == 0, result.output
    assert f"wrote {out} ({len(app_files())} files)" in result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == zipped_names()
        for name in app_files():
            if name != "manifest.json":
                zipped = name.replace("clvdesk/locales/", "assets/locales/")
                assert archive.read(zipped) == (ROOT / name).read_bytes(), name
        manifest = json.loads(archive.read("manifest.json"))
        assert archive.testzip() is None
    shipped = json.loads((ROOT / "manifest.json").read_text())
    assert manifest["domainWhitelist"] == ["clv.shop.test"]
    assert manifest["author"] == {**shipped["author"], "email": "support@clv.shop.test", "url": "https://clv.shop.test"}
    assert {p["name"]: p.get("default") for p in manifest["parameters"]} == {"service_url": SERVICE_URL, "api_token": None}
    assert "clvdesk.example.com" not in json.dumps(manifest)
    assert check_app(ROOT, service_url=SERVICE_URL) == []
    first = out.read_bytes()
    build_package(ROOT, out, service_url=SERVICE_URL)
    assert out.read_bytes() == first  # the same app gives the same zip


def test_the_placeholder_domain_is_refused_in_one_line_saying_what_to_pass(tmp_path):
    out = tmp_path / "clvdesk-app.zip"
    result = CliRunner().invoke(main, ["app", "package", "--root", str(ROOT), "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert result.output.strip().splitlines() == [
        "clvdesk: manifest.json: author.email, author.url, domainWhitelist still name the placeholder host "
        "clvdesk.example.com; pass --url with your clvdesk service's public https URL (e.g. --url https://clv.yourshop.com); "
        "no package written"
    ]
    with pytest.raises(AppPackageError) as info:
        build_package(ROOT, out)
    assert [type(problem).__name__ for problem in info.value.problems] == ["PlaceholderDomain"]


def test_a_manifest_edited_by_hand_needs_no_url(app, tmp_path):
    text = (app / "manifest.json").read_text().replace("clvdesk.example.com", "clv.shop.test")
    (app / "manifest.json").write_text(text)
    build_package(app, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.read("manifest.json").decode() == text


@pytest.mark.parametrize("url, message", [
    ("http://clv.shop.test", "InsecureUrl: --url: must be an https URL, got 'http://clv.shop.test'"),
    ("clv.shop.test", "InsecureUrl: --url: must be an https URL, got 'clv.shop.test'"),
])
def test_a_url_that_is_not_https_is_refused(tmp_path, url, message):
    result = CliRunner().invoke(main, ["app", "package", "--root", str(ROOT), "--out", str(tmp_path / "out.zip"), "--url", url])
    assert result.exit_code == 2 and message in result.output and not (tmp_path / "out.zip").exists()


def test_files_outside_the_app_and_hidden_files_stay_out(app, tmp_path):
    (app / "README.md").write_text("not part of the app")
    (app / "assets" / ".DS_Store").write_bytes(b"\0")
    files = build_package(app, tmp_path / "out.zip", service_url=SERVICE_URL)
    assert "README.md" not in files and "assets/.DS_Store" not in files


BREAKAGES = {
    "missing asset": (
        lambda app: (app / "assets" / "main.js").unlink(),
        ("MissingAsset", "assets/iframe.html references main.js, which is not in the package"),
    ),
    "http URL": (
        lambda app: edit_json(app / "manifest.json", lambda m: m["author"].update(url="http://clvdesk.example.com")),
        ("InsecureUrl", "manifest.json: author.url: must be an https URL, got 'http://clvdesk.example.com'"),
    ),
    "http script": (
        lambda app: (app / "assets" / "iframe.html").write_text(
            (app / "assets" / "iframe.html").read_text().replace("https://static.zdassets", "http://static.zdassets")),
        ("InsecureUrl", "assets/iframe.html: http://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"),
    ),
    "token not secure": (
        lambda app: edit_json(app / "manifest.json", lambda m: m["parameters"][1].pop("secure")),
        ("InsecureParameter", 'manifest.json: parameter api_token holds a credential and must be "secure": true'),
    ),
    "missing translation key": (
        lambda app: edit_json(app / "translations" / "da.json", lambda t: t["app"]["parameters"].pop("api_token")),
        ("MissingTranslation", "translations/da.json: app.parameters.api_token.label is missing"),
    ),
    "unknown locale": (
        lambda app: shutil.copy(app / "translations" / "da.json", app / "translations" / "xx.json"),
        ("UnknownLocale", "translations/xx.json: 'xx' is not a locale Zendesk knows"),
    ),
    "default locale without translations": (
        lambda app: edit_json(app / "manifest.json", lambda m: m.update(defaultLocale="fr")),
        ("MissingFile", "translations/fr.json: missing (the defaultLocale's translations)"),
    ),
    "secret in a file": (
        lambda app: (app / "assets" / "main.js").write_text(
            (app / "assets" / "main.js").read_text() + "\nconst apiToken = 'AbCdEf0123456789xyz';\n"),
        ("SecretInFile", "assets/main.js:"),
    ),
    "a clvdesk token's value in a file": (
        lambda app: (app / "clvdesk" / "locales" / "en.json").write_text(
            (app / "clvdesk" / "locales" / "en.json").read_text().replace("Customer", "s3cr3t-t0ken-value")),
        ("SecretInFile", "assets/locales/en.json: contains the value of a clvdesk token or secret"),
    ),
    "bad logo size": (
        lambda app: (app / "assets" / "logo-small.png").write_bytes(png(64, 64)),
        ("BadLogo", "assets/logo-small.png: is 64x64 pixels; Zendesk requires 128x128"),
    ),
    "missing required field": (
        lambda app: edit_json(app / "manifest.json", lambda m: m.pop("frameworkVersion")),
        ("MissingField", "manifest.json: frameworkVersion is required"),
    ),
    "unknown parameter type": (
        lambda app: edit_json(app / "manifest.json", lambda m: m["parameters"][0].update(type="string")),
        ("InvalidField", "manifest.json: parameter service_url: type 'string' is not one of"),
    ),
    "setting that is not a parameter": (
        lambda app: (app / "assets" / "main.js").write_text(
            (app / "assets" / "main.js").read_text().replace("{{setting.service_url}}", "{{setting.base_url}}")),
        ("InvalidField", "assets/main.js: {{setting.base_url}} names no parameter of the manifest"),
    ),
    "whitelist with a scheme": (
        lambda app: edit_json(app / "manifest.json", lambda m: m.update(domainWhitelist=["https://clvdesk.example.com"])),
        ("InvalidField", "domainWhitelist entry 'https://clvdesk.example.com' must be a bare host name"),
    ),
    "sidebar page outside assets": (
        lambda app: edit_json(app / "manifest.json",
                              lambda m: m["location"]["support"]["ticket_sidebar"].update(url="iframe.html")),
        ("MissingAsset", "manifest.json: location.support.ticket_sidebar.url: iframe.html is not a file under assets/"),
    ),
    "manifest not JSON": (
        lambda app: (app / "manifest.json").write_text("{\"name\": "),
        ("InvalidJson", "manifest.json: not valid JSON"),
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_copy_fails_with_a_precise_message(app, tmp_path, breakage):
    breaking, (kind, message) = BREAKAGES[breakage]
    breaking(app)
    found = problems(app)
    assert any(name == kind and message in text for name, text in found), found
    with pytest.raises(AppPackageError):
        build_package(app, tmp_path / "out.zip", known_secrets=KNOWN)
    assert not (tmp_path / "out.zip").exists()


def test_every_problem_type_is_an_app_problem():
    kinds = {kind for _, (kind, _) in BREAKAGES.values()}
    assert all(issubclass(getattr(app_package, kind), app_package.AppProblem) for kind in kinds)


def test_the_command_lists_each_problem_and_exits_2(app, tmp_path, monkeypatch):
    monkeypatch.setenv("CLVDESK_API_TOKEN", "s3cr3t-t0ken-value")
    (app / "assets" / "main.js").write_text((app / "assets" / "main.js").read_text() + "// s3cr3t-t0ken-value\n")
    edit_json(app / "manifest.json", lambda m: m["author"].update(url="http://clvdesk.example.com"))
    out = tmp_path / "out.zip"
    result = CliRunner().invoke(main, ["app", "package", "--root", str(app), "--out", str(out), "--url", SERVICE_URL])
    assert result.exit_code == 2
    assert "SecretInFile: assets/main.js: contains the value of a clvdesk token or secret" in result.output
    assert "InsecureUrl: manifest.json: author.url" in result.output
    assert "clvdesk: 2 problem(s); no package written" in result.output
    assert "s3cr3t-t0ken-value" not in result.output and not out.exists()
