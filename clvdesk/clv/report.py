"""What `clvdesk clv fit` and `clv validate` tell the user: one dict for --json, and its text form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from clvdesk.clv import bgnbd, gamma_gamma, mbgnbd, pareto
from clvdesk.clv.fitting import Fit
from clvdesk.clv.model import ClvModel
from clvdesk.clv.scoring import Money, customer_equity
from clvdesk.clv.segments import SEGMENTS
from clvdesk.defaults import CLV_HIGH_VALUE_SHARE, CLV_SPEND_CORRELATION_WARNING

MODEL_TITLES = {module.MODEL: module.TITLE for module in (bgnbd, mbgnbd, pareto, gamma_gamma)}


def top_share_of_revenue(historical_spend: pd.Series, share: float = CLV_HIGH_VALUE_SHARE) -> float:
    """Share of historical revenue brought by the top `share` of customers."""
    spend = np.sort(historical_spend.to_numpy())[::-1]  # numpy's sort: pandas' would carry the customer index along
    total = spend.sum()
    return float(spend[: math.ceil(share * spend.size)].sum() / total) if total > 0 else 0.0


def fit_report(model: ClvModel, scores: pd.DataFrame, money: Money, *, horizon_days: float | None, stored: int | None,
               selection: dict | None = None) -> dict:
    correlation = gamma_gamma.spend_frequency_correlation(scores["frequency"].to_numpy(), scores["monetary_value"].to_numpy())
    warnings = []
    if abs(correlation) > CLV_SPEND_CORRELATION_WARNING:
        warnings.append(
            f"spend per order correlates with purchase frequency (r = {correlation:.2f}); Gamma-Gamma assumes "
            "they are independent, so expected spend is less reliable"
        )
    return {
        "customers": int(len(scores)),
        "time_unit": model.time_unit,
        "calibration_end": model.calibration_end,
        "horizon": "lifetime" if horizon_days is None else f"{horizon_days:g} days",
        "money": {"margin": money.margin, "annual_discount_rate": money.annual_discount_rate, "cac": money.cac},
        **model.to_dict(),
        "model_selection": selection,
        "fit_quality": {
            "repeat_buyers": int((scores["frequency"] > 0).sum()),
            "loglik_per_customer": model.purchases.loglik / model.purchases.customers,
            "spend_frequency_correlation": correlation,
            "warnings": warnings,
        },
        "totals": {
            "historical_spend": float(scores["historical_spend"].sum()),
            "residual_clv": float(scores["residual_clv"].sum()),
            "total_clv": float(scores["total_clv"].sum()),
            "customer_equity": customer_equity(scores, money),
        },
        "top_20_percent_revenue_share": top_share_of_revenue(scores["historical_spend"]),
        "segments": {name: int((scores["segment"] == name).sum()) for name in SEGMENTS},
        "value_tiers": _tier_sizes(scores),
        "stored": stored,
    }


def _tier_sizes(scores: pd.DataFrame) -> dict[str, int]:
    """Customers per value tier, the most valuable tier first."""
    floors = scores.groupby("value_tier")["residual_clv"].min().sort_values(ascending=False)
    counts = scores["value_tier"].value_counts()
    return {name: int(counts[name]) for name in floors.index}


def _params(fit: Fit) -> str:
    def one(name, value):
        se = fit.se.get(name)
        return f"{name}={value:.4g}" + (f" (±{se:.2g})" if se is not None else "")

    return "  ".join(one(name, value) for name, value in fit.params.items())


def fit_text(report: dict, model: ClvModel) -> str:
    totals, quality = report["totals"], report["fit_quality"]
    lines = [
        f"{report['customers']:,} customers; time unit {report['time_unit']}; calibration end {report['calibration_end'] or 'as in the summary'}",
        *_selection_lines(report["model_selection"]),
        f"{MODEL_TITLES[model.purchases.model]:<12} {_params(model.purchases)}  log-likelihood {model.purchases.loglik:.1f}",
        f"{'Gamma-Gamma':<12} {_params(model.spend)}  on {model.spend.customers:,} repeat buyers; "
        f"corr(frequency, spend) {quality['spend_frequency_correlation']:.2f}",
        *(f"warning: {warning}" for warning in quality["warnings"]),
        f"{'Money':<12} margin {report['money']['margin']:.0%}, discount {report['money']['annual_discount_rate']:.0%} a year, "
        f"CAC {report['money']['cac']:,.2f}; residual CLV over the {report['horizon']}",
        f"{'Totals':<12} historical spend {totals['historical_spend']:,.2f}; residual CLV {totals['residual_clv']:,.2f}; "
        f"total CLV {totals['total_clv']:,.2f}; customer equity {totals['customer_equity']:,.2f}",
        f"{'Revenue':<12} the top 20% of customers bring {report['top_20_percent_revenue_share']:.1%}",
        f"{'Segments':<12} " + ", ".join(f"{name} {count:,}" for name, count in report["segments"].items()),
        f"{'Value tiers':<12} " + ", ".join(f"{name} {count:,}" for name, count in report["value_tiers"].items()),
        f"{'Stored':<12} " + (f"{report['stored']:,} customers (the previous version is replaced)" if report["stored"] is not None else "nothing (--no-store)"),
    ]
    return "\n".join(lines)


def _selection_lines(selection: dict | None) -> list[str]:
    """--model auto: every model's holdout errors, and which one was chosen."""
    if selection is None:
        return []
    lines = [f"{'Model':<12} {MODEL_TITLES[selection['chosen']]}, the smallest holdout error (per-customer RMSE of repeat "
             f"purchases, calibration to {selection['calibration_end']}, holdout to {selection['holdout_end']}):"]
    for name, errors in selection["models"].items():
        if "failed" in errors:
            lines.append(f"  {MODEL_TITLES[name]:<11} not fitted: {errors['failed']}")
            continue
        aggregate = errors["aggregate_error_percent"]
        lines.append(f"  {MODEL_TITLES[name]:<11} RMSE {errors['root_mean_squared_error']:.4f}, MAE {errors['mean_absolute_error']:.4f}"
                     + (f", aggregate {aggregate:+.1f}%" if aggregate is not None else "")
                     + ("  (chosen)" if name == selection["chosen"] else ""))
    return lines


def validate_text(fitted: Fit, comparison: dict, calibration_end: str, time_unit: str) -> str:
    aggregate, per_customer = comparison["aggregate"], comparison["per_customer"]
    error = aggregate["error_percent"]
    lines = [
        f"{comparison['customers']:,} customers; calibration to {calibration_end}; holdout {comparison['holdout_length']:.4g} {time_unit}s",
        f"{MODEL_TITLES[fitted.model]:<12} {_params(fitted)}  log-likelihood {fitted.loglik:.1f}",
        f"{'Aggregate':<12} predicted {aggregate['predicted']:,.1f} repeat purchases, actual {aggregate['actual']:,.0f}"
        + (f" ({error:+.1f}%)" if error is not None else ""),
        f"{'Per customer':<12} mean absolute error {per_customer['mean_absolute_error']:.3f}, "
        f"RMSE {per_customer['root_mean_squared_error']:.3f}"
        + (f", correlation {per_customer['correlation']:.3f}" if per_customer["correlation"] is not None else ""),
        "By repeat purchases in calibration (customers: predicted mean / actual mean):",
        *(f"  {row['frequency']:>3}  {row['customers']:>8,}: {row['predicted_mean']:.3f} / {row['actual_mean']:.3f}"
          for row in comparison["by_frequency"]),
    ]
    return "\n".join(lines)
