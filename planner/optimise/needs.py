"""When the target is out of reach: which caps and budgets bind, and what each alone would need.

For a binding cap, the cap is lifted (to the default cap) and the smallest value of that field
that still makes the target reachable is found by optimisation; for a budget, the least budget.
``to`` is None when that field alone cannot close the gap ("not enough alone").
"""

from __future__ import annotations

import math

import numpy as np

from planner.compile.approx import Objective, Spec
from planner.compile.signomial import Lever, SigProgram, effort_of
from planner.optimise.search import SearchOptions, search
from planner.report.units import format_money as fmt_value  # a leaf module: formatting only
from planner.result import Need, target_unit
from planner.tree.graph import DEFAULT_CAP, Model

_BIND = 1e-6


def compute_needs(model: Model, sig: SigProgram, sopts: SearchOptions, x: np.ndarray, required: float,
                  chk) -> list[Need]:  # noqa: ANN001
    needs: list[Need] = []
    for what, levers, field in _binding_caps(model, sig, x):
        needs.append(_cap_need(model, sig, sopts, what, levers, field, required))
    b = model.scenario.budget
    if b.cost is not None and sig.cost is not None and chk.cost >= b.cost * (1 - _BIND) - 1e-9:
        spec = Spec(Objective("cost"), required=required, use_cost_cap=False)
        found = search(sig, spec, sopts)
        needs.append(Need("budget.cost", b.cost, float(sig.cost.value(found.x)) if found.ok else None))
    if b.effort is not None and chk.effort.sum() >= b.effort * (1 - _BIND) - 1e-9:
        spec = Spec(Objective("effort"), required=required, use_effort_cap=False)
        found = search(sig, spec, sopts)
        needs.append(Need("budget.effort", b.effort, float(effort_of(sig, found.x).sum()) if found.ok else None))
    for n in needs:
        n.sentence = _need_text(model, n)
    return needs


def _binding_caps(model: Model, sig: SigProgram, x: np.ndarray) -> list[tuple[str, list[Lever], str]]:
    """Group levers at a cap by the scenario field that sets it (a per-label field: one per label)."""
    groups: dict[str, tuple[list[Lever], str]] = {}
    for lv in sig.levers:
        up = lv.sign > 0
        at = x[lv.index] >= lv.xhi - 1e-7 if up else x[lv.index] <= lv.xlo + 1e-7
        src = lv.hi_src if up else lv.lo_src
        if not at or src == "default_cap" or src.endswith(".baseline"):
            continue
        field = src.rsplit(".", 1)[-1]
        spec = model.inputs[lv.name].spec
        per_label = isinstance(getattr(spec, field, None), dict)
        what = f"{src}.{'.'.join(lv.label)}" if per_label and lv.label else src
        groups.setdefault(what, ([], field))[0].append(lv)
    return [(w, lvs, f) for w, (lvs, f) in groups.items()]


def _cap_need(model: Model, sig: SigProgram, sopts: SearchOptions, what: str, levers: list[Lever], field: str,
              required: float) -> Need:
    lv0 = levers[0]
    inp = model.inputs[lv0.name]
    spec_val = getattr(inp.spec, field)
    current = _current(spec_val, lv0, field)
    wide = math.log(DEFAULT_CAP)
    bounds = {lv.index: ((lv.xlo, wide) if lv.sign > 0 else (-wide, lv.xhi)) for lv in levers}
    absolute = field in ("max", "min")
    # Minimise the largest (log) cap the group needs: log planned for max/min, log uplift otherwise.
    offs = {lv.index: (math.log(lv.baseline) if absolute else 0.0) for lv in levers}
    sign = 1.0 if lv0.sign > 0 else -1.0
    obj = Objective("levers", tuple(lv.index for lv in levers), sign, tuple(offs[lv.index] for lv in levers))
    spec = Spec(obj, required=required, bounds=bounds)
    found = search(sig, spec, sopts)
    if not found.ok:
        return Need(what, current, None)
    z = max(sign * (found.x[lv.index] + offs[lv.index]) for lv in levers)
    to = math.exp(sign * z) if absolute else math.exp(z)
    if inp.integer and absolute:
        to = math.ceil(to - 1e-9) if sign > 0 else math.floor(to + 1e-9)
    return Need(what, current, float(to))


def _current(spec_val, lv: Lever, field: str) -> float | None:  # noqa: ANN001
    if isinstance(spec_val, dict):
        v = spec_val
        for lab in lv.label:
            v = v.get(lab, {}) if isinstance(v, dict) else v
        return float(v) if isinstance(v, int | float) else None
    if field == "effort" and isinstance(spec_val, list):
        return float(spec_val[-1].upto)
    return float(spec_val) if isinstance(spec_val, int | float) else None


def _need_text(model: Model, n: Need) -> str:
    unit = model.scenario.unit
    money = n.what.startswith("budget.cost") or n.what.endswith(".cost")
    f = (lambda v: fmt_value(v, unit)) if money else _plain
    if n.to is None:
        return f"{n.what}: not enough alone (now {f(n.source) if n.source is not None else '?'})"
    return f"{n.what} {f(n.source) if n.source is not None else '?'} → {f(n.to)}"


def _plain(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 or v == int(v) else f"{v:.4g}"


def needs_sentence(model: Model, required: float | None, reach: float | None, needs: list[Need]) -> str:
    unit = target_unit(model.scenario.target.unit, model.scenario.unit)
    head = (f"{fmt_value(required, unit)} is out of reach: the most these constraints allow is "
            f"{fmt_value(reach, unit) if reach is not None else 'unknown'}.")
    enough = [n for n in needs if n.to is not None]
    if not needs:
        return head + " No single cap or budget binds; the structure itself limits the target."
    parts = [n.sentence for n in enough]
    tail = " Any one of these would make it reachable: " + "; or ".join(parts) + "." if parts else ""
    alone = [n.what for n in needs if n.to is None]
    if alone:
        tail += f" Not enough alone: {', '.join(alone)}."
    return head + tail

