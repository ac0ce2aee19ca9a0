"""Money as agents read it in a note: $1,240.00, €12.50, DKK 75.00."""

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def format_money(amount: float, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency} {digits}"
