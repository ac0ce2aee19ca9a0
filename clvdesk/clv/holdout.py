"""The holdout check of Fader & Hardie: fit on the calibration period, predict each customer's repeat
purchases in the holdout period, and compare with what they did — per customer, in aggregate and by
number of repeat purchases in calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvdesk.clv.fitting import Fit
from clvdesk.clv.model import PURCHASE_MODELS
from clvdesk.clv.rows import compress

FREQUENCY_GROUPS = 7  # calibration frequencies 0..6 shown apart, 7 and more together


def holdout_check(summary: pd.DataFrame, purchase_model: str) -> tuple[Fit, dict]:
    """The fitted purchase model and the comparison; `summary` needs frequency_holdout and duration_holdout."""
    module = PURCHASE_MODELS[purchase_model]
    rows = compress(summary["frequency"], summary["recency"], summary["T"])
    fitted = module.fit(rows)
    duration = float(summary["duration_holdout"].iloc[0])
    predicted = rows.broadcast(module.expected_purchases(module.params_of(fitted), duration, rows.x, rows.t_x, rows.T))
    actual = summary["frequency_holdout"].to_numpy(dtype="float64")
    error = predicted - actual
    group = np.minimum(summary["frequency"].to_numpy(), FREQUENCY_GROUPS)
    table = (
        pd.DataFrame({"group": group, "predicted": predicted, "actual": actual})
        .groupby("group")
        .agg(customers=("actual", "size"), predicted_mean=("predicted", "mean"), actual_mean=("actual", "mean"))
    )
    by_frequency = [
        {"frequency": f"{g}+" if g == FREQUENCY_GROUPS else str(g), "customers": int(row.customers),
         "predicted_mean": float(row.predicted_mean), "actual_mean": float(row.actual_mean)}
        for g, row in table.iterrows()
    ]
    comparison = {
        "customers": int(len(summary)),
        "holdout_length": duration,
        "aggregate": {
            "predicted": float(predicted.sum()),
            "actual": float(actual.sum()),
            "error_percent": float(100 * (predicted.sum() - actual.sum()) / actual.sum()) if actual.sum() else None,
        },
        "per_customer": {
            "mean_absolute_error": float(np.abs(error).mean()),
            "root_mean_squared_error": float(np.sqrt((error ** 2).mean())),
            "correlation": float(np.corrcoef(predicted, actual)[0, 1]) if np.ptp(actual) and np.ptp(predicted) else None,
        },
        "by_frequency": by_frequency,
    }
    return fitted, comparison
