"""Phasing benchmark: 100 teams × 50 levers = 5,000 series over the ISO weeks of a year.

planner's path (``period_weights`` + ``phase_matrix``: one numpy pass over a days × series
problem, largest-remainder rounding vectorised) against an anchor measured in the same run: the
same arithmetic written the way a spreadsheet macro or a first pandas script does it — one series
at a time, a pandas group-by per series and a Python largest-remainder loop. Both must give the
same integers. Run: ``python benchmarks/bench_phasing.py [--teams 100 --levers 50 --year 2026]``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from planner.calendar import period_keys, working_days
from planner.phasing import period_weights, phase_matrix, ramp_factor

SEASON = np.array([1.3, 0.7, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 0.8, 1.1, 1.2])


def planner_path(year: int, base: np.ndarray, planned: np.ndarray, ramp: float) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    weights = period_weights(working_days(year), "week", SEASON, ramp)
    units = phase_matrix(base, planned, weights)
    np.cumsum(units, axis=1)  # the cumulative targets are part of the output
    return units, time.perf_counter() - t0


def naive_path(year: int, base: np.ndarray, planned: np.ndarray, ramp: float) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    days = working_days(year)
    frame = pd.DataFrame({"week": period_keys(days, "week"),
                          "w": days.workday * SEASON[days.month - 1]})
    frame["wg"] = frame["w"] * ramp_factor(days, ramp)
    out = []
    for b, p in zip(base, planned, strict=True):
        daily = b * frame["w"] / frame["w"].sum() + (p - b) * frame["wg"] / frame["wg"].sum()
        weekly = daily.groupby(frame["week"], sort=False).sum().tolist()
        total = int(round(p))
        floors = [int(np.floor(v)) for v in weekly]
        order = sorted(range(len(weekly)), key=lambda i: -(weekly[i] - floors[i]))
        for i in order[:total - sum(floors)]:
            floors[i] += 1
        cumulative, running = [], 0
        for v in floors:
            running += v
            cumulative.append(running)
        out.append(floors)
    return np.array(out, dtype=np.int64), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teams", type=int, default=100)
    ap.add_argument("--levers", type=int, default=50)
    ap.add_argument("--year", type=int, default=2026)
    ap.add_argument("--ramp", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(20260101)
    n = args.teams * args.levers
    base = rng.uniform(1e4, 1e9, n).round()
    planned = (base * rng.uniform(0.8, 10.0, n)).round()
    planner_path(args.year, base[:10], planned[:10], args.ramp)  # warm the calendar import
    fast = [planner_path(args.year, base, planned, args.ramp) for _ in range(args.repeat)]
    units, t_fast = fast[0][0], min(t for _, t in fast)
    slow_units, t_slow = naive_path(args.year, base, planned, args.ramp)
    exact = bool(np.array_equal(units.sum(axis=1), planned.astype(np.int64)))
    same = int((np.abs(units - slow_units) > 1).sum())
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}")
    print(f"\n{args.teams} teams × {args.levers} levers = {n:,} series × {units.shape[1]} ISO-week periods "
          f"({args.year}, CN calendar, seasonality, {args.ramp:g}-month ramp)\n")
    print("| path | seconds | vs anchor | periods sum exactly |")
    print("|---|---:|---:|---|")
    print(f"| planner (numpy, vectorised; best of {args.repeat}) | {t_fast:.3f} | {t_slow / t_fast:.0f}× faster | "
          f"{'yes' if exact else 'NO'} |")
    print(f"| anchor: per-series pandas group-by + Python rounding | {t_slow:.2f} | 1× | "
          f"{'yes' if np.array_equal(slow_units.sum(axis=1), planned.astype(np.int64)) else 'NO'} |")
    print(f"\ncells differing by more than one unit between the two: {same} (rounding ties may differ by one)")
    print(f"goal < 2 s: {'met' if t_fast < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
