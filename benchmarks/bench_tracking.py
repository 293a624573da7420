"""Tracking benchmark: attribution and diagnosis of a large generated actuals table.

The telesales plan (500亿) is split over N teams (random sizes); each team gets 12 months of
actuals — the 22 process metrics the centre records, drawn around the plan with noise and one
product's conversion drop — written as one long CSV. planner's path is ``planner.tracking.track``
(read + check the file, line it up with the plan, the exact LMDI split of every team-month in one
vectorised pass, completion, forecast and the diagnosis; no re-plan). The anchor, measured in the
same run, is the first pandas script one would write: a boolean filter of the table per team and
month, the same exact split one team-month at a time, and the diagnosis per team by filtering.
Both must give the same gap per team. Run: ``python benchmarks/bench_tracking.py [--teams 300 500]``.
"""

from __future__ import annotations

import argparse
import math
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from planner.calendar import working_days
from planner.optimise import solve
from planner.phasing import period_weights
from planner.scenario import load_scenario
from planner.tracking import track
from planner.tracking.attribution import evaluate, split_gap
from planner.tracking.frame import month_plan, tree_of

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ["reachable", "contact_rate", "contacted", "conversion", "sufficiency", "repurchase", "fixed_sales",
            "var_conversion", "avg_ticket", "var_sales", "total_sales"]


def generate(plan, teams: int, seed: int, folder: Path) -> tuple[Path, Path]:  # noqa: ANN001
    """A long actuals CSV (teams × 12 months × 22 metrics) and a teams CSV (team,last_year)."""
    rng = np.random.default_rng(seed)
    tree = tree_of(plan)
    w = period_weights(working_days(2026), "month")
    flows = {r["name"] for r in plan.tree if r.get("flow")}
    per_month = month_plan(plan, tree, w.share, w.ramp_share, w.ramp_level, flows)
    size = rng.uniform(0.5, 2.0, teams)
    weight = size / size.sum()
    names = [f"T{i:04d}" for i in range(teams)]
    s = teams * 12
    env = {}
    for n, a in per_month.items():
        if n in tree.nodes:
            continue
        base = np.broadcast_to(a[None], (teams, *a.shape)) * (weight.reshape(-1, *([1] * a.ndim)) if n in flows else 1)
        noise = rng.lognormal(0, 0.03, base.shape) if n not in ("ticket", "weeks", "months_on_sale", "stock") else 1
        env[n] = (base * noise).reshape(s, *a.shape[1:])
    env["conversion"][s // 2:, 2] *= 0.7  # one product's conversion drops for half the team-months
    for node, expr in tree.nodes.items():
        arr, dims = evaluate(tree, env, expr)
        want = tree.name_dims[node]
        idx = (slice(None),) + tuple(slice(None) if d in dims else None for d in want)
        env[node] = np.broadcast_to(arr[idx], (s, *tree.shape(want)))
    team = np.repeat(names, 12)
    period = np.tile([f"2026-{m:02d}" for m in range(1, 13)], teams)
    parts = []
    for name in RECORDED:
        dims = tree.name_dims[name]
        labels = tree.dims[dims[0]] if dims else [""]
        vals = env[name].reshape(s, -1)
        for j, lab in enumerate(labels):
            parts.append(pd.DataFrame({"period": period, "team": team, "product": lab, "metric": name,
                                       "value": vals[:, j]}))
    actuals, teams_csv = folder / f"actuals_{teams}.csv", folder / f"teams_{teams}.csv"
    pd.concat(parts, ignore_index=True).to_csv(actuals, index=False)
    pd.DataFrame({"team": names, "last_year": (size * 1e8).round()}).to_csv(teams_csv, index=False)
    return actuals, teams_csv


def planner_path(plan, actuals: Path, teams: Path):  # noqa: ANN001, ANN201
    t0 = time.perf_counter()
    t = track(plan, str(actuals), as_of="2026-12-31", teams=str(teams), do_replan=False)
    return t, time.perf_counter() - t0


def naive_path(t, actuals: Path) -> tuple[dict[str, float], float]:  # noqa: ANN001
    """The same split and diagnosis, one team-month at a time with pandas filters."""
    data = t.data
    t0 = time.perf_counter()
    frame = pd.read_csv(actuals, keep_default_na=False)
    tree = data.tree
    names = [n for n in tree.subtree(data.target) if n in data.actual]
    gaps: dict[str, float] = {}
    for i, team in enumerate(data.units):
        mine = frame[frame["team"] == team]
        rates = []
        for m, period in enumerate(data.labels):
            rows = mine[mine["period"] == period]
            actual = {}
            for name in names:
                dims = tree.name_dims[name]
                got = rows[rows["metric"] == name]
                if len(got):
                    labels = tree.dims[dims[0]] if dims else [""]
                    vals = got.set_index("product")["value"].reindex(labels).to_numpy(float)
                    actual[name] = vals.reshape(1, *tree.shape(dims))
                else:
                    actual[name] = data.actual[name][i, m][None]
            plan = {n: data.plan_done(n)[i, m][None] for n in names}
            split = split_gap(tree, data.target, plan, actual, data.broken_down)
            gaps[team] = gaps.get(team, 0.0) + float(split.total()[0])
            rates.append(float(actual[data.target].sum() / plan[data.target].sum()))
        r = np.array(rates)
        _ = (int(np.sum(r[-4:] < 0.97)), np.polyfit(np.arange(len(r)), r, 1)[0])  # persistence, trend
    return gaps, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teams", type=int, nargs="+", default=[30, 1000])
    ap.add_argument("--anchor-max", type=int, default=40, help="run the (slow) anchor only up to this many teams")
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    plan = solve(load_scenario(ROOT / "scenarios" / "telesales_500yi.yaml"))
    print(f"machine: {platform.machine()} ({platform.python_version()}), numpy {np.__version__}, pandas {pd.__version__}\n")
    print("| teams | rows | planner track (s) | of which split + diagnosis (s) | anchor: pandas loop (s) | speed-up | "
          "max |team gap difference| (元) | Σ parts − gap (元) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.teams:
            actuals, teams = generate(plan, n, a.seed, Path(tmp))
            rows = sum(1 for _ in open(actuals, encoding="utf-8")) - 1
            t, secs = min((planner_path(plan, actuals, teams) for _ in range(3)), key=lambda x: x[1])
            t1 = time.perf_counter()
            from planner.tracking.diagnosis import diagnose
            from planner.tracking.explain import explain

            ex = explain(t.data)
            diagnose(t.data, t.completion, ex, t.thresholds)
            core = time.perf_counter() - t1
            closure = math.fsum(t.explained.by_driver_label.values()) - t.explained.gap
            if n > a.anchor_max:
                print(f"| {n:,} | {rows:,} | {secs:.2f} | {core:.2f} | — | — | — | {closure:.1e} |")
                continue
            gaps, anchor = naive_path(t, actuals)
            diff = max(abs(gaps[u] - t.explained.by_unit[u]) for u in gaps)
            print(f"| {n:,} | {rows:,} | {secs:.2f} | {core:.2f} | {anchor:.2f} | {anchor / secs:.0f}× | "
                  f"{diff:.2e} | {closure:.1e} |")


if __name__ == "__main__":
    main()
