"""The fitted model bundle — a purchase model, the spend model and the data's time unit — as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType

import pandas as pd

from clvdesk.clv import bgnbd, gamma_gamma, mbgnbd, pareto
from clvdesk.clv.fitting import Fit
from clvdesk.clv.rows import Rows, compress

PURCHASE_MODELS: dict[str, ModuleType] = {bgnbd.MODEL: bgnbd, mbgnbd.MODEL: mbgnbd, pareto.MODEL: pareto}


@dataclass(frozen=True)
class ClvModel:
    """What scoring needs. Parameters are per `time_unit` (α, β and γ carry its scale)."""

    purchases: Fit
    spend: Fit
    time_unit: str
    calibration_end: str | None = None

    @property
    def purchase_model(self) -> ModuleType:
        return PURCHASE_MODELS[self.purchases.model]

    def to_dict(self) -> dict:
        return {
            "time_unit": self.time_unit,
            "calibration_end": self.calibration_end,
            "purchase_model": self.purchases.model,
            self.purchases.model: self.purchases.to_dict(),
            gamma_gamma.MODEL: self.spend.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ClvModel:
        data = json.loads(text)
        name = data["purchase_model"]
        return cls(
            purchases=Fit.from_dict(name, data[name], PURCHASE_MODELS[name].NAMES),
            spend=Fit.from_dict(gamma_gamma.MODEL, data[gamma_gamma.MODEL], gamma_gamma.NAMES),
            time_unit=data["time_unit"],
            calibration_end=data.get("calibration_end"),
        )


def fit_model(summary: pd.DataFrame, *, purchase_model: str, time_unit: str, calibration_end: str | None = None) -> ClvModel:
    """Fit the purchase model on compressed rows and Gamma-Gamma on repeat buyers' mean spend."""
    rows = compress(*(summary[name].to_numpy() for name in ("frequency", "recency", "T")))
    return fit_rows(rows, summary["frequency"].to_numpy(), summary["monetary_value"].to_numpy(), purchase_model=purchase_model,
                    time_unit=time_unit, calibration_end=calibration_end)


def fit_rows(rows: Rows, frequency, monetary_value, *, purchase_model: str, time_unit: str, calibration_end: str | None) -> ClvModel:
    """fit_model from the compressed rows and the (frequency, mean spend) of customers, repeat buyers at
    least: all an engine that summarises elsewhere (Spark) needs to bring to the driver."""
    purchases = PURCHASE_MODELS[purchase_model].fit(rows)
    spend = gamma_gamma.fit(frequency, monetary_value)
    return ClvModel(purchases=purchases, spend=spend, time_unit=time_unit, calibration_end=calibration_end)
