"""The bridge: last year's target value → this year's plan, split exactly by driver.

A driver is one input (all its labels together): a lever, or an assumption (fixed/uncontrollable
input whose value this year differs from last year's). With the scenario file at hand the split is
the exact Shapley value: the model is evaluated for every subset of drivers at plan (the others at
baseline) in one vectorised call, and each driver gets its average marginal contribution. The parts
sum to planned − baseline exactly (efficiency), for products and sums alike. Without the scenario
file (or with more than ``MAX_SHAPLEY`` drivers) the log-share split is used: exact for a single
product chain, an approximation of Shapley for sums of products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planner.errors import PlannerError
from planner.result import InputResult, Plan

MAX_SHAPLEY = 14  # 2^14 = 16,384 model evaluations in one vectorised call: well under a second
_MOVED = 1e-12  # relative change below which an input did not move


@dataclass
class Contribution:
    name: str
    kind: str  # lever | fixed | uncontrollable
    owner: str | None
    value: float  # in the target's unit; the parts sum to planned − baseline
    uplift_low: float | None  # range of planned ÷ baseline over the input's labels
    uplift_high: float | None


@dataclass
class Bridge:
    baseline: float
    planned: float
    parts: list[Contribution] = field(default_factory=list)
    method: str = "shapley"  # shapley | log-share | none
    note: str = ""

    @property
    def total(self) -> float:
        return self.planned - self.baseline


def compute_bridge(plan: Plan, model: object | None = None, *, base_dir: str | Path | None = None) -> Bridge | None:
    """Split the target's change into driver contributions; None when the plan has no achieved value.

    ``model`` evaluates the plan's formulas (a ``planner.tree.graph.Model``); when omitted it is
    rebuilt from ``plan.tree``, or from the scenario file ``plan.source``.
    """
    t = plan.target
    planned = t.achieved if t.achieved is not None else plan.max_reachable  # unreachable: bridge to the max
    if planned is None or t.baseline is None:
        return None
    groups = _moved_groups(plan)
    bridge = Bridge(float(t.baseline), float(planned))
    if not groups:
        bridge.method, bridge.note = "none", "no input moved: the plan equals last year"
        return bridge
    model = model if model is not None else load_model(plan, base_dir)
    if model is not None and len(groups) <= MAX_SHAPLEY:
        values = _shapley(plan, model, groups)
        if values is not None:
            bridge.parts = _parts(groups, values, bridge.total)
            return bridge
        note = "the scenario file no longer reproduces the plan; log-share split used"
    elif model is None:
        note = "no formulas in the plan and no scenario file: log-share split (exact for one product chain only)"
    else:
        note = f"{len(groups)} drivers (> {MAX_SHAPLEY}): log-share split, an approximation of the Shapley split"
    bridge.method, bridge.note = "log-share", note
    bridge.parts = _parts(groups, _log_share(groups, bridge.total), bridge.total)
    return bridge


def load_model(plan: Plan, base_dir: str | Path | None = None) -> object | None:
    """A model that evaluates the plan's formulas: from ``plan.tree`` if it carries them, else from the
    scenario file ``plan.source`` (tried as given, then relative to ``base_dir``); None if neither works."""
    return model_from_tree(plan) or _model_from_source(plan, base_dir)


def model_from_tree(plan: Plan) -> object | None:
    """Rebuild the formulas from the plan JSON alone: every input fixed at its baseline, nodes from the tree."""
    from planner.scenario import Scenario  # late: only the bridge needs the formula machinery
    from planner.tree.graph import build_model

    formulas = {e["name"]: e for e in plan.tree if isinstance(e, dict) and e.get("formula")}
    if plan.target.node not in formulas:
        return None
    by_input: dict[str, list[InputResult]] = {}
    for inp in plan.inputs:
        by_input.setdefault(inp.name, []).append(inp)
    try:
        inputs = {name: {"baseline": _nested(rows, plan.dimensions), "fixed": True}
                  for name, rows in by_input.items()}
        nodes = {_node_key(e): str(e["formula"]) for e in formulas.values()}
        sc = Scenario.model_validate({"dimensions": plan.dimensions, "inputs": inputs, "nodes": nodes,
                                      "target": {"node": plan.target.node, "at_least": 1.0}})
        return build_model(sc)
    except (PlannerError, ValueError, KeyError, TypeError):
        return None


def _node_key(entry: dict) -> str:
    dims = entry.get("dims") or []
    return f"{entry['name']}[{', '.join(dims)}]" if dims else str(entry["name"])


def _nested(rows: list[InputResult], dims: dict[str, list[str]]) -> float | dict:
    """Baselines as the scenario file writes them: a number, or {label: ...} nested by dimension."""
    if len(rows) == 1 and not rows[0].labels and rows[0].label is None:
        return rows[0].baseline
    out: dict = {}
    for r in rows:
        labels = list((r.labels or {}).values()) or [r.label]
        level = out
        for lab in labels[:-1]:
            level = level.setdefault(lab, {})
        level[labels[-1]] = r.baseline
    return out


def _model_from_source(plan: Plan, base_dir: str | Path | None) -> object | None:
    if not plan.source:
        return None
    from planner.scenario import load_scenario
    from planner.tree.graph import build_model

    path = Path(plan.source)
    if not path.exists() and base_dir is not None:
        path = Path(base_dir) / plan.source
    try:
        return build_model(load_scenario(path, plan.scenario if plan.scenario != "base" else None))
    except PlannerError:
        return None


def _moved_groups(plan: Plan) -> dict[str, list[InputResult]]:
    groups: dict[str, list[InputResult]] = {}
    for inp in plan.inputs:
        groups.setdefault(inp.name, []).append(inp)
    return {k: v for k, v in groups.items()
            if any(abs(i.planned - i.baseline) > _MOVED * max(abs(i.baseline), abs(i.planned)) for i in v)}


def _arrays(model: object, name: str, rows: list[InputResult]) -> tuple[np.ndarray, np.ndarray] | None:
    inp = model.inputs.get(name)  # type: ignore[attr-defined]
    if inp is None:
        return None
    base, planned = inp.baseline.astype(float).copy(), inp.baseline.astype(float).copy()
    for r in rows:
        labels = r.labels or {}
        if r.label is not None and not labels and len(inp.dims) == 1:
            labels = {inp.dims[0]: r.label}
        try:
            idx = tuple(model.dims[d].index(labels[d]) for d in inp.dims)  # type: ignore[attr-defined]
        except (KeyError, ValueError):
            return None
        base[idx], planned[idx] = r.baseline, r.planned
    return base, planned


def _shapley(plan: Plan, model: object, groups: dict[str, list[InputResult]]) -> list[float] | None:
    """Exact Shapley values of the target node over the moved inputs; None if the model disagrees."""
    names = list(groups)
    n = len(names)
    subsets = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1  # row s: which drivers are at plan
    values: dict[str, np.ndarray] = {}
    for name, inp in model.inputs.items():  # type: ignore[attr-defined]
        values[name] = inp.baseline  # last year: every input at its baseline (assumptions too)
    for g, name in enumerate(names):
        pair = _arrays(model, name, groups[name])
        if pair is None:
            return None
        base, planned = pair
        mask = subsets[:, g].reshape((-1,) + (1,) * base.ndim).astype(bool)
        values[name] = np.where(mask, planned, base)
    from planner.tree.evaluate import evaluate

    v = np.asarray(evaluate(model, values, samples=2**n)[plan.target.node], dtype=float).reshape(-1)  # type: ignore[arg-type]
    planned = plan.target.achieved if plan.target.achieved is not None else plan.max_reachable
    if not (_close(v[0], plan.target.baseline) and _close(v[-1], planned)):
        return None
    size = subsets.sum(axis=1)
    # Weight of a coalition S (not containing i) in i's Shapley value: |S|! (n-|S|-1)! / n!
    weight = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])
    out = []
    for g in range(n):
        without = subsets[:, g] == 0
        s_idx = np.nonzero(without)[0]
        gain = v[s_idx + (1 << g)] - v[s_idx]
        out.append(float(np.dot(weight[size[s_idx]], gain)))
    return out


def _close(a: float, b: float | None, rel: float = 1e-6) -> bool:
    return b is not None and abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def _log_share(groups: dict[str, list[InputResult]], total: float) -> list[float]:
    """share_i = Σ ln(u) of driver i ÷ Σ over all drivers; inputs with a zero side are left out."""
    logs = []
    for rows in groups.values():
        logs.append(math.fsum(math.log(r.planned / r.baseline) for r in rows
                              if r.baseline > 0 and r.planned > 0))
    denom = math.fsum(logs)
    if denom == 0:
        return [0.0] * len(logs)
    return [total * x / denom for x in logs]


def _parts(groups: dict[str, list[InputResult]], values: list[float], total: float) -> list[Contribution]:
    parts = []
    for (name, rows), val in zip(groups.items(), values, strict=True):
        ups = [r.planned / r.baseline for r in rows if r.baseline]
        owners = sorted({r.owner for r in rows if r.owner})
        parts.append(Contribution(name, rows[0].kind, "、".join(owners) or None, val,
                                  min(ups) if ups else None, max(ups) if ups else None))
    parts.sort(key=lambda c: -c.value)
    if parts:  # put the floating-point residue (~1e-16 relative) on the largest part: bars sum exactly
        big = max(parts, key=lambda c: abs(c.value))
        big.value += total - math.fsum(c.value for c in parts)
    return parts


def by_owner(bridge: Bridge) -> list[tuple[str, float]]:
    """Contributions summed per owner (Shapley values add up); assumptions under '假设 assumptions'."""
    out: dict[str, float] = {}
    for c in bridge.parts:
        key = c.owner or ("未指定 no owner" if c.kind == "lever" else "假设 assumptions")
        out[key] = out.get(key, 0.0) + c.value
    return sorted(out.items(), key=lambda kv: -kv[1])
