"""Judge a plan on the true formulas and turn it into the Plan result.

Nothing the linearised model says is reported: planned node values, the achieved target and every
constraint's sides come from the forward evaluator. A plan that misses its target or a constraint
by more than 1e-6 of the row's magnitude raises ``Violation`` and is never reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.compile.signomial import Lever, SigProgram, effort_of
from planner.result import ConstraintResult, InputResult, NodeResult
from planner.tree.evaluate import evaluate, evaluate_expr
from planner.tree.graph import Input, Model
from planner.tree.nodes import Ref, refs, to_text

TOL = 1e-6
BINDING = 1e-5


class Violation(Exception):
    """A candidate plan fails a row on the true formulas (an internal signal to refine and re-solve)."""

    def __init__(self, what: str, excess: float) -> None:
        super().__init__(f"{what} violated by {excess:.3g} of its magnitude")
        self.what = what
        self.excess = excess


@dataclass
class Checked:
    values: dict[str, np.ndarray]  # input name → planned value array
    results: dict[str, np.ndarray]  # every input and node, planned
    baseline: dict[str, np.ndarray]  # every input and node at last year's values
    achieved: float
    effort: np.ndarray  # per lever
    cost: float
    constraints: list[ConstraintResult]


def planned_values(model: Model, sig: SigProgram, x: np.ndarray) -> dict[str, np.ndarray]:
    values = {name: inp.value.astype(float).copy() for name, inp in model.inputs.items()}
    for lv in sig.levers:
        inp = model.inputs[lv.name]
        flat = int(np.ravel_multi_index(tuple(model.dims[d].index(lab) for d, lab in zip(lv.dims, lv.label, strict=True)),
                                        model.shape(lv.dims))) if lv.dims else 0
        v = lv.baseline * math.exp(x[lv.index])
        if lv.integer:
            v = float(round(v))
        v = min(max(v, float(inp.lo.flat[flat])), float(inp.hi.flat[flat]))
        values[lv.name].reshape(-1)[flat] = v
    return values


def baseline_results(model: Model) -> dict[str, np.ndarray]:
    return evaluate(model, {n: i.baseline for n, i in model.inputs.items()})


def check(model: Model, sig: SigProgram, x: np.ndarray, required: float | None) -> Checked:
    """Evaluate and verify; raises Violation if any row fails on the true formulas."""
    values = planned_values(model, sig, x)
    xs = np.array([math.log(_flat(values[lv.name], model, lv) / lv.baseline) for lv in sig.levers])
    res = evaluate(model, values)
    tnode = model.scenario.target.node
    achieved = float(res[tnode])
    if required is not None:
        mag = float(evaluate_expr(model, Ref(tnode), res, absolute=True)) + abs(required)
        if achieved < required - TOL * mag:
            raise Violation("target", (required - achieved) / mag)
    rows = _constraints(model, res)
    effort = effort_of(sig, xs)
    cost = sig.cost.value(xs) if sig.cost is not None else 0.0
    b = model.scenario.budget
    if b.cost is not None and cost > b.cost + TOL * (b.cost + abs(cost)):
        raise Violation("budget.cost", (cost - b.cost) / max(b.cost, 1.0))
    if b.effort is not None and effort.sum() > b.effort + TOL * max(b.effort, 1.0):
        raise Violation("budget.effort", (effort.sum() - b.effort) / max(b.effort, 1.0))
    return Checked(values, res, baseline_results(model), achieved, effort, cost, rows)


def _flat(arr: np.ndarray, model: Model, lv: Lever) -> float:
    if not lv.dims:
        return float(arr)
    idx = tuple(model.dims[d].index(lab) for d, lab in zip(lv.dims, lv.label, strict=True))
    return float(arr[idx])


def _constraints(model: Model, res: dict[str, np.ndarray]) -> list[ConstraintResult]:
    out: list[ConstraintResult] = []
    for c in model.constraints:
        lhs = np.asarray(evaluate_expr(model, c.lhs, res, dims=c.dims))
        rhs = np.asarray(evaluate_expr(model, c.rhs, res, dims=c.dims))
        mag = (np.asarray(evaluate_expr(model, c.lhs, res, absolute=True, dims=c.dims))
               + np.asarray(evaluate_expr(model, c.rhs, res, absolute=True, dims=c.dims)))
        for flat, lab in enumerate(model.labels(c.dims)):
            lv, rv, m = float(lhs.flat[flat]), float(rhs.flat[flat]), max(float(mag.flat[flat]), 1e-300)
            slack = (lv - rv) if c.sense == ">=" else (rv - lv)
            name = f"{c.name}[{', '.join(lab)}]" if lab else c.name
            if not math.isfinite(slack) or slack < -TOL * m:
                raise Violation(f"constraints.{name}", -slack / m if math.isfinite(slack) else math.inf)
            out.append(ConstraintResult(name, lv, rv, slack <= BINDING * m, c.sense))
    return out


def input_results(model: Model, sig: SigProgram, chk: Checked) -> list[InputResult]:
    out: list[InputResult] = []
    by_key = {(lv.name, lv.label): lv for lv in sig.levers}
    for name, inp in model.inputs.items():
        for flat, lab in enumerate(model.labels(inp.dims)):
            base = float(inp.baseline.flat[flat])
            planned = float(np.asarray(chk.values[name]).flat[flat])
            lv = by_key.get((name, lab))
            effort, bound = 0.0, None
            if lv is not None:
                effort = float(chk.effort[lv.index])
                bound = _bound(lv, planned, inp, flat)
            out.append(InputResult(
                name=name, label=", ".join(lab) if lab else None, baseline=base, planned=planned,
                uplift=planned / base if base != 0 else None, effort=effort, owner=inp.owner, bound=bound,
                kind=inp.kind, labels=dict(zip(inp.dims, lab, strict=True)) or None, flow=inp.flow,
                integer=inp.integer, unit=inp.spec.unit if inp.spec else None))
    return out


def _bound(lv: Lever, planned: float, inp: Input, flat: int) -> str | None:
    """Which scenario field stops this lever (None if it is free to move)."""
    hi, lo = float(inp.hi.flat[flat]), float(inp.lo.flat[flat])
    tol = 1e-6 * max(abs(planned), 1e-12)  # the polish LP stops within ~1e-7 of a cap
    src = None
    if lv.direction == "up" and planned >= hi - tol:
        src = str(inp.hi_src.flat[flat])
    if lv.direction == "down" and planned <= lo + tol:
        src = str(inp.lo_src.flat[flat])
    if src is None:
        return None
    return src.rsplit(".", 1)[-1]


def node_results(model: Model, chk: Checked) -> list[NodeResult]:
    out: list[NodeResult] = []
    for name, node in model.nodes.items():
        planned = np.asarray(chk.results[name])
        base = np.asarray(chk.baseline[name])
        for flat, lab in enumerate(model.labels(node.dims)):
            out.append(NodeResult(name, ", ".join(lab) if lab else None, float(base.flat[flat]),
                                  float(planned.flat[flat]), dict(zip(node.dims, lab, strict=True)) or None,
                                  node.flow))
    return out


def tree_entries(model: Model) -> list[dict]:
    """The driver tree for reports: every input and node with its formula and children."""
    out: list[dict] = []
    for name, inp in model.inputs.items():
        out.append({"name": name, "dims": list(inp.dims), "kind": inp.kind, "formula": None, "children": [],
                    "owner": inp.owner, "flow": inp.flow})
    for name, node in model.nodes.items():
        kids = list(dict.fromkeys(r.name for r in refs(node.expr)))
        out.append({"name": name, "dims": list(node.dims), "kind": "node", "formula": to_text(node.expr),
                    "children": kids, "owner": None, "flow": node.flow})
    return out
