"""Generate the sample actuals of the telesales plan: January to June 2026, three teams, injected problems.

    python scenarios/actuals/make_actuals.py PLAN.json [--teams scenarios/teams/telesales_teams.csv]
        [--seed 7] [--months 6] [-o scenarios/actuals/telesales_2026H1.csv]

Every team and month starts from the plan (flows × the team's capacity share, rates as planned),
gets ±1% noise (seeded), and then these problems, which `planner track` must name:

- an environment-wide dip: February 2026, customer targeting −15% for every team;
- 三组 (the smallest team) persistently behind: conversion −12% on every product, every month;
- 一组 (the largest team) on a rising trend (contact rate +2.5% a month) with one bad month (May, −20%);
- 二组 lucky once: March +35% reach, otherwise on plan;
- a conversion drop in one product: 银行理财 −30% from April, every team.

Written as a long CSV (period, team, product, metric, value) with the process metrics the centre
records; leads, churn and the base (stock, new_customers, churn, targeting) are not recorded, so
`reachable` (traffic) is not broken down further — `planner track` says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from planner.allocation import allocate_teams, read_teams  # noqa: E402
from planner.calendar import working_days  # noqa: E402
from planner.files import write_atomic  # noqa: E402
from planner.phasing import period_weights  # noqa: E402
from planner.result import load_plan  # noqa: E402
from planner.tracking.attribution import evaluate  # noqa: E402
from planner.tracking.frame import month_plan, tree_of  # noqa: E402

RECORDED = ["reachable", "contact_rate", "contacted", "conversion", "sufficiency", "repurchase", "fixed_sales",
            "var_conversion", "avg_ticket", "var_sales", "total_sales"]


def generate(plan_path: str, teams_path: str, seed: int = 7, months: int = 6, year: int = 2026) -> pd.DataFrame:
    plan = load_plan(plan_path)
    tree = tree_of(plan)
    teams = allocate_teams(plan, read_teams(teams_path, "capacity"), "capacity")
    names = [s.name for s in teams.shares]
    weight = np.array([s.weight for s in teams.shares])
    w = period_weights(working_days(year), "month")
    flows = {r["name"] for r in plan.tree if r.get("flow")}
    per_month = month_plan(plan, tree, w.share, w.ramp_share, w.ramp_level, flows)
    rng = np.random.default_rng(seed)
    rows = []
    for i, team in enumerate(names):
        for m in range(months):
            v = {n: a[m] * (weight[i] if n in flows else 1.0) for n, a in per_month.items() if n not in tree.nodes}
            v = {n: np.asarray(a, float) * rng.lognormal(0, 0.01, np.shape(a)) if n not in ("ticket", "weeks", "months_on_sale", "stock")
                 else np.asarray(a, float) for n, a in v.items()}
            _inject(v, team, m, tree)
            env = {n: np.asarray(a, float)[None, ...] for n, a in v.items()}
            for node, expr in tree.nodes.items():
                arr, dims = evaluate(tree, env, expr)
                want = tree.name_dims[node]
                idx = (slice(None),) + tuple(slice(None) if d in dims else None for d in want)
                env[node] = np.broadcast_to(arr[idx], (1, *tree.shape(want)))
            period = f"{year}-{m + 1:02d}"
            for name in RECORDED:
                dims = tree.name_dims[name]
                labels = tree.dims[dims[0]] if dims else [""]
                for j, lab in enumerate(labels):
                    value = float(env[name][0][j] if dims else env[name][0])
                    rows.append({"period": period, "team": team, "product": lab, "metric": name,
                                 "value": float(f"{value:.12g}")})
    return pd.DataFrame(rows)


def _inject(v: dict[str, np.ndarray], team: str, m: int, tree) -> None:  # noqa: ANN001
    fp = tree.dims["fixed_product"]
    if m == 1:
        v["targeting"] = v["targeting"] * 0.85  # environment: February, every team
    if team == "三组":
        v["conversion"] = v["conversion"] * 0.88
        v["var_conversion"] = v["var_conversion"] * 0.88
    if team == "一组":
        v["contact_rate"] = v["contact_rate"] * (1 + 0.025 * m)
        if m == 4:
            v["targeting"] = v["targeting"] * 0.8
    if team == "二组" and m == 2:
        v["targeting"] = v["targeting"] * 1.35
    if m >= 3:
        conv = v["conversion"].copy()
        conv[fp.index("银行理财")] *= 0.7
        v["conversion"] = conv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plan")
    ap.add_argument("--teams", default="scenarios/teams/telesales_teams.csv")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("-o", "--output", default="scenarios/actuals/telesales_2026H1.csv")
    a = ap.parse_args()
    frame = generate(a.plan, a.teams, a.seed, a.months)
    write_atomic(a.output, frame.to_csv(index=False))
    print(f"wrote {a.output} ({len(frame)} rows)")


if __name__ == "__main__":
    main()
