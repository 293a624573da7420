"""Benchmark of ``planner report``: the exact log-share bridge and the whole page.

The bridge splits the target's change by ``planner.attribution.log_path`` (Aumann–Shapley along the
geometric path: 24 Gauss–Legendre nodes × 2n central differences, evaluated in **one** vectorised
call of the forward evaluator). Anchor, measured in the same run: the same integral computed the
textbook way, one evaluator call per (node, driver, ±h). Both are checked against the closed form
of the test trees (Σ of products: driver i gets Σ over the products p holding it of
ln u_i ÷ ln U_p × ΔF_p) before any time is printed.

    python benchmarks/bench_report.py [--runs 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: planner need not be installed

from planner.attribution import players  # noqa: E402
from planner.optimise import solve_file  # noqa: E402
from planner.report.html import render_report  # noqa: E402
from planner.report.html_bridge import compute_bridge, model_from_tree  # noqa: E402
from planner.result import InputResult, Plan, Status, TargetResult  # noqa: E402
from planner.tree.evaluate import evaluate  # noqa: E402

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)  # the rule log_path uses


def chain_plan(n: int) -> tuple[Plan, list[list[int]]]:
    """target = Σ over 3 products of (shared lever × n−1 product levers): n drivers that all move."""
    names = [f"x{i}" for i in range(n)]
    inputs = [InputResult(k, None, 1.0, 1.0 + 0.05 * (i + 1), 1.0 + 0.05 * (i + 1), 0.1, f"team{i % 4}", None)
              for i, k in enumerate(names)]
    tree = [{"name": k, "dims": [], "formula": None, "kind": "lever"} for k in names]
    products = [[0, *range(1 + p, n, 3)] for p in range(3)]
    terms = [" * ".join(names[i] for i in prod) for prod in products]
    tree.append({"name": "t", "dims": [], "formula": " + ".join(f"({t})" for t in terms), "kind": "node"})
    plan = Plan("base", Status.OPTIMAL, "min_effort", 1.0, 0.0, TargetResult("t", 3.0, None, None),
                inputs=inputs, tree=tree)
    model = model_from_tree(plan)
    planned = {i.name: np.array(i.planned) for i in inputs}
    plan.target.achieved = plan.target.required = float(evaluate(model, planned)["t"])
    return plan, products


def closed_form(plan: Plan, products: list[list[int]]) -> list[float]:
    """Log-share term by term: every baseline is 1, so product p goes from 1 to exp(ln U_p)."""
    lnu = [math.log(i.planned / i.baseline) for i in plan.inputs]
    out = [0.0] * len(lnu)
    for prod in products:
        big = math.fsum(lnu[i] for i in prod)
        for i in prod:
            out[i] += lnu[i] / big * math.expm1(big)
    return out


def log_path_loop(plan: Plan) -> list[float]:
    """The anchor: the same quadrature, one forward evaluation per (node, driver, ±h)."""
    model = model_from_tree(plan)
    names = [i.name for i in plan.inputs]
    base = np.array([i.baseline for i in plan.inputs])
    lnu = np.log(np.array([i.planned for i in plan.inputs]) / base)
    out = np.zeros(len(names))
    for t, w in zip((_NODES + 1) / 2, _WEIGHTS / 2, strict=True):
        x = base * np.exp(t * lnu)
        for k in range(len(names)):
            h = 1e-6 * abs(x[k])
            ends = []
            for sign in (1, -1):
                vals = {n: np.array(v) for n, v in zip(names, x, strict=True)}
                vals[names[k]] = np.array(x[k] + sign * h)
                ends.append(float(evaluate(model, vals)["t"]))
            out[k] += w * (ends[0] - ends[1]) / (2 * h) * x[k] * lnu[k]
    return out.tolist()


def best(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print("| drivers n | evaluations | planner bridge s | anchor (loop) s | speed-up | "
          "max rel. diff vs closed form (planner / anchor) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (4, 8, 14, 30, 60):
        plan, products = chain_plan(n)
        t_vec, bridge = best(lambda p=plan: compute_bridge(p), args.runs)
        t_loop, loop = best(lambda p=plan: log_path_loop(p), 1 if n >= 30 else args.runs)
        assert bridge.method == "tree", bridge.note
        exact = closed_form(plan, products)
        by_name = {c.name: c.value for c in bridge.parts}
        d_vec = max(abs(by_name[i.name] - e) / abs(e) for i, e in zip(plan.inputs, exact, strict=True))
        d_loop = max(abs(v - e) / abs(e) for v, e in zip(loop, exact, strict=True))
        assert d_vec < 1e-6 and d_loop < 1e-6, (d_vec, d_loop)
        assert math.fsum(by_name.values()) == plan.target.achieved - plan.target.baseline
        evals = 2 * 24 * len(players(plan, model_from_tree(plan)).inputs)
        print(f"| {n} | {evals:,} | {t_vec:.4f} | {t_loop:.3f} | {t_loop / t_vec:,.0f}× | {d_vec:.1e} / {d_loop:.1e} |")

    print("\n| shipped scenario | solve s | render page s (median) | page MB |")
    print("|---|---:|---:|---:|")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if "calibrate" in path.stem:
            continue
        t0 = time.perf_counter()
        plan = solve_file(path)
        t_solve = time.perf_counter() - t0
        render_report(plan)  # warm the plotly.js cache, as a second report in one process would
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            page = render_report(plan)
            times.append(time.perf_counter() - t0)
        print(f"| {path.name} | {t_solve:.2f} | {statistics.median(times):.3f} | {len(page.encode()) / 1e6:.2f} |")


if __name__ == "__main__":
    main()
