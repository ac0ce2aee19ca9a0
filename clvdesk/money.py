"""Numbers, money and dates as a reader of each language writes them: $1,240.00 and Dec 3, 2026 in
English, 1.240,00 kr. and 3. dec. 2026 in Danish (as the sidebar's browser writes them, CLDR's way).

How each language writes them is the "format" of its language file (clvdesk/locales/): separators,
where the currency goes, the currencies' symbols and the months' short names.
"""

from __future__ import annotations

from datetime import date

from clvdesk.i18n import DEFAULT_LANGUAGE, strings


def format_number(
    value: float, language: str = DEFAULT_LANGUAGE, *, digits: int = 2, sign: bool = False,
    percent: bool = False, trim: bool = False,
) -> str:
    """`value` with the language's separators; `percent`: as a percentage of 1; `sign`: + before a
    positive; `trim`: without trailing zeros (a multiplier, 1.5)."""
    style = strings(language)["format"]
    shown = abs(value) * (100 if percent else 1)
    digits_text = f"{shown:,.{digits}f}"
    if trim and "." in digits_text:
        digits_text = digits_text.rstrip("0").rstrip(".")
    text = digits_text.replace(",", "\0").replace(".", style["decimal"]).replace("\0", style["group"])
    if percent:
        text = style["percent"].format(number=text)
    negative = value < 0 and float(digits_text.replace(",", "")) != 0
    return ("-" if negative else "+" if sign else "") + text


def format_money(amount: float, currency: str, language: str = DEFAULT_LANGUAGE) -> str:
    """$1,240.00, €12.50, DKK 75.00 in English; 1.240,00 US$, 75,00 kr. in Danish."""
    style = strings(language)["format"]
    symbol = style["symbols"].get(currency)
    pattern = style["money"] if symbol else style["money_code"]
    text = pattern.format(amount=format_number(abs(amount), language), symbol=symbol, code=currency)
    return f"-{text}" if amount < 0 and round(amount, 2) != 0 else text


def format_date(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """Dec 3, 2026 in English, 3. dec. 2026 in Danish."""
    style = strings(language)["format"]
    return style["date"].format(day=day.day, month=style["months"][day.month - 1], year=day.year)
