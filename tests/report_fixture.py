"""A realistic Plan for the report tests, built without the solver.

Every lever moves the same fraction ``t`` of its way (in log space) to its cap; ``t`` is bisected
until the target node meets the required value; seats follow the capacity row. Node values come
from the forward evaluator, so the plan is self-consistent exactly as ``planner solve`` promises.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from planner.result import (
    ConstraintResult,
    InputResult,
    Need,
    NodeResult,
    Plan,
    SolverInfo,
    Status,
    TargetResult,
)
from planner.scenario import load_scenario
from planner.tree.evaluate import evaluate, evaluate_expr
from planner.tree.graph import Model, build_model

FIXTURE = Path(__file__).parent / "fixtures" / "report_telesales.yaml"


def _lever_values(model: Model, t: float) -> dict[str, np.ndarray]:
    vals = {}
    for name, inp in model.inputs.items():
        if inp.kind != "lever" or inp.integer:
            continue
        end = inp.hi if inp.direction == "up" else inp.lo
        vals[name] = inp.baseline * np.exp(t * np.log(end / inp.baseline))
    return vals


def _effort(inp, planned: float, baseline: float) -> float:
    x = abs(math.log(planned / baseline))
    total, prev = 0.0, 0.0
    for upto, w in inp.steps:
        step = min(x, upto) - prev
        if step <= 0:
            break
        total += w * step
        prev = min(x, upto)
    return total


def build_plan(path: Path = FIXTURE, scenario: str | None = None, *, required_scale: float = 1.0) -> Plan:
    """Solve-free plan for ``path``: least common fraction of every lever's log-range that hits the target."""
    sc = load_scenario(path, scenario)
    model = build_model(sc)
    tnode = sc.target.node
    base_vals = {k: i.baseline for k, i in model.inputs.items()}
    baseline = float(evaluate(model, base_vals)[tnode])
    commitment = sc.target.at_least if sc.target.at_least is not None else baseline * sc.target.multiple
    required = commitment * (1 + sc.target.margin) * required_scale

    def value(t: float) -> float:
        return float(evaluate(model, _lever_values(model, t))[tnode])

    reachable = value(1.0) >= required
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if value(mid) >= required else (mid, hi)
    t = hi if reachable else 1.0
    vals = _lever_values(model, t)
    res = evaluate(model, vals)
    for name, inp in model.inputs.items():  # integer levers (seats): just enough for the capacity rows
        if inp.kind == "lever" and inp.integer:
            need = math.ceil(float(res["orders"].sum()) / 600)
            vals[name] = np.full(inp.baseline.shape, float(max(need, inp.baseline.max())))
    res = evaluate(model, vals)
    inputs, cost = [], 0.0
    for name, inp in model.inputs.items():
        planned = np.asarray(vals.get(name, inp.value), dtype=float)
        for idx, labs in zip(np.ndindex(inp.baseline.shape), model.labels(inp.dims), strict=True):
            b, p = float(inp.baseline[idx]), float(planned[idx])
            lever = inp.kind == "lever"
            eff = _effort(inp, p, b) if lever else 0.0
            if lever and inp.cost is not None:
                cost += float(inp.cost[idx]) * abs(p - b)
            inputs.append(InputResult(
                name=name, label="/".join(labs) if labs else None, baseline=b, planned=p,
                uplift=p / b if lever else (p / b if b else None), effort=eff, owner=inp.owner,
                bound=None, kind=inp.kind, labels=dict(zip(inp.dims, labs, strict=True)) or None,
                flow=inp.flow))
    nodes = []
    for name, node in model.nodes.items():
        basev = evaluate(model, base_vals)[name]
        for idx, labs in zip(np.ndindex(model.shape(node.dims)), model.labels(node.dims), strict=True):
            nodes.append(NodeResult(name=name, label="/".join(labs) if labs else None,
                                    baseline=float(np.asarray(basev)[idx]), planned=float(np.asarray(res[name])[idx]),
                                    labels=dict(zip(node.dims, labs, strict=True)) or None, flow=node.flow))
    constraints = []
    for c in model.constraints:
        lhs = float(evaluate_expr(model, c.lhs, res))
        rhs = float(evaluate_expr(model, c.rhs, res))
        constraints.append(ConstraintResult(c.name, lhs, rhs, abs(lhs - rhs) <= 1e-6 * abs(rhs), c.sense))
    tree = [{"name": n, "dims": list(i.dims), "formula": None, "kind": i.kind} for n, i in model.inputs.items()]
    tree += [{"name": n, "dims": list(nd.dims), "formula": nd.text, "kind": "node"} for n, nd in model.nodes.items()]
    achieved = float(res[tnode])
    plan = Plan(
        scenario=sc.scenario_name, status=Status.OPTIMAL if reachable else Status.INFEASIBLE,
        objective=sc.objective, effort=sum(i.effort for i in inputs), cost=cost,
        target=TargetResult(tnode, baseline, required, achieved, commitment=commitment, margin=sc.target.margin),
        inputs=inputs, nodes=nodes, constraints=constraints,
        solver=SolverInfo("fixture", 0.01, 0.0), name=sc.name, unit=sc.unit, source=str(path),
        dimensions=model.dims, tree=tree, budget={"cost": sc.budget.cost, "effort": sc.budget.effort})
    if not reachable:
        plan.max_reachable = achieved
        plan.needs = [Need("inputs.new_customers.max", 200000.0, 260000.0,
                           "new_customers.max 20万 → 26万"), Need("budget.cost", 5e7, None, "budget.cost: not enough alone")]
    return plan
