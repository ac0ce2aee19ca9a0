"""Rule validation errors as a support admin reads them: where (tiers[2].max_amount) and what to do."""

from __future__ import annotations

from pydantic import ValidationError


def error_path(location: tuple[str | int, ...]) -> str:
    """('tiers', 2, 'max_amount') → 'tiers[2].max_amount'."""
    path = ""
    for part in location:
        if isinstance(part, int) or part == "[key]":
            path += f"[{part}]" if isinstance(part, int) else "[key]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(the rules)"


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _entries(count: object) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def _message(error: dict) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    texts = {
        "missing": "is required",
        "extra_forbidden": "is not a setting clvdesk knows; check the spelling or remove it",
        "greater_than_equal": f"must be {_number(context.get('ge'))} or more",
        "greater_than": f"must be more than {_number(context.get('gt'))}",
        "less_than_equal": f"must be {_number(context.get('le'))} or less",
        "less_than": f"must be less than {_number(context.get('lt'))}",
        "finite_number": "must be a finite number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "string_type": "must be text",
        "list_type": "must be a list",
        "dict_type": "must be an object of name → value",
        "model_type": "must be an object with settings",
        "too_short": f"needs at least {_entries(context.get('min_length'))}",
        "too_long": f"may have at most {_entries(context.get('max_length'))}",
        "string_too_short": "must not be empty",
        "string_too_long": f"must be at most {context.get('max_length')} characters",
        "literal_error": f"must be one of {context.get('expected')}",
        "json_invalid": "is not valid JSON",
    }
    if kind == "string_pattern_mismatch":
        field = next((part for part in reversed(error["loc"]) if isinstance(part, str)), "")
        return {
            "currency": "must be a three-letter currency code in capitals, such as USD",
        }.get(field, "must start with a lower-case letter and use only a-z, 0-9 and _ (at most 40 characters)")
    if kind == "value_error":
        return str(context.get("error") or error["msg"]).removeprefix("Value error, ")
    return texts.get(kind, error["msg"])


def admin_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Every error, in order, as {"path", "message"}."""
    return [{"path": error_path(tuple(error["loc"])), "message": _message(error)} for error in exc.errors()]
