"""The Zendesk app package: check the app as Zendesk's validator would, then zip what Zendesk uploads.

Zendesk rejects a broken app only at upload, in the admin's browser; these checks fail the build instead,
each with its own error type and a message naming the file and field. The rules follow Zendesk's manifest
reference and the validations of its app tools (zcli apps validate): required fields, parameter types,
secure settings, locales, https URLs, assets that exist, logo sizes, and no secret in any file.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

ROOT_FILES = ("manifest.json",)
# zip folder -> where its files are read from: the sidebar's strings are the package's own language
# files (clvdesk/locales/), which the note and the reasons are written from too
PACKAGED_DIRS = {"assets": "assets", "translations": "translations", "assets/locales": "clvdesk/locales"}
REQUIRED_FIELDS = ("name", "author", "defaultLocale", "location", "frameworkVersion")
AUTHOR_FIELDS = ("name", "email", "url")
FRAMEWORK_VERSIONS = ("2.0",)
PARAMETER_TYPES = ("text", "password", "checkbox", "url", "number", "multiline", "hidden", "oauth")
SUPPORT_LOCATIONS = (
    "ticket_sidebar", "new_ticket_sidebar", "user_sidebar", "organization_sidebar",
    "top_bar", "nav_bar", "ticket_editor", "background", "modal",
)
# A parameter whose name says it holds a credential must be secure (Zendesk warns; we refuse).
CREDENTIAL_NAME = re.compile(r"token|key|pwd|password|secret", re.IGNORECASE)
# Zendesk's locale file names, and the languages its agent interface offers.
LOCALE_FORMAT = re.compile(r"^[a-z]{2}(-[a-z0-9]{2,3})?$")
ZENDESK_LANGUAGES = frozenset(
    "ar bg ca cs da de el en es et fi fr he hi hr hu id is it ja ko lt lv ms nl no pl pt ro ru sk sl sr sv th "
    "tr uk vi zh".split()
)
APP_TEXTS = ("name", "short_description", "long_description", "installation_instructions")
LOGOS = {"logo.png": 320, "logo-small.png": 128}  # pixels, square, as Zendesk requires
MIN_KNOWN_SECRET_CHARS = 8  # shorter values would match ordinary text
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLACEHOLDER_HOST = "clvdesk.example.com"  # the shipped manifest's stand-in for the clvdesk service's host
SERVICE_URL_PARAMETER = "service_url"
SETTING_PLACEHOLDER = re.compile(r"\{\{\s*setting\.([A-Za-z0-9_]+)\s*\}\}")
TEXT_SUFFIXES = (".html", ".js", ".css", ".json", ".svg", ".txt", ".md")
SECRET_PATTERNS = {
    "a private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY"),
    "an AWS access key id": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "a Slack token": re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    "a credential assigned a literal value": re.compile(
        r"(?i)\b(?:api[_-]?key|api[_-]?token|secret|password|passwd|token)\b[\"']?\s*[:=]\s*[\"']"
        r"(?!\{\{)[A-Za-z0-9_\-+/=.]{12,}[\"']"
    ),
    "a bearer token": re.compile(r"(?i)\bBearer\s+(?!\{\{)[A-Za-z0-9_\-+/=.]{16,}"),
}


class AppProblem(Exception):
    """One way the app breaks its helpdesk's rules; the message names the file and field."""


class MissingFile(AppProblem):
    pass


class InvalidJson(AppProblem):
    pass


class MissingField(AppProblem):
    pass


class InvalidField(AppProblem):
    pass


class UnknownLocale(AppProblem):
    pass


class InsecureUrl(AppProblem):
    pass


class InsecureParameter(AppProblem):
    pass


class MissingTranslation(AppProblem):
    pass


class MissingAsset(AppProblem):
    pass


class BadLogo(AppProblem):
    pass


class SecretInFile(AppProblem):
    pass


class PlaceholderDomain(AppProblem):
    """The manifest still names the example host: Zendesk would send the API token to nobody's server."""


class AppPackageError(Exception):
    """The app cannot be packaged; `problems` lists every reason."""

    def __init__(self, problems: list[AppProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def package_files(root: Path) -> dict[str, Path]:
    """What goes into the zip (name in it, relative POSIX -> file): the manifest, assets/, translations/
    and the language files as assets/locales/."""
    found = {name: root / name for name in ROOT_FILES if (root / name).is_file()}
    for folder, source in PACKAGED_DIRS.items():
        base = root / source
        if base.is_dir():
            found.update(
                (f"{folder}/{path.relative_to(base).as_posix()}", path)
                for path in sorted(base.rglob("*"))
                if path.is_file() and not any(part.startswith(".") for part in path.relative_to(base).parts)
            )
    return dict(sorted(found.items()))


def read_json_file(path: Path, name: str, problems: list[AppProblem]) -> dict | None:
    """The JSON object in `path` (called `name` in messages), or None with the problem recorded."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(MissingFile(f"{name}: missing"))
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(InvalidJson(f"{name}: not valid JSON ({exc})"))
        return None
    if not isinstance(value, dict):
        problems.append(InvalidJson(f"{name}: must hold a JSON object, not {type(value).__name__}"))
        return None
    return value


def _https(url: object, where: str, problems: list[AppProblem]) -> None:
    if not isinstance(url, str) or urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
        problems.append(InsecureUrl(f"{where}: must be an https URL, got {url!r}"))


def _check_manifest(root: Path, manifest: dict, problems: list[AppProblem]) -> None:
    for field in REQUIRED_FIELDS:
        if manifest.get(field) in (None, "", {}):
            problems.append(MissingField(f"manifest.json: {field} is required"))
    author = manifest.get("author")
    if isinstance(author, dict):
        for field in AUTHOR_FIELDS:
            if not isinstance(author.get(field), str) or not author[field].strip():
                problems.append(MissingField(f"manifest.json: author.{field} is required"))
        if isinstance(author.get("url"), str):
            _https(author["url"], "manifest.json: author.url", problems)
    elif author is not None:
        problems.append(InvalidField("manifest.json: author must be an object with name, email and url"))
    if "frameworkVersion" in manifest and manifest["frameworkVersion"] not in FRAMEWORK_VERSIONS:
        problems.append(InvalidField(
            f"manifest.json: frameworkVersion must be one of {', '.join(FRAMEWORK_VERSIONS)}, "
            f"got {manifest['frameworkVersion']!r}"
        ))
    for field in ("private", "singleInstall", "signedUrls"):
        if field in manifest and not isinstance(manifest[field], bool):
            problems.append(InvalidField(f"manifest.json: {field} must be true or false"))
    _check_locations(root, manifest.get("location"), problems)
    _check_parameters(manifest.get("parameters", []), problems)
    whitelist = manifest.get("domainWhitelist", [])
    if not isinstance(whitelist, list) or not all(isinstance(domain, str) for domain in whitelist):
        problems.append(InvalidField("manifest.json: domainWhitelist must be a list of host names"))
    else:
        for domain in whitelist:
            if urlsplit(f"//{domain}").hostname != domain.lower() or "/" in domain:
                problems.append(InvalidField(
                    f"manifest.json: domainWhitelist entry {domain!r} must be a bare host name (no scheme or path)"
                ))


def _check_locations(root: Path, location: object, problems: list[AppProblem]) -> None:
    if location is None:
        return
    if not isinstance(location, dict) or not location:
        problems.append(InvalidField("manifest.json: location must map products to their locations"))
        return
    for product, places in location.items():
        if product != "support":
            problems.append(InvalidField(f"manifest.json: location.{product} is not a product this app supports"))
            continue
        if not isinstance(places, dict):
            problems.append(InvalidField(f"manifest.json: location.{product} must be an object"))
            continue
        for name, options in places.items():
            where = f"manifest.json: location.{product}.{name}"
            if name not in SUPPORT_LOCATIONS:
                problems.append(InvalidField(f"{where} is not a Zendesk Support location"))
                continue
            url = options.get("url") if isinstance(options, dict) else options
            if isinstance(options, dict) and "flexible" in options and not isinstance(options["flexible"], bool):
                problems.append(InvalidField(f"{where}.flexible must be true or false"))
            if not isinstance(url, str) or not url:
                problems.append(MissingField(f"{where}.url is required"))
            elif urlsplit(url).scheme:
                _https(url, f"{where}.url", problems)
            elif not url.startswith("assets/") or not (root / url).is_file():
                problems.append(MissingAsset(f"{where}.url: {url} is not a file under assets/"))


def _check_parameters(parameters: object, problems: list[AppProblem]) -> None:
    if not isinstance(parameters, list):
        problems.append(InvalidField("manifest.json: parameters must be a list"))
        return
    seen: set[str] = set()
    for index, parameter in enumerate(parameters):
        where = f"manifest.json: parameters[{index}]"
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str) or not parameter["name"]:
            problems.append(MissingField(f"{where}.name is required"))
            continue
        name = parameter["name"]
        where = f"manifest.json: parameter {name}"
        if name in seen:
            problems.append(InvalidField(f"{where} is declared twice"))
        if name == "name":
            problems.append(InvalidField(f"{where}: 'name' is reserved and cannot name a parameter"))
        seen.add(name)
        kind = parameter.get("type", "text")
        if kind not in PARAMETER_TYPES:
            problems.append(InvalidField(f"{where}: type {kind!r} is not one of {', '.join(PARAMETER_TYPES)}"))
        for flag in ("required", "secure"):
            if flag in parameter and not isinstance(parameter[flag], bool):
                problems.append(InvalidField(f"{where}: {flag} must be true or false"))
        secure = parameter.get("secure") is True
        if CREDENTIAL_NAME.search(name) and kind in ("text", "password") and not secure:
            problems.append(InsecureParameter(
                f"{where} holds a credential and must be \"secure\": true, so only Zendesk's proxy reads it"
            ))
        if (secure or kind == "hidden") and "default" in parameter:
            problems.append(InsecureParameter(f"{where}: a secure or hidden parameter cannot have a default"))
        if kind == "hidden" and parameter.get("required"):
            problems.append(InvalidField(f"{where}: a hidden parameter cannot be required"))


def _locale(file_name: str) -> str:
    return PurePosixPath(file_name).stem


def _check_translations(root: Path, manifest: dict, files: dict[str, Path], problems: list[AppProblem]) -> None:
    default = manifest.get("defaultLocale")
    locales = {_locale(name): name for name in files if name.startswith("translations/") and name.endswith(".json")}
    for locale, name in locales.items():
        if not LOCALE_FORMAT.match(locale) or locale.split("-")[0] not in ZENDESK_LANGUAGES:
            problems.append(UnknownLocale(f"{name}: {locale!r} is not a locale Zendesk knows"))
    if isinstance(default, str) and default:
        if not LOCALE_FORMAT.match(default) or default.split("-")[0] not in ZENDESK_LANGUAGES:
            problems.append(UnknownLocale(f"manifest.json: defaultLocale {default!r} is not a locale Zendesk knows"))
        elif default not in locales:
            problems.append(MissingFile(f"translations/{default}.json: missing (the defaultLocale's translations)"))
    texts = {locale: read_json_file(root / name, name, problems) for locale, name in sorted(locales.items())}
    parameters = [p["name"] for p in manifest.get("parameters", []) if isinstance(p, dict) and "name" in p]
    required = [f"app.{field}" for field in APP_TEXTS] + [f"app.parameters.{name}.label" for name in parameters]
    reference = _keys(texts.get(default) or {})
    for locale, text in texts.items():
        if text is None:
            continue
        keys = _keys(text)
        name = locales[locale]
        for key in required:
            if key not in keys:
                problems.append(MissingTranslation(f"{name}: {key} is missing"))
        for key in sorted(reference - keys - set(required)):
            problems.append(MissingTranslation(f"{name}: {key} is missing (translations/{default}.json has it)"))


def _keys(tree: dict, prefix: str = "") -> set[str]:
    """The dotted paths of every non-empty string in a translation file."""
    found: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found |= _keys(value, f"{path}.")
        elif isinstance(value, str) and value.strip():
            found.add(path)
    return found


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0  # <script> elements with code of their own, not a src
        self._script = False

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data):
        if self._script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        self._script = False


def html_references(text: str) -> _References:
    """The src and href values of a page, and how many inline scripts it has."""
    parser = _References()
    parser.feed(text)
    parser.close()
    return parser


def _check_assets(root: Path, manifest: dict, files: dict[str, Path], problems: list[AppProblem]) -> None:
    for name in (f for f in files if f.startswith("assets/") and f.endswith(".html")):
        for url in html_references(files[name].read_text(encoding="utf-8")).urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                _https(url, f"{name}: {url}", problems)
            elif not url.startswith("#"):
                target = (PurePosixPath(name).parent / parts.path).as_posix()
                if target not in files:
                    problems.append(MissingAsset(f"{name} references {url}, which is not in the package"))
    for logo, size in LOGOS.items():
        _check_logo(root, f"assets/{logo}", size, files, problems)
    declared = {p.get("name") for p in manifest.get("parameters", []) if isinstance(p, dict)}
    for name in (f for f in files if f.startswith("assets/") and f.endswith(TEXT_SUFFIXES)):
        for setting in sorted(set(SETTING_PLACEHOLDER.findall(files[name].read_text(encoding="utf-8")))):
            if setting not in declared:
                problems.append(InvalidField(f"{name}: {{{{setting.{setting}}}}} names no parameter of the manifest"))


def _check_logo(root: Path, name: str, size: int, files: dict[str, Path], problems: list[AppProblem]) -> None:
    if name not in files:
        problems.append(MissingAsset(f"{name}: missing (Zendesk shows it in the apps list)"))
        return
    data = (root / name).read_bytes()
    if not data.startswith(PNG_SIGNATURE) or len(data) < 24:
        problems.append(BadLogo(f"{name}: not a PNG image"))
        return
    width, height = struct.unpack(">II", data[16:24])
    if (width, height) != (size, size):
        problems.append(BadLogo(f"{name}: is {width}x{height} pixels; Zendesk requires {size}x{size}"))


def check_secrets(sources: Mapping[str, Path], known: Iterable[str], problems: list[AppProblem]) -> None:
    """No file of the package (name -> where it is read from) holds a secret, known or by its look."""
    known = [secret for secret in known if len(secret) >= MIN_KNOWN_SECRET_CHARS]
    for name, path in sources.items():
        if not name.endswith(TEXT_SUFFIXES):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for what, pattern in SECRET_PATTERNS.items():
            match = pattern.search(text)
            if match:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(SecretInFile(f"{name}:{line}: looks like {what}; secrets belong in secure settings"))
        if any(secret in text for secret in known):
            problems.append(SecretInFile(f"{name}: contains the value of a clvdesk token or secret"))


def placeholder_fields(manifest: dict) -> list[str]:
    """The manifest's fields (dotted paths) that still name PLACEHOLDER_HOST."""
    def walk(value: object, path: str) -> list[str]:
        if isinstance(value, dict):
            return [found for key, item in value.items() for found in walk(item, f"{path}.{key}" if path else str(key))]
        if isinstance(value, list):
            return [found for item in value for found in walk(item, path)]
        return [path] if isinstance(value, str) and PLACEHOLDER_HOST in value.lower() else []

    return list(dict.fromkeys(walk(manifest, "")))


def placeholder_problem(manifest: dict) -> PlaceholderDomain | None:
    fields = placeholder_fields(manifest)
    if not fields:
        return None
    return PlaceholderDomain(f"manifest.json: {', '.join(fields)} still name the placeholder host {PLACEHOLDER_HOST}; "
                             "pass --url with your clvdesk service's public https URL (e.g. --url https://clv.yourshop.com)")


def for_service(manifest: dict, service_url: str, problems: list[AppProblem]) -> dict:
    """The manifest for the clvdesk service at `service_url`: its host in place of PLACEHOLDER_HOST (the
    domainWhitelist Zendesk sends the API token to, the author's URL and email) and the Service URL
    setting filled in, so that the admin installing the app has nothing to retype."""
    _https(service_url, "--url", problems)
    host = urlsplit(service_url).hostname if isinstance(service_url, str) else None
    if host is None or problems:
        return manifest

    def replaced(value: object) -> object:
        if isinstance(value, dict):
            return {key: replaced(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replaced(item) for item in value]
        return re.sub(re.escape(PLACEHOLDER_HOST), host, value, flags=re.IGNORECASE) if isinstance(value, str) else value

    ready = replaced(manifest)
    for parameter in ready.get("parameters", []) if isinstance(ready.get("parameters"), list) else []:
        if isinstance(parameter, dict) and parameter.get("name") == SERVICE_URL_PARAMETER:
            parameter["default"] = service_url.rstrip("/")
    return ready


def check_app(root: Path, *, known_secrets: Iterable[str] = (), service_url: str | None = None) -> list[AppProblem]:
    """Every problem Zendesk (or a leaked secret) would have with the app in `root`, for the clvdesk service
    at `service_url` where given; empty when it is fine."""
    return _checked_manifest(root, known_secrets, service_url)[1]


def _checked_manifest(root: Path, known_secrets: Iterable[str], service_url: str | None) -> tuple[dict | None, list[AppProblem]]:
    problems: list[AppProblem] = []
    manifest = read_json_file(root / "manifest.json", "manifest.json", problems)
    if manifest is None:
        return None, problems
    if service_url is not None:
        manifest = for_service(manifest, service_url, problems)
    files = package_files(root)
    _check_manifest(root, manifest, problems)
    placeholder = placeholder_problem(manifest)
    if placeholder is not None:
        problems.append(placeholder)
    _check_translations(root, manifest, files, problems)
    _check_assets(root, manifest, files, problems)
    check_secrets(files, known_secrets, problems)
    return manifest, problems


def build_package(root: Path, out: Path, *, known_secrets: Iterable[str] = (), service_url: str | None = None) -> list[str]:
    """Check the app in `root` for the clvdesk service at `service_url` and write its zip to `out`, with the
    manifest made for that service; the zipped paths, or AppPackageError."""
    manifest, problems = _checked_manifest(root, known_secrets, service_url)
    written = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()} if service_url else {}
    return write_checked_zip(problems, package_files(root), out, contents=written)


def write_checked_zip(problems: list[AppProblem], sources: Mapping[str, Path], out: Path, *,
                      contents: Mapping[str, bytes] | None = None) -> list[str]:
    """The zip of `sources` (name in the zip -> file; `contents` in place of some files' bytes) at `out`, unless
    the checks found `problems` (AppPackageError, and nothing written); the zipped names. Fixed timestamps:
    the same app gives the same zip."""
    if problems:
        raise AppPackageError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sources.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (contents or {}).get(name) or path.read_bytes())
    return list(sources)
