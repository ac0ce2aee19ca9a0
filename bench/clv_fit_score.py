"""Benchmark: fit + score a million customers drawn from the BG/NBD process with known parameters.

    python bench/clv_fit_score.py [--customers 1000000] [--no-baseline] [--store redis://127.0.0.1:6379/13]
                                  [--lifetimes /path/to/python-with-lifetimes]

Each measurement runs in a fresh process, which reports its wall time and peak resident memory (and the
memory it held before the work, after imports and the data). The baseline, measured in the same run, is
the straightforward way: the same likelihoods evaluated per customer (no compression) and maximised by
scipy with finite-difference gradients, then a 12-month loop of expected purchases per customer, the way
lifetimes values customers. With --lifetimes (a Python that has the lifetimes package; it is not a
dependency of clvdesk) lifetimes itself is measured on the same customers, reading the summary CSV. Then
`clvdesk clv fit --summary` on that CSV is measured as a whole process (imports, reading, checks, fit, scores,
report; --no-store), beside lifetimes' whole process: the ratio the goal is stated in. With --store it also
times loading every scored customer into the customer store (under a private key prefix, deleted afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TRUE_PURCHASES = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW's published values, weeks
TRUE_SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}
MARGIN, ANNUAL_DISCOUNT_RATE = 0.3, 0.1
BASELINE_MONTHS = 12
STORE_PREFIX = "clvbench"


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def load(path: str) -> pd.DataFrame:
    data = np.load(path)
    return pd.DataFrame({name: data[name] for name in data.files}, copy=False)


def engine(path: str, store_url: str | None) -> dict:
    from clvdesk.clv.model import fit_model
    from clvdesk.clv.scoring import Money, score
    from clvdesk.clv.segments import segment, value_tier

    summary = load(path)
    before = peak_mib()
    start = time.perf_counter()
    model = fit_model(summary, purchase_model="bgnbd", time_unit="week")
    scores = score(model, summary, Money(MARGIN, ANNUAL_DISCOUNT_RATE))
    scores = scores.assign(segment=segment(scores, unit_days=7), value_tier=value_tier(scores["residual_clv"]))
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "peak_mib": peak_mib(), "before_mib": before, "purchases": model.purchases.params,
              "se": model.purchases.se, "spend": model.spend.params, "residual_clv_total": float(scores["residual_clv"].sum())}
    if store_url:
        result["store"] = load_store(scores, store_url)
    return result


def load_store(scores: pd.DataFrame, url: str) -> dict:
    """Seconds to load every customer: serialised in bulk, and as one CustomerValue model per row."""
    from clvdesk.clv.records import STORED_LABELS, STORED_NUMBERS, customer_records
    from clvdesk.connection import connect
    from clvdesk.customers import CustomerStore, CustomerValue

    redis = connect(url)
    store = CustomerStore(redis, prefix=STORE_PREFIX)
    timings = {}
    try:
        start = time.perf_counter()
        timings["customers"] = store.replace_records(customer_records(scores.assign(email=None)))
        timings["bulk_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        columns = {name: scores[name].tolist() for name in (*STORED_NUMBERS, *STORED_LABELS)}
        store.replace_all(CustomerValue(customer_id=str(customer), **{name: values[i] for name, values in columns.items()})
                          for i, customer in enumerate(scores.index))
        timings["per_row_seconds"] = time.perf_counter() - start
    finally:
        for key in redis.scan_iter(f"{STORE_PREFIX}:*"):
            redis.unlink(key)
    return timings


def baseline(path: str) -> dict:
    """Per-customer likelihoods, numerical gradients, and a monthly loop: what users of lifetimes run."""
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln, hyp2f1

    summary = load(path)
    x, t_x, T, m = (summary[name].to_numpy() for name in ("frequency", "recency", "T", "monetary_value"))
    before = peak_mib()
    start = time.perf_counter()

    def bgnbd_negloglik(theta):
        r, alpha, a, b = np.exp(theta)
        first = betaln(a, b + x) - betaln(a, b) + gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)
        second = np.where(x > 0, betaln(a + 1, b + x - 1) - betaln(a, b) + gammaln(r + x) - gammaln(r) + r * np.log(alpha)
                          - (r + x) * np.log(alpha + t_x), -np.inf)
        return -np.logaddexp(first, second).mean()

    purchases = np.exp(minimize(bgnbd_negloglik, np.zeros(4), method="L-BFGS-B").x)
    buyers = (x > 0) & (m > 0)
    xb, mb = x[buyers], m[buyers]

    def gamma_gamma_negloglik(theta):
        p, q, gamma = np.exp(theta)
        return -(gammaln(p * xb + q) - gammaln(p * xb) - gammaln(q) + q * np.log(gamma) + (p * xb - 1) * np.log(mb)
                 + p * xb * np.log(xb) - (p * xb + q) * np.log(gamma + mb * xb)).mean()

    p, q, gamma = np.exp(minimize(gamma_gamma_negloglik, np.log([1.0, 2.0, mb.mean()]), method="L-BFGS-B").x)
    r, alpha, a, b = purchases

    def expected(t):  # Fader, Hardie & Lee (2005) eq. 10, per customer
        head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                            * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
        return head / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))

    spend = p * (gamma + m * x) / (p * x + q - 1)
    weeks_per_month = 365.25 / 12 / 7
    clv = np.zeros(x.size)
    previous = np.zeros(x.size)
    for month in range(1, BASELINE_MONTHS + 1):
        now = expected(month * weeks_per_month)
        clv += MARGIN * spend * (now - previous) / (1 + ANNUAL_DISCOUNT_RATE) ** (month / 12)
        previous = now
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": peak_mib(), "before_mib": before,
            "purchases": dict(zip(TRUE_PURCHASES, map(float, purchases))), "spend": {"p": p, "q": q, "gamma": gamma}}


def lifetimes(path: str) -> dict:
    """lifetimes' BetaGeoFitter, GammaGammaFitter and 12-month customer_lifetime_value, from the summary CSV."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    summary = pd.read_csv(path, index_col="customer_id")
    before = peak_mib()
    start = time.perf_counter()
    purchases = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    buyers = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    spend = GammaGammaFitter().fit(buyers["frequency"], buyers["monetary_value"])
    spend.customer_lifetime_value(purchases, summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"],
                                  time=BASELINE_MONTHS, discount_rate=(1 + ANNUAL_DISCOUNT_RATE) ** (1 / 12) - 1, freq="W")
    seconds = time.perf_counter() - start
    found = spend.params_
    return {"seconds": seconds, "peak_mib": peak_mib(), "before_mib": before,
            "purchases": {name: float(purchases.params_[name]) for name in TRUE_PURCHASES},
            "spend": {"p": float(found["p"]), "q": float(found["q"]), "gamma": float(found["v"])}}


def child(kind: str, path: str, store_url: str | None = None, python: str = sys.executable) -> dict:
    command = [python, __file__, "--child", kind, "--data", path] + (["--store", store_url] if store_url else [])
    done, seconds, peak = whole_process(command)
    return {**json.loads(done), "process_seconds": seconds, "process_peak_mib": peak}


def whole_process(command: list[str]) -> tuple[str, float, float]:
    """stdout, wall seconds and peak resident MiB of a command, imports and reading included (wait4 gives
    the child's own peak, which ru_maxrss of all children would not)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if process.returncode:
            lines = err.read().strip().splitlines()
            raise RuntimeError(f"{' '.join(command[:5])} failed: {lines[-1] if lines else process.returncode}")
        return out.read(), seconds, usage.ru_maxrss / 1024


def cli(csv_path: str) -> dict:
    """`clvdesk clv fit --summary` as a user runs it: fit BG/NBD and Gamma-Gamma, score, report (no store)."""
    _, seconds, peak = whole_process([sys.executable, "-m", "clvdesk", "clv", "fit", "--summary", csv_path, "--no-store", "--json"])
    return {"seconds": seconds, "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--store", metavar="REDIS_URL", help="also time loading the scores into a customer store there")
    parser.add_argument("--lifetimes", metavar="PYTHON", help="also measure lifetimes, installed for this interpreter")
    parser.add_argument("--child", choices=["engine", "baseline", "lifetimes"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure = {"engine": lambda: engine(args.data, args.store), "baseline": lambda: baseline(args.data),
                   "lifetimes": lambda: lifetimes(args.data)}[args.child]
        print(json.dumps(measure()))
        return

    from clvdesk.clv.bgnbd import BgNbdParams
    from clvdesk.clv.gamma_gamma import GammaGammaParams
    from clvdesk.clv.simulate import simulate_summary

    summary = simulate_summary(args.customers, BgNbdParams(**TRUE_PURCHASES), GammaGammaParams(**TRUE_SPEND), seed=args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "summary.npz")
        np.savez(path, **{name: summary[name].to_numpy() for name in summary.columns})
        csv_path = str(Path(folder) / "summary.csv")
        summary.drop(columns="historical_spend").to_csv(csv_path)
        results = {"engine": child("engine", path, args.store)}
        if not args.no_baseline:
            results["baseline"] = child("baseline", path)
        processes = {"clvdesk": cli(csv_path)}
        if args.lifetimes:
            results["lifetimes"] = child("lifetimes", csv_path, python=args.lifetimes)
            processes["lifetimes"] = {"seconds": results["lifetimes"]["process_seconds"], "peak_mib": results["lifetimes"]["process_peak_mib"]}

    others = [kind for kind in results if kind != "engine"]
    print(f"{args.customers:,} customers from BG/NBD{tuple(TRUE_PURCHASES.values())} and Gamma-Gamma{tuple(TRUE_SPEND.values())}, "
          f"weeks, {(summary['frequency'] > 0).mean():.1%} repeat buyers")
    print(f"{'parameter':<10}{'true':>10}{'engine':>10}{'± se':>9}" + "".join(f"{kind:>11}" for kind in others))
    found = results["engine"]
    for name, true in [*TRUE_PURCHASES.items(), *TRUE_SPEND.items()]:
        group = "purchases" if name in TRUE_PURCHASES else "spend"
        se = found["se"].get(name) if group == "purchases" else None
        line = f"{name:<10}{true:>10.4g}{found[group][name]:>10.4g}" + (f"{se:>9.2g}" if se else f"{'':>9}")
        print(line + "".join(f"{results[kind][group][name]:>11.4g}" for kind in others))
    print(f"{'':<10}{'wall s':>10}{'peak MiB':>10}{'work MiB':>10}")
    for kind, result in results.items():
        print(f"{kind:<10}{result['seconds']:>10.2f}{result['peak_mib']:>10.0f}{result['peak_mib'] - result['before_mib']:>10.0f}")
    for kind in others:
        other = results[kind]
        print(f"{kind}: {other['seconds'] / found['seconds']:.1f}x the engine's wall time, "
              f"{other['peak_mib'] / found['peak_mib']:.2f}x its peak memory "
              f"({(other['peak_mib'] - other['before_mib']) / max(found['peak_mib'] - found['before_mib'], 1):.2f}x for the work "
              f"itself); it values 12 months, the engine the whole lifetime")
    print(f"whole processes from the summary CSV (imports, reading, fit, scores): " + "; ".join(
        f"{kind} {result['seconds']:.2f} s, {result['peak_mib']:.0f} MiB peak" for kind, result in processes.items()))
    if "lifetimes" in processes:
        print(f"lifetimes / clvdesk clv fit --summary: {processes['lifetimes']['seconds'] / processes['clvdesk']['seconds']:.1f}x the wall time")
    if "store" in found:
        store = found["store"]
        print(f"store load of {store['customers']:,} customers: {store['bulk_seconds']:.1f} s serialised in bulk, "
              f"{store['per_row_seconds']:.1f} s with one model per row ({store['per_row_seconds'] / store['bulk_seconds']:.1f}x)")


if __name__ == "__main__":
    main()
