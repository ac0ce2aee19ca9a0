"""A shop customer's values from their statistics: residual CLV, P(alive), segment and value tier at once,
from the population parameters the last `clv fit` stored (clvdesk.clv.fresh.Valuation). Refitting the
parameters stays a batch job; one customer's new order only moves that customer along the fitted model.

Segments and value tiers rank a customer against everyone: the cutoffs come from a random sample of the
store's current version (SHOP_CUTOFF_SAMPLE customers, drawn once per version by the caller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timezone

import numpy as np
import pandas as pd

from clvdesk.clv import gamma_gamma
from clvdesk.clv.fresh import SECONDS_PER_DAY, Valuation
from clvdesk.clv.segments import segment, top_cutoff, value_tier
from clvdesk.customers import CustomerValue
from clvdesk.defaults import CLV_TIME_UNIT_DAYS
from clvdesk.shop.history import Statistics


@dataclass(frozen=True)
class Population:
    """Where the top shares begin, from a sample of the store's customers."""

    residual_clv: np.ndarray
    historical_spend: np.ndarray

    @classmethod
    def of(cls, customers: list[CustomerValue]) -> Population:
        return cls(np.array([c.residual_clv for c in customers], dtype="float64"),
                   np.array([c.historical_spend for c in customers], dtype="float64"))


def _units(since: datetime, until: datetime, unit_days: float) -> float:
    return (until - since).total_seconds() / SECONDS_PER_DAY / unit_days


def value(stats: Statistics, *, email: str | None, customer_id: str | None, valuation: Valuation | None,
          population: Population | None, now: datetime, before: CustomerValue | None) -> CustomerValue:
    """The customer's record. Without a fitted valuation only the spend and history are known: the residual
    CLV and the labels stay as they were (0 and none for a new customer) until the next `clv fit`."""
    kept = {"tier": before.tier if before else None}
    if valuation is None:
        return CustomerValue(email=email, customer_id=customer_id, historical_spend=stats.historical_spend,
                             residual_clv=before.residual_clv if before else 0.0, **kept)
    unit_days = CLV_TIME_UNIT_DAYS[valuation.model.time_unit]
    first = datetime.combine(stats.first, time(), tzinfo=timezone.utc)
    recency = (stats.last - stats.first).days / unit_days
    T = _units(first, valuation.as_of, unit_days)  # to the fit's instant, as every stored T (negative if first bought after it)
    spend = float(gamma_gamma.expected_spend(gamma_gamma.params_of(valuation.model.spend),
                                             np.array([stats.frequency]), np.array([stats.monetary_value]))[0])
    fresh = valuation.values_at(now, frequency=stats.frequency, recency=recency, T=T, expected_spend=spend,
                                historical_spend=stats.historical_spend)
    numbers = {**fresh.__dict__, "expected_spend": spend}
    if not all(map(math.isfinite, numbers.values())):
        raise ValueError(f"the fitted model gives this customer no finite value ({', '.join(k for k, v in numbers.items() if not math.isfinite(v))}); "
                         "nothing stored: refit with `clvdesk clv fit`")
    labels = {"segment": None, "value_tier": None}
    if population is not None and population.residual_clv.size:
        row = pd.DataFrame({"frequency": [stats.frequency], "T": [_units(first, now, unit_days)], "historical_spend":
                            [stats.historical_spend], "p_alive": [fresh.p_alive], "residual_clv": [fresh.residual_clv]})
        cutoffs = (top_cutoff(population.residual_clv), top_cutoff(population.historical_spend))
        labels["segment"] = str(segment(row, unit_days=unit_days, cutoffs=cutoffs).iloc[0])
        ranked = value_tier(pd.Series(np.append(population.residual_clv, fresh.residual_clv)))
        labels["value_tier"] = str(ranked.iloc[-1])
    return CustomerValue(email=email, customer_id=customer_id, historical_spend=stats.historical_spend, **numbers,
                         frequency=float(stats.frequency), recency=recency, T=T, **labels, **kept)


def seed_of(record: CustomerValue, valuation: Valuation) -> Statistics | None:
    """A fitted customer's history as statistics (see clvdesk.shop.history), None for one without history."""
    if record.T is None or record.frequency is None or record.recency is None:
        return None
    unit_days = CLV_TIME_UNIT_DAYS[valuation.model.time_unit]
    first = (valuation.as_of - pd.Timedelta(days=record.T * unit_days)).date()
    last = first + pd.Timedelta(days=round(record.recency * unit_days))
    frequency = int(round(record.frequency))
    return Statistics(first=first, last=last, frequency=frequency, historical_spend=record.historical_spend,
                      repeat_spend=frequency * (record.expected_spend or 0.0))
