"""The Freshdesk sidebar app: check it as FDK's validator (`fdk validate`) would, then zip it as `fdk pack` does.

The app (plugin/apps/freshdesk/) is FDK's Platform 3.0 layout: manifest.json, app/, config/. It shows
the Zendesk sidebar's page and script, which the package takes from assets/ (one copy for both
helpdesks), with clvdesk's language files (clvdesk/locales/) as its locales. The checks follow FDK's
rules: platform-version 3.0 with `modules` and no 2.x keys, a product module, engines, locations in
their module with files under app/, every request template declared in modules.common.requests and the
other way round, templates whose host is a bare name and whose secure iparams go in headers only, one
kind of installation page; and clvdesk's own: the page loads FDK's client ({{{appclient}}}) and no
inline or outside script, the icon is an SVG, no secret.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from clvdesk.app_package import (
    AppProblem,
    InsecureParameter,
    InsecureUrl,
    InvalidField,
    MissingAsset,
    MissingField,
    MissingFile,
    check_secrets,
    html_references,
    read_json_file,
    write_checked_zip,
)

APP_DIR = "plugin/apps/freshdesk"
SHARED = {"app/sidebar.html": "assets/iframe.html", "app/scripts/main.js": "assets/main.js"}  # zip name -> source
SHARED_DIRS = {"app/locales": "clvdesk/locales"}  # the language files the note is written from too
PLATFORM_VERSION = "3.0"
PRODUCT_MODULES = {  # Freshdesk's modules and the placeholders each may hold
    "support_ticket": (
        "ticket_sidebar", "ticket_requester_info", "ticket_top_navigation", "ticket_background",
        "time_entry_background", "ticket_attachment", "ticket_conversation_editor", "new_ticket_requester_info",
        "new_ticket_background",
    ),
    "support_contact": ("contact_sidebar",),
    "support_company": ("company_sidebar",),
    "support_email": (),
    "support_portal": (),
    "support_agent": (),
}
COMMON_LOCATIONS = ("full_page_app", "cti_global_sidebar")
PLATFORM_2_KEYS = ("product", "whitelisted-domains")  # Platform 3.0 refuses these
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
IPARAM_TYPES = (
    "text", "paragraph", "dropdown", "email", "phone_number", "url", "number", "checkbox", "radio",
    "multiselect", "date", "domain", "api_key",
)
MAX_ATTEMPTS = range(1, 6)  # options.maxAttempts
MAX_RETRY_DELAY_MS = 1500  # options.retryDelay
APP_CLIENT = "{{{appclient}}}"
IPARAM_USE = re.compile(r"<%=\s*iparam\.([A-Za-z0-9_]+)\s*%>")
PLATFORM_2_CALLS = re.compile(r"\$request\.(?:get|post|put|patch|delete)\b|\.request\.(?:get|post|put|patch|delete)\(")
CREDENTIAL_NAME = re.compile(r"token|key|pwd|password|secret", re.IGNORECASE)


def freshdesk_files(root: Path) -> dict[str, Path]:
    """What goes into the zip (name in it -> file): the app's own files and the Zendesk sidebar's it shows."""
    base = root / APP_DIR
    files = {
        path.relative_to(base).as_posix(): path
        for path in sorted(base.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(base).parts)
    }
    files.update({name: root / source for name, source in SHARED.items()})
    for folder, source in SHARED_DIRS.items():
        files.update({f"{folder}/{path.name}": path for path in sorted((root / source).glob("*.json"))})
    return dict(sorted(files.items()))


def _check_manifest(manifest: dict, files: dict[str, Path], problems: list[AppProblem]) -> None:
    if manifest.get("platform-version") != PLATFORM_VERSION:
        problems.append(InvalidField(
            f"manifest.json: platform-version must be {PLATFORM_VERSION!r}, got {manifest.get('platform-version')!r}"
        ))
    for key in PLATFORM_2_KEYS:
        if key in manifest:
            problems.append(InvalidField(f"manifest.json: {key} is a Platform 2.x key; 3.0 declares modules"))
    engines = manifest.get("engines")
    if not isinstance(engines, dict) or not all(isinstance(engines.get(name), str) for name in ("node", "fdk")):
        problems.append(MissingField("manifest.json: engines.node and engines.fdk are required"))
    modules = manifest.get("modules")
    if not isinstance(modules, dict):
        problems.append(MissingField("manifest.json: modules is required"))
        return
    products = [name for name in modules if name != "common"]
    if not products:
        problems.append(MissingField("manifest.json: modules needs a product module besides common (support_ticket)"))
    for name, module in modules.items():
        if name != "common" and name not in PRODUCT_MODULES:
            problems.append(InvalidField(f"manifest.json: modules.{name} is not a Freshdesk module"))
            continue
        if not isinstance(module, dict):
            problems.append(InvalidField(f"manifest.json: modules.{name} must be an object"))
            continue
        allowed = COMMON_LOCATIONS if name == "common" else PRODUCT_MODULES[name]
        for place, options in (module.get("location") or {}).items():
            where = f"manifest.json: modules.{name}.location.{place}"
            if place not in allowed:
                problems.append(InvalidField(f"{where} is not a location of modules.{name}"))
                continue
            _check_location(where, options, files, problems)
        if name != "common" and ("requests" in module or "functions" in module):
            problems.append(InvalidField(f"manifest.json: modules.{name}: requests and functions belong in modules.common"))
        if (module.get("events") or module.get("functions")) and "server/server.js" not in files:
            problems.append(MissingFile(f"manifest.json: modules.{name} declares events or functions; server/server.js is missing"))


def _check_location(where: str, options: object, files: dict[str, Path], problems: list[AppProblem]) -> None:
    if not isinstance(options, dict):
        problems.append(InvalidField(f"{where} must be an object with url and icon"))
        return
    for field in ("url", "icon"):
        value = options.get(field)
        if not isinstance(value, str) or not value:
            problems.append(MissingField(f"{where}.{field} is required"))
        elif f"app/{value}" not in files:
            problems.append(MissingAsset(f"{where}.{field}: {value} is not a file under app/"))
    icon = options.get("icon")
    if isinstance(icon, str) and f"app/{icon}" in files:
        try:
            tag = ElementTree.parse(files[f"app/{icon}"]).getroot().tag
        except ElementTree.ParseError:
            tag = ""
        if not (icon.endswith(".svg") and tag.endswith("svg")):
            problems.append(InvalidField(f"{where}.icon: {icon} must be an SVG image"))
    url = options.get("url")
    if isinstance(url, str) and f"app/{url}" in files:
        _check_page(f"app/{url}", files, problems)


def _check_page(name: str, files: dict[str, Path], problems: list[AppProblem]) -> None:
    page = html_references(files[name].read_text(encoding="utf-8"))
    if APP_CLIENT not in page.urls:
        problems.append(MissingField(f'{name}: must load FDK\'s client with <script src="{APP_CLIENT}">'))
    if page.inline_scripts:
        problems.append(InvalidField(f"{name}: has {page.inline_scripts} inline script(s); scripts go in files under app/"))
    for url in page.urls:
        if url == APP_CLIENT or url.startswith("#"):
            continue
        if urlsplit(url).scheme or urlsplit(url).netloc:
            problems.append(InsecureUrl(f"{name}: {url} is outside the app; ship it under app/"))
        elif (PurePosixPath(name).parent / urlsplit(url).path).as_posix() not in files:
            problems.append(MissingAsset(f"{name} references {url}, which is not in the package"))


def _check_iparams(files: dict[str, Path], problems: list[AppProblem]) -> dict:
    if "config/iparams.json" in files and "config/iparams.html" in files:
        problems.append(InvalidField("config/: iparams.json and iparams.html cannot both be present"))
    if "config/iparams.json" not in files:
        return {}
    iparams = read_json_file(files["config/iparams.json"], "config/iparams.json", problems) or {}
    for name, spec in iparams.items():
        where = f"config/iparams.json: {name}"
        if not isinstance(spec, dict):
            problems.append(InvalidField(f"{where} must be an object"))
            continue
        if not isinstance(spec.get("display_name"), str) or not spec["display_name"].strip():
            problems.append(MissingField(f"{where}.display_name is required"))
        if spec.get("type") not in IPARAM_TYPES:
            problems.append(InvalidField(f"{where}.type {spec.get('type')!r} is not one of {', '.join(IPARAM_TYPES)}"))
        for flag in ("required", "secure"):
            if flag in spec and not isinstance(spec[flag], bool):
                problems.append(InvalidField(f"{where}.{flag} must be true or false"))
        if CREDENTIAL_NAME.search(name) and spec.get("secure") is not True:
            problems.append(InsecureParameter(f"{where} holds a credential and must be \"secure\": true"))
    return iparams


def _check_requests(manifest: dict, iparams: dict, files: dict[str, Path], problems: list[AppProblem]) -> None:
    common = (manifest.get("modules") or {}).get("common") or {}
    declared = set(common.get("requests") or {}) if isinstance(common, dict) else set()
    templates = read_json_file(files["config/requests.json"], "config/requests.json", problems) \
        if "config/requests.json" in files else {}
    templates = templates or {}
    for name in sorted(declared - set(templates)):
        problems.append(MissingField(f"manifest.json: modules.common.requests.{name} has no template in config/requests.json"))
    for name in sorted(set(templates) - declared):
        problems.append(MissingField(f"config/requests.json: {name} is not declared in modules.common.requests"))
    secure = {name for name, spec in iparams.items() if isinstance(spec, dict) and spec.get("secure") is True}
    for name, template in templates.items():
        where = f"config/requests.json: {name}"
        schema = template.get("schema") if isinstance(template, dict) else None
        if not isinstance(schema, dict):
            problems.append(MissingField(f"{where}.schema is required"))
            continue
        if schema.get("protocol", "https") != "https":
            problems.append(InsecureUrl(f"{where}.schema.protocol must be https"))
        if schema.get("method") not in METHODS:
            problems.append(InvalidField(f"{where}.schema.method must be one of {', '.join(METHODS)}"))
        host = schema.get("host")
        if not isinstance(host, str) or not host or "://" in host or "/" in host:
            problems.append(InvalidField(f"{where}.schema.host must be a bare host name (no scheme or path), got {host!r}"))
        if not isinstance(schema.get("path", "/"), str) or not schema.get("path", "/").startswith("/"):
            problems.append(InvalidField(f"{where}.schema.path must start with /"))
        for part in ("host", "path", "query", "headers"):
            for used in IPARAM_USE.findall(str(schema.get(part, ""))):
                if used not in iparams:
                    problems.append(InvalidField(f"{where}.schema.{part}: iparam.{used} is not in config/iparams.json"))
                elif used in secure and part != "headers":
                    problems.append(InsecureParameter(f"{where}.schema.{part}: the secure iparam.{used} may go in headers only"))
        options = template.get("options") or {}
        if "maxAttempts" in options and options["maxAttempts"] not in MAX_ATTEMPTS:
            problems.append(InvalidField(f"{where}.options.maxAttempts must be 1 to 5"))
        if not 0 <= options.get("retryDelay", 0) <= MAX_RETRY_DELAY_MS:
            problems.append(InvalidField(f"{where}.options.retryDelay must be 0 to {MAX_RETRY_DELAY_MS} ms"))


def check_freshdesk_app(root: Path, *, known_secrets: Iterable[str] = ()) -> list[AppProblem]:
    """Every problem FDK (or a leaked secret) would have with the app under `root`; empty when it is fine."""
    problems: list[AppProblem] = []
    files = freshdesk_files(root)
    for name, path in files.items():
        if not path.is_file():
            problems.append(MissingFile(f"{name}: missing (from {path.relative_to(root).as_posix()})"))
    if problems or "manifest.json" not in files:
        return problems or [MissingFile(f"{APP_DIR}/manifest.json: missing")]
    manifest = read_json_file(files["manifest.json"], "manifest.json", problems)
    if manifest is None:
        return problems
    _check_manifest(manifest, files, problems)
    _check_requests(manifest, _check_iparams(files, problems), files, problems)
    for name, path in files.items():
        if name.endswith(".js") and PLATFORM_2_CALLS.search(path.read_text(encoding="utf-8")):
            problems.append(InvalidField(f"{name}: calls a Platform 2.x request method; 3.0 uses invokeTemplate"))
    check_secrets(files, known_secrets, problems)
    return problems


def build_freshdesk_package(root: Path, out: Path, *, known_secrets: Iterable[str] = ()) -> list[str]:
    """Check the app and write its zip to `out`; the zipped names, or AppPackageError."""
    return write_checked_zip(check_freshdesk_app(root, known_secrets=known_secrets), freshdesk_files(root), out)
