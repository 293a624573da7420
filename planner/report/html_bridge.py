"""The bridge: last year's target value → this year's plan, split exactly by driver.

A driver is one input (all its labels together): a lever, or an assumption (fixed/uncontrollable
input whose value this year differs from last year's). The split is the log-share rule of
``planner allocate --by owner`` taken through the plan's formulas (``planner.attribution.log_path``:
Aumann–Shapley along the geometric path; for a product chain driver i gets exactly ln u_i ÷ Σ ln u_j
of the change), so the owner table here and the owners' KPI sheets show the same numbers. The parts
sum to planned − baseline exactly. Without formulas (no ``plan.tree`` and no scenario file) or when
they no longer reproduce the plan, the log-share rule is applied to the plan's uplifts alone: exact
for one product chain, and said so in ``Bridge.note``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planner import attribution
from planner.errors import PlannerError
from planner.result import InputResult, Plan

if TYPE_CHECKING:
    from planner.tree.graph import Model

_MOVED = 1e-12  # relative change below which an input did not move
EXACT_NOTE = ("exact log-share split through the plan's formulas (Aumann–Shapley along the geometric path), "
              "the same rule as planner allocate --by owner")


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
    owners: list[tuple[str, float]] = field(default_factory=list)  # the same contributions per owner
    method: str = "tree"  # tree (through the formulas) | product chain (plan alone) | none
    note: str = ""

    @property
    def total(self) -> float:
        return self.planned - self.baseline


def compute_bridge(plan: Plan, model: Model | None = None, *, base_dir: str | Path | None = None) -> Bridge | None:
    """Split the target's change into driver contributions; None when the plan has no achieved value.

    ``model`` evaluates the plan's formulas (a ``planner.tree.graph.Model``); when omitted it is
    rebuilt from ``plan.tree``, or from the scenario file ``plan.source``. An unreachable plan is
    bridged to its ``max_reachable``.
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
    if model is None:
        rows, why = None, "no formulas in the plan and no scenario file"
    else:
        rows, why = _through_tree(plan, model, bridge.planned)
    if rows is not None:
        bridge.method, bridge.note = "tree", EXACT_NOTE
    else:
        bridge.method = "product chain"
        bridge.note = f"{why}: log-share split of the plan's uplifts alone (exact for one product chain only)"
        rows = _log_share(plan, groups, bridge.total)
    bridge.parts = _parts(groups, rows, bridge.total)
    bridge.owners = _owners(rows, bridge.total)
    return bridge


def load_model(plan: Plan, base_dir: str | Path | None = None) -> Model | None:
    """A model that evaluates the plan's formulas: from ``plan.tree`` if it carries them, else from the
    scenario file ``plan.source`` (tried as given, then relative to ``base_dir``); None if neither works."""
    return model_from_tree(plan) or _model_from_source(plan, base_dir)


def model_from_tree(plan: Plan) -> Model | None:
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


def _node_key(entry: dict[str, Any]) -> str:
    dims = entry.get("dims") or []
    return f"{entry['name']}[{', '.join(dims)}]" if dims else str(entry["name"])


def _nested(rows: list[InputResult], dims: dict[str, list[str]]) -> float | dict[str, Any]:
    """Baselines as the scenario file writes them: a number, or {label: ...} nested by dimension."""
    if len(rows) == 1 and not rows[0].labels and rows[0].label is None:
        return rows[0].baseline
    out: dict[str, Any] = {}
    for r in rows:
        labels = list((r.labels or {}).values()) or [str(r.label)]
        level = out
        for lab in labels[:-1]:
            level = level.setdefault(lab, {})
        level[labels[-1]] = r.baseline
    return out


def _model_from_source(plan: Plan, base_dir: str | Path | None) -> Model | None:
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


def _close(a: float, b: float | None, rel: float = 1e-6) -> bool:
    return b is not None and abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def _through_tree(plan: Plan, model: Model, end: float) -> tuple[list[tuple[InputResult, float]] | None, str]:
    """Per-input contributions by ``attribution.log_path`` on ``model``; None and why if the formulas
    do not reproduce the plan (baseline and planned value of the target)."""
    why = "the formulas no longer reproduce the plan"
    try:
        pl = attribution.players(plan, model)
        ends = pl.evaluate(np.vstack([pl.baseline, pl.planned]))
        if not (_close(float(ends[0]), plan.target.baseline) and _close(float(ends[1]), end)):
            return None, f"{why} ({plan.target.node}: {ends[0]:.6g} → {ends[1]:.6g})"
        values = attribution.log_path(pl)
    except PlannerError as exc:
        return None, f"{why} ({exc.message})"
    if not np.all(np.isfinite(values)):  # e.g. a division by zero somewhere along the path
        return None, "the formulas cannot be evaluated along the path from last year to the plan"
    return list(zip(pl.inputs, values.tolist(), strict=True)), ""


def _log_share(plan: Plan, groups: dict[str, list[InputResult]], total: float) -> list[tuple[InputResult, float]]:
    """share_i = ln(u_i) ÷ Σ ln(u) over the levers and moved inputs; inputs with a zero side are left out.

    This is ``log_path`` on the product chain ``baseline × Π uplift``, scaled to the plan's change."""
    rows = [i for i in plan.inputs if i.kind == "lever" or i.name in groups]
    logs = [math.log(r.planned / r.baseline) if r.baseline > 0 and r.planned > 0 else 0.0 for r in rows]
    denom = math.fsum(logs)
    return [(r, total * x / denom if denom else 0.0) for r, x in zip(rows, logs, strict=True)]


def _parts(groups: dict[str, list[InputResult]], rows: list[tuple[InputResult, float]],
           total: float) -> list[Contribution]:
    """One bar per moved input name: the sum of its labels' contributions."""
    by_name: dict[str, list[float]] = {}
    for r, val in rows:
        by_name.setdefault(r.name, []).append(val)
    values = _exact([math.fsum(by_name.get(name, [])) for name in groups], total)
    parts = []
    for (name, group), val in zip(groups.items(), values, strict=True):
        ups = [r.planned / r.baseline for r in group if r.baseline]
        owners = sorted({r.owner for r in group if r.owner})
        parts.append(Contribution(name, group[0].kind, "、".join(owners) or None, val,
                                  min(ups) if ups else None, max(ups) if ups else None))
    return sorted(parts, key=lambda c: -c.value)


def _owners(rows: list[tuple[InputResult, float]], total: float) -> list[tuple[str, float]]:
    """Contributions per owner, named as ``planner allocate --by owner`` names them: every lever's
    owner (zero if its levers stayed put) and the assumptions that moved under one heading."""
    from planner.allocation import EXTERNAL, UNOWNED  # late: allocation pulls in pandas

    out: dict[str, list[float]] = {}
    for r, val in rows:
        out.setdefault((r.owner or UNOWNED) if r.kind == "lever" else EXTERNAL, []).append(val)
    values = _exact([math.fsum(v) for v in out.values()], total)
    return sorted(zip(out, values, strict=True), key=lambda kv: -kv[1])


def _exact(values: list[float], total: float) -> list[float]:
    """Put the rounding residue (≤ 1e-6 relative) on the largest value: they then sum exactly to ``total``."""
    if values:
        big = max(range(len(values)), key=lambda k: abs(values[k]))
        values[big] += total - math.fsum(values)
    return values


def by_owner(bridge: Bridge) -> list[tuple[str, float]]:
    """Contributions summed per owner, largest first (the owners of ``planner allocate --by owner``)."""
    return list(bridge.owners)
