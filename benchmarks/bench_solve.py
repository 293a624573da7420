"""Optimiser benchmark (issue #2 §10): planner vs SCIP vs SLSQP on seeded synthetic trees.

    python benchmarks/bench_solve.py --quick            # P ∈ {3, 10, 30}, K ∈ {2, 10}, SCIP 60 s
    python benchmarks/bench_solve.py                    # P up to 300, K ∈ {2, 5, 10}, SCIP 120 s
    python benchmarks/bench_solve.py --sizes 100 --ks 10 --scip-limit 300

Every plan (planner's and the anchors') is judged by ``planner.optimise.verify.check`` on the true
formulas. The table is rewritten after each instance (a long run can be read while it goes);
instances where planner errs, fails verification, is > 1% worse than SCIP's best or SLSQP's feasible
plan, or misses the speed goals are written to benchmarks/instances/ as YAML for reproduction.
One process at a time: the solvers run sequentially, SCIP single-threaded.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.anchors import AnchorResult, solve_scip, solve_slsqp  # noqa: E402
from benchmarks.generate import generate, instance_name  # noqa: E402
from planner.compile.signomial import SigProgram, compile_signomial  # noqa: E402
from planner.errors import PlannerError  # noqa: E402
from planner.files import write_atomic  # noqa: E402
from planner.optimise import SolveOptions, solve  # noqa: E402
from planner.optimise.search import effort_of  # noqa: E402
from planner.optimise.verify import Violation, baseline_results, check  # noqa: E402
from planner.result import Plan  # noqa: E402
from planner.scenario import scenario_from_dict  # noqa: E402
from planner.tree.graph import Model, build_model  # noqa: E402

WORSE = 0.01  # planner may be at most 1% above SCIP's best
FAST_P = 30  # from this size planner should be ≥ 10× faster than SCIP
GOAL_P300 = 10.0  # seconds
GOAL_E2E = 1.5  # seconds from process start to printed plan, per shipped scenario


@dataclass
class Row:
    name: str
    seed: int
    P: int
    K: float
    levers: int
    planner_s: float | None = None
    planner_effort: float | None = None
    planner_status: str = ""
    planner_ok: str = ""
    scip_s: float | None = None
    scip_best: float | None = None
    scip_bound: float | None = None
    scip_status: str = ""
    scip_ok: str = ""
    slsqp_s: float | None = None
    slsqp_effort: float | None = None
    slsqp_status: str = ""
    slsqp_ok: str = ""
    certified_bound: float | None = None  # planner's own lower bound (SolveOptions(certify=True)), if asked
    problems: list[str] = field(default_factory=list)


def required(model: Model) -> float:
    t = model.scenario.target
    if t.at_least is not None:
        base = t.at_least
    else:
        base = float(baseline_results(model)[t.node]) * float(t.multiple or 1.0)
    return base * (1.0 + t.margin)


def verdict(model: Model, sig: SigProgram, x: np.ndarray | None, req: float) -> str:
    """'ok' if the plan holds on the true formulas (1e-6 relative), else what fails."""
    if x is None:
        return "no plan"
    try:
        check(model, sig, x, req)
    except Violation as v:
        return f"violates {v.what} by {v.excess:.1e}"
    return "ok"


def plan_x(sig: SigProgram, plan: Plan) -> np.ndarray:
    """Log-uplifts of a plan's levers, in the SigProgram's lever order."""
    planned = {}
    for inp in plan.inputs:
        if inp.kind == "lever":
            planned[(inp.name, tuple((inp.labels or {}).values()))] = inp.planned
    return np.array([math.log(planned[(lv.name, lv.label)] / lv.baseline) for lv in sig.levers])


def run_planner(row: Row, sc, model: Model, sig: SigProgram, req: float, time_limit: float | None) -> None:  # noqa: ANN001
    t0 = time.perf_counter()
    try:
        plan = solve(sc, SolveOptions(time_limit=time_limit, needs=False))
    except PlannerError as exc:
        row.planner_s = time.perf_counter() - t0
        row.planner_status = f"error: {str(exc).splitlines()[0]}"
        return
    row.planner_s = time.perf_counter() - t0
    row.planner_status = str(plan.status)
    if plan.status == "infeasible":
        mr = plan.max_reachable
        row.planner_status = f"unreachable (max {mr / (req / row.K):.2f}×)" if mr else "unreachable"
        return
    x = plan_x(sig, plan)
    row.planner_effort = plan.effort
    row.planner_ok = verdict(model, sig, x, req)
    true_effort = float(effort_of(sig, x).sum())
    if plan.effort is not None and abs(true_effort - plan.effort) > 1e-6 * max(1.0, true_effort):
        row.planner_ok += f"; reported effort {plan.effort:.6g} ≠ plan's {true_effort:.6g}"


def run_certify(row: Row, sc) -> None:  # noqa: ANN001
    """A second planner solve with ``certify=True``: its optimistic MILP bounds the least effort from below."""
    try:
        plan = solve(sc, SolveOptions(certify=True, needs=False))
    except PlannerError:
        return
    row.certified_bound = plan.solver.bound if plan.solver else None


def run_anchor(row: Row, prefix: str, res: AnchorResult, model: Model, sig: SigProgram, req: float) -> None:
    setattr(row, f"{prefix}_s", res.seconds)
    setattr(row, f"{prefix}_status", res.status)
    setattr(row, f"{prefix}_ok", verdict(model, sig, res.x, req))
    if prefix == "scip":
        row.scip_best, row.scip_bound = res.effort, res.bound
    else:
        row.slsqp_effort = res.effort


def judge(row: Row) -> None:
    """Name what falls short of the goals of issue #2 §10."""
    p = row.problems
    if row.planner_status.startswith("error"):
        p.append("planner error")
    if row.planner_ok and row.planner_ok != "ok":
        p.append("planner plan fails verification")
    pe = row.planner_effort
    if pe is not None and row.scip_ok == "ok" and row.scip_best is not None and pe > row.scip_best * (1 + WORSE):
        p.append(f"planner {gap(pe, row.scip_best)} above SCIP's best")
    if pe is not None and row.slsqp_ok == "ok" and row.slsqp_effort is not None \
            and pe > row.slsqp_effort * (1 + WORSE):
        p.append(f"planner {gap(pe, row.slsqp_effort)} above SLSQP")
    if pe is None and not row.planner_status.startswith("error") and row.scip_ok == "ok":
        p.append("planner says unreachable but SCIP found a plan")
    if row.P >= FAST_P and row.planner_s and row.scip_s and row.planner_s * 10 > row.scip_s:
        capped = " (SCIP stopped at its time limit, so the true ratio is at least this)" \
            if row.scip_status == "timelimit" else ""
        p.append(f"planner only {row.scip_s / row.planner_s:.1f}× faster than SCIP{capped}")
    if row.P >= 300 and row.planner_s and row.planner_s > GOAL_P300:
        p.append(f"P=300 took {row.planner_s:.1f} s (goal 10 s)")


def gap(value: float | None, ref: float | None) -> str:
    if value is None or ref is None or ref <= 0:
        return "–"
    return f"{(value - ref) / ref:+.2%}"


def fmt(v: float | None, digits: int = 4) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def secs(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def table(rows: list[Row]) -> str:
    head = ("| instance | P | levers | K | planner s | planner effort | planner status | SCIP s | SCIP best "
            "| SCIP bound | SCIP status | SLSQP s | SLSQP effort | SLSQP feasible | planner vs SCIP best "
            "| planner vs SCIP bound | planner vs SLSQP | planner's certified bound | planner vs its bound |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        pst = r.planner_status + ("" if r.planner_ok in ("", "ok") else f" ✗ {r.planner_ok}")
        sst = r.scip_status + ("" if r.scip_ok in ("ok", "no plan") else f" ✗ {r.scip_ok}")
        feas = "yes" if r.slsqp_ok == "ok" else f"no ({r.slsqp_ok})"
        if r.slsqp_status not in ("converged", ""):
            feas += f", {r.slsqp_status}"
        lines.append(
            f"| {r.name} | {r.P} | {r.levers} | {r.K:g} | {secs(r.planner_s)} | {fmt(r.planner_effort)} | {pst} "
            f"| {secs(r.scip_s)} | {fmt(r.scip_best)} | {fmt(r.scip_bound)} | {sst} | {secs(r.slsqp_s)} "
            f"| {fmt(r.slsqp_effort)} | {feas} "
            f"| {gap(r.planner_effort, r.scip_best if r.scip_ok == 'ok' else None)} "
            f"| {gap(r.planner_effort, r.scip_bound)} "
            f"| {gap(r.planner_effort, r.slsqp_effort if r.slsqp_ok == 'ok' else None)} "
            f"| {fmt(r.certified_bound)} | {gap(r.planner_effort, r.certified_bound)} |")
    return "\n".join(lines)


def end_to_end(repeats: int = 3) -> list[tuple[str, float, int]]:
    """Median wall time of `python -m planner solve FILE` per shipped scenario, and of `python -c pass`."""
    cmds = [("python -c pass", [sys.executable, "-c", "pass"])]
    for f in sorted((ROOT / "scenarios").glob("*.yaml")):
        inputs = (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("inputs") or {}
        if not all("baseline" in spec for spec in inputs.values()):
            continue  # waits for `planner calibrate` first (telesales_calibrate.yaml)
        cmds.append((f"planner solve scenarios/{f.name}", [sys.executable, "-m", "planner", "solve", str(f)]))
    out = []
    for label, cmd in cmds:
        times, code = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            code = subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode
            times.append(time.perf_counter() - t0)
        out.append((label, statistics.median(times), code))
    return out


def e2e_table(results: list[tuple[str, float, int]]) -> str:
    lines = ["| command | seconds (median of 3) | exit code |", "|---|---|---|"]
    lines += [f"| `{label}` | {s:.2f} | {code} |" for label, s, code in results]
    return "\n".join(lines)


def report(args: argparse.Namespace, rows: list[Row], e2e: list[tuple[str, float, int]] | None,
           started: str, done: bool) -> str:
    import pyscipopt
    import scipy

    probs = [f"- **{r.name}** (seed {r.seed}, P={r.P}, K={r.K:g}): {'; '.join(r.problems)}" for r in rows if r.problems]
    parts = [
        "# Optimiser benchmark: planner vs SCIP vs SLSQP",
        "",
        f"Run {started} UTC{'' if done else ' (in progress)'} on {platform.machine()} "
        f"({_cores()} cores), Python {platform.python_version()}, SCIP via pyscipopt {pyscipopt.__version__}, "
        f"scipy {scipy.__version__}. Command: `python benchmarks/bench_solve.py {' '.join(sys.argv[1:])}`.",
        f"SCIP time limit {args.scip_limit:g} s, SLSQP time limit {args.slsqp_limit:g} s, planner "
        f"{'time limit ' + format(args.planner_limit, 'g') + ' s' if args.planner_limit else 'no time limit'}; "
        "one solver at a time."
        + (f" **SCIP and SLSQP columns reused from `{args.reuse_from}`** (an earlier run with the same settings on "
           "the same instances; the anchors do not depend on planner's code); planner re-run now." if args.reuse_from
           else ""),
        "",
        "Effort is the true effort of each plan (Σ over levers of the convex step function of ln uplift). "
        "Every plan is checked on the true formulas (1e-6 relative); a ✗ says what fails. "
        "'planner vs X' is (planner − X) / X: positive means planner needs more effort. "
        "'vs SCIP bound' and 'vs its bound' are upper limits on how far planner can be from the global "
        "optimum (the certified bound comes from a second planner solve with `certify=True`, not timed).",
        "",
        table(rows),
        "",
        "## Findings on the instances" if probs else "## Findings on the instances: none against the goals",
        *probs,
    ]
    if e2e is not None:
        slow = [f"- `{label}` took {sec:.2f} s (goal {GOAL_E2E:g} s)" for label, sec, code in e2e[1:]
                if code == 0 and sec > GOAL_E2E]
        failed = [f"- `{label}` exited with code {code}" for label, _, code in e2e[1:] if code not in (0, 3)]
        parts += ["", "## End to end: process start to printed plan", "", e2e_table(e2e), *([""] + slow + failed
                                                                                            if slow or failed else [])]
    return "\n".join(parts) + "\n"


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def save_instance(raw: dict, row: Row) -> Path:
    path = ROOT / "benchmarks" / "instances" / f"{row.name}.yaml"
    header = f"# {row.name}: {'; '.join(row.problems)}\n# reproduce: python -m planner solve {path.relative_to(ROOT)}\n"
    write_atomic(path, header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return path


def run_instance(P: int, K: float, seed: int, args: argparse.Namespace) -> Row:
    raw = generate(P, K, seed)
    sc = scenario_from_dict(raw)
    model = build_model(sc)
    sig = compile_signomial(model)
    req = required(model)
    row = Row(instance_name(P, K, seed), seed, P, K, len(sig.levers))
    run_planner(row, sc, model, sig, req, args.planner_limit)
    if args.certify:
        run_certify(row, sc)
    if args.reuse_anchors:
        # Anchors do not depend on planner's code: after a planner change, re-time planner only.
        old = args.reuse_anchors[row.name]
        for key, value in old.items():
            if key.startswith(("scip_", "slsqp_")):
                setattr(row, key, value)
    else:
        run_anchor(row, "scip", solve_scip(sig, req, args.scip_limit), model, sig, req)
        run_anchor(row, "slsqp", solve_slsqp(sig, req, args.slsqp_limit), model, sig, req)
    judge(row)
    if row.problems:
        save_instance(raw, row)
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="P ∈ {3, 10, 30}, K ∈ {2, 10}, SCIP 60 s")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--ks", type=float, nargs="+", default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--scip-limit", type=float, default=None)
    ap.add_argument("--slsqp-limit", type=float, default=120.0)
    ap.add_argument("--planner-limit", type=float, default=None, help="planner --time-limit (default none)")
    ap.add_argument("--certify", action="store_true",
                    help="also solve once more with certify=True for planner's own lower bound (not timed)")
    ap.add_argument("--reuse-anchors", default=None, metavar="JSON",
                    help="take the SCIP and SLSQP columns from an earlier run's RESULTS_solve.json; run planner only")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end `planner solve` timings")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS_solve.md"))
    args = ap.parse_args(argv)
    sizes = args.sizes or ([3, 10, 30] if args.quick else [3, 10, 30, 100, 300])
    ks = args.ks or ([2.0, 10.0] if args.quick else [2.0, 5.0, 10.0])
    args.scip_limit = args.scip_limit or (60.0 if args.quick else 120.0)
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    args.reuse_from = args.reuse_anchors
    if args.reuse_anchors:
        args.reuse_anchors = {r["name"]: r for r in json.loads(Path(args.reuse_anchors).read_text(encoding="utf-8"))}
    rows: list[Row] = []
    for P in sizes:
        for K in ks:
            for seed in args.seeds:
                rows.append(run_instance(P, K, seed, args))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
                write_atomic(args.out, report(args, rows, None, started, False))
                write_atomic(Path(args.out).with_suffix(".json"), json.dumps([asdict(r) for r in rows], indent=1,
                                                                             ensure_ascii=False))
    e2e = None if args.no_e2e else end_to_end()
    text = report(args, rows, e2e, started, True)
    write_atomic(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
