"""`--model auto`: choose the purchase model by how well each predicts a holdout period it was not fitted on.

The orders up to the fit date are split in time: each model is fitted on the calibration part and
predicts every customer's repeat purchases in the holdout part (clvdesk.clv.holdout); the one with the
smallest per-customer root mean squared error wins and is then refitted on all orders. A model that
cannot be fitted on the calibration part is reported with its reason and is not chosen.
"""

from __future__ import annotations

import pandas as pd

from clvdesk.clv.fitting import FitError
from clvdesk.clv.holdout import holdout_check
from clvdesk.clv.model import PURCHASE_MODELS
from clvdesk.clv.summary import summarize
from clvdesk.defaults import CLV_AUTO_HOLDOUT_SHARE

CRITERION = "root_mean_squared_error"  # per customer, repeat purchases in the holdout


class SelectionError(ValueError):
    """No purchase model could be chosen: the message gives each model's reason."""


def holdout_start(orders: pd.DataFrame, end: pd.Timestamp) -> pd.Timestamp:
    """Where the holdout begins: the last CLV_AUTO_HOLDOUT_SHARE of the days from the first order to `end`."""
    first = orders["date"].min()
    return (end - (end - first) * CLV_AUTO_HOLDOUT_SHARE).normalize()


def choose_model(orders: pd.DataFrame, *, time_unit: str, end: pd.Timestamp) -> tuple[str, dict]:
    """(the chosen model's name, the selection report with every model's holdout errors)."""
    split = holdout_start(orders, end)
    summary = summarize(orders, time_unit=time_unit, calibration_end=split, holdout_end=end)
    if "frequency_holdout" not in summary:
        raise SelectionError(f"no orders between {split.date()} and {end.date()}: --model auto needs a holdout period")
    models: dict[str, dict] = {}
    for name in PURCHASE_MODELS:
        try:
            _, comparison = holdout_check(summary, name)
        except FitError as exc:
            models[name] = {"failed": str(exc)}
            continue
        models[name] = {**comparison["per_customer"], "aggregate_error_percent": comparison["aggregate"]["error_percent"]}
    fitted = {name: errors[CRITERION] for name, errors in models.items() if "failed" not in errors}
    if not fitted:
        raise SelectionError("--model auto: no purchase model could be fitted on the calibration period: "
                             + "; ".join(f"{name}: {errors['failed']}" for name, errors in models.items()))
    chosen = min(fitted, key=fitted.get)
    return chosen, {"chosen": chosen, "criterion": CRITERION, "calibration_end": str(split.date()),
                    "holdout_end": str(end.date()), "customers": int(len(summary)), "models": models}
