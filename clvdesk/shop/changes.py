"""What a shop tells clvdesk, in no vendor's shape: an order as it now stands, a refund, a customer's new email,
and the privacy requests. Each vendor's module (shopify.py, woocommerce.py) reads its payloads into these.

Amounts are in the shop's own currency, as decimal strings parsed exactly and kept as floats only once
checked finite; ids are strings (Shopify's exceed 2^53, which a double would round).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

from clvdesk.customers import normalise_email
from clvdesk.events import Ignored


class ShopPayloadError(ValueError):
    """A shop's payload is not what its contract says; the message names the field and the value."""


@dataclass(frozen=True)
class CustomerRef:
    """Who an order or request is about: the shop's customer id (None for a guest) and/or an email."""

    customer_id: str | None = None
    email: str | None = None

    @property
    def key(self) -> str:
        """The customer's key in the shop's ledger: their id where the shop has one, else their email."""
        return f"id:{self.customer_id}" if self.customer_id else f"email:{self.email}"


@dataclass(frozen=True)
class Order:
    """An order as it now stands. `counted`: False for an order that does not count as a purchase
    (cancelled, voided, unpaid, failed): see clvdesk.shop.history for the rule. `refunds`: refund id →
    (day, amount > 0), those the order's payload lists."""

    platform: str
    order_id: str
    customer: CustomerRef
    day: date
    amount: float
    currency: str
    counted: bool
    refunds: dict[str, tuple[date, float]] = field(default_factory=dict)
    kind: str = "order"


@dataclass(frozen=True)
class Refund:
    """One refund of an order (Shopify's refunds/create): its customer is the order's."""

    platform: str
    order_id: str
    refund_id: str
    day: date
    amount: float
    currency: str | None
    kind: str = "refund"


@dataclass(frozen=True)
class EmailChange:
    """customers/update: the shop's customer now has this email."""

    platform: str
    customer: CustomerRef
    kind: str = "email"


@dataclass(frozen=True)
class PrivacyRequest:
    """Shopify's mandatory privacy topics: erase one customer (redact), export their data (data_request),
    or erase everything the shop sent (shop_redact). `request_id` names it in logs instead of the person."""

    platform: str
    shop: str
    action: str  # "redact", "data_request" or "shop_redact"
    request_id: str
    customer: CustomerRef | None = None
    kind: str = "privacy"


Change = Order | Refund | EmailChange | PrivacyRequest
_KINDS = {"order": Order, "refund": Refund, "email": EmailChange, "privacy": PrivacyRequest}


def to_job(change: Change) -> dict:
    """The change as the JSON a job carries."""
    return _jsonable(asdict(change))


def from_job(data: dict) -> Change:
    """to_job's inverse."""
    data = dict(data)
    cls = _KINDS[data["kind"]]
    if data.get("customer") is not None:
        data["customer"] = CustomerRef(**data["customer"])
    if "day" in data:
        data["day"] = date.fromisoformat(data["day"])
    if "refunds" in data:
        data["refunds"] = {key: (date.fromisoformat(day), amount) for key, (day, amount) in data["refunds"].items()}
    return cls(**data)


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def email_change(platform: str, body: dict) -> EmailChange | Ignored:
    """A customer object (customers/update, customer.updated) as the change of their email, or Ignored."""
    email = email_of(body.get("email"))
    if email is None:
        return Ignored("the customer has no email")
    return EmailChange(platform, CustomerRef(id_of(body.get("id"), "id"), email))


# --- field readers shared by the vendors' parsers -------------------------------------------------------


def amount_of(value: object, what: str) -> float:
    """A money amount given as a decimal string (or number): finite, at most cents' precision not required."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ShopPayloadError(f"{what} {str(value)[:40]!r} is not a decimal amount") from None
    if not number.is_finite() or not math.isfinite(float(number)):
        raise ShopPayloadError(f"{what} {str(value)[:40]!r} is not a finite amount")
    return float(number)


def day_of(value: object, what: str) -> date:
    """The UTC day of an ISO 8601 timestamp (one without an offset is taken as UTC)."""
    if not isinstance(value, str) or not value:
        raise ShopPayloadError(f"{what} is missing or not a timestamp")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShopPayloadError(f"{what} {value[:40]!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).date()


def id_of(value: object, what: str) -> str:
    """An id as text: a positive integer or a non-empty string (never via a float, which rounds past 2^53)."""
    if isinstance(value, bool) or value is None:
        raise ShopPayloadError(f"{what} is missing")
    if isinstance(value, int):
        if value <= 0:
            raise ShopPayloadError(f"{what} {value} is not a positive id")
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 200:
        return value.strip()
    raise ShopPayloadError(f"{what} {str(value)[:40]!r} is not an id")


def email_of(value: object) -> str | None:
    """A normalised email, or None where there is none."""
    return normalise_email(value) if isinstance(value, str) and "@" in value else None


def currency_of(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise ShopPayloadError(f"{what} {str(value)[:20]!r} is not an ISO 4217 currency code")
    return value.upper()


def items(value: object, what: str) -> list:
    """A JSON array (absent or null: none)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShopPayloadError(f"{what} is not a JSON array")
    return value


def mapping(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise ShopPayloadError(f"{what} is not a JSON object")
    return value
