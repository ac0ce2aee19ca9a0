"""Residual CLV and P(alive) as of the moment a customer is looked up, not as of the nightly fit.

Without a purchase, a customer's history (frequency, recency) stays what it was at the fit and only their
age T grows, so the fitted model, the money settings and each customer's (frequency, recency, T at the
fit, expected spend) are enough to recompute P(alive), the residual purchases and the residual CLV at any
later instant, with the same functions the batch scores use: a lookup at the fit's own instant gives the
batch scores. The valuation (model, money, horizon, the fit's instant) is stored beside the customers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from clvdesk.clv.model import ClvModel
from clvdesk.clv.scoring import Money, future_purchases
from clvdesk.defaults import CLV_TIME_UNIT_DAYS

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class FreshValues:
    p_alive: float
    residual_clv: float
    total_clv: float
    expected_purchases_1y: float


@dataclass(frozen=True)
class Valuation:
    """What turns a customer's history into values at a given instant; `as_of` is the instant each stored
    T is measured to (the calibration end, midnight UTC, or the moment a fit from a ready summary ran)."""

    model: ClvModel
    money: Money
    horizon_days: float | None
    as_of: datetime
    customer_equity: float | None = None  # Σ total CLV − CAC × customers at the fit: the outcome report's yardstick

    def to_json(self) -> str:
        return json.dumps({
            "model": self.model.to_dict(),
            "money": {"margin": self.money.margin, "annual_discount_rate": self.money.annual_discount_rate, "cac": self.money.cac},
            "horizon_days": self.horizon_days,
            "as_of": self.as_of.isoformat(),
            "customer_equity": self.customer_equity,
        })

    @classmethod
    def from_json(cls, text: str | bytes) -> Valuation:
        data = json.loads(text)
        return cls(model=ClvModel.from_json(json.dumps(data["model"])), money=Money(**data["money"]),
                   horizon_days=data["horizon_days"], as_of=datetime.fromisoformat(data["as_of"]),
                   customer_equity=data.get("customer_equity"))  # stored before the report used it: none

    @classmethod
    def of_fit(cls, model: ClvModel, money: Money, horizon_days: float | None, *, fitted_at: datetime,
               customer_equity: float | None = None) -> Valuation:
        """The fit's instant: its calibration end when the orders gave one, else when it ran."""
        end = model.calibration_end
        as_of = datetime.fromisoformat(end).replace(tzinfo=timezone.utc) if end else fitted_at
        return cls(model=model, money=money, horizon_days=horizon_days, as_of=as_of, customer_equity=customer_equity)

    def values_at(self, when: datetime, *, frequency: float, recency: float, T: float, expected_spend: float,
                  historical_spend: float) -> FreshValues:
        """The customer's values at `when` (never earlier than the fit: a clock behind it counts as the fit's instant)."""
        unit_days = CLV_TIME_UNIT_DAYS[self.model.time_unit]
        elapsed = max((when - self.as_of).total_seconds(), 0.0) / SECONDS_PER_DAY / unit_days
        x, t_x, age = np.array([frequency]), np.array([recency]), np.array([T + elapsed])
        purchases = self.model.purchase_model
        alive = float(purchases.p_alive(purchases.params_of(self.model.purchases), x, t_x, age)[0])
        lifetime, year = future_purchases(self.model, self.money, self.horizon_days, x, age)
        residual_clv = self.money.margin * expected_spend * alive * float(lifetime[0])
        return FreshValues(p_alive=alive, residual_clv=residual_clv, total_clv=self.money.margin * historical_spend + residual_clv,
                           expected_purchases_1y=alive * float(year[0]))
