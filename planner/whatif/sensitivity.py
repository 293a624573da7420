"""Sensitivity by re-solving: shadow prices, the tornado and the frontier (the price list for ambition).

MILP duals are not reliable here (integer levers, piecewise-linear approximations of exp, a
polish step after the MILP), so every number is the difference between two verified plans: the
base and a re-solve with one value moved by a stated step. Re-solves are warm (``resolve``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.errors import PlannerError
from planner.report.units import format_money, is_money
from planner.result import target_unit
from planner.scenario import Scenario
from planner.whatif.overrides import apply_case
from planner.whatif.resolve import Outcome, Resolver

CAP_FIELDS = ("max", "min", "max_uplift")


@dataclass
class Move:
    """One value to move: a dotted path, its current value, and how to set a new one."""

    name: str  # display: "sufficiency[信托].assume", "budget.cost"
    path: str  # dotted path of the field ("inputs.sufficiency.assume")
    value: float
    label: tuple[str, ...] = ()
    integer: bool = False

    array: np.ndarray | None = None  # all labels' current values (for per-label assumptions)
    labels: list[tuple[str, ...]] = field(default_factory=list)

    def case(self, raw_field: Any, new: float) -> dict[str, Any]:
        if self.array is not None and self.label:
            vals = {lab: float(v) for lab, v in zip(self.labels, self.array.flat, strict=True)}
            vals[self.label] = new
            return {self.path: _nested(vals)}
        return {self.path: _set_label(raw_field, self.label, new)}


@dataclass
class TornadoRow:
    name: str
    path: str
    base_value: float
    low_value: float
    high_value: float
    base: float | None  # the metric at the base
    low: float | None  # the metric with the value moved down (None: unreachable or error)
    high: float | None
    low_note: str = ""
    high_note: str = ""
    swing: float = 0.0


@dataclass
class FrontierPoint:
    multiple: float | None  # target ÷ last year (None when last year is ≤ 0)
    target: float
    effort: float | None
    status: str
    events: str = ""
    uplifts: dict[str, float] = field(default_factory=dict)


@dataclass
class ShadowPrice:
    what: str
    step: float
    current: float
    delta: float | None  # change in the metric per step
    metric: str  # effort | max_reachable
    sentence: str = ""


class Sensitivity:
    """One scenario, compiled and solved once; each analysis re-solves variants of it."""

    def __init__(self, sc: Scenario, raw: dict[str, Any], resolver: Resolver | None = None) -> None:
        self.sc, self.raw = sc, raw
        self.res = resolver or Resolver(sc)
        self.base = self.res.base
        self.metric = "effort" if self.base.ok else "max_reachable"

    def value(self, out: Outcome) -> float | None:
        """Min effort (None: out of reach); with an unreachable base, the max reachable (None: now reachable)."""
        if self.metric == "effort":
            return out.effort if out.ok else None
        return None if out.ok else out.max_reachable

    def variant(self, case: dict[str, Any]) -> Outcome:
        sc = apply_case(self.raw, case, scenario=self.sc.scenario_name if self.sc.scenario_name != "base" else None,
                        source=self.sc.source)
        return self.res.outcome(sc, reuse=all(p.startswith(("budget.", "target.")) for p in case))

    # -- the values that can move ------------------------------------------------------------------
    def assumptions(self) -> list[Move]:
        """Each label of each fixed or uncontrollable input: this year's value (``assume``; last year's
        baseline stays, so a target stated as a multiple of the baseline does not move with it)."""
        out = []
        for name, inp in self.res.model.inputs.items():
            if inp.kind == "lever":
                continue
            fld = "assume"
            for flat, lab in enumerate(self.res.model.labels(inp.dims)):
                v = float(inp.value.flat[flat])
                out.append(Move(f"{_disp(name, lab)}.{fld}", f"inputs.{name}.{fld}", v, lab,
                                array=inp.value, labels=self.res.model.labels(inp.dims)))
        return out

    def caps(self) -> list[Move]:
        """Each lever's stated max / min / max_uplift (per label) and each budget."""
        out = []
        for name, inp in self.res.model.inputs.items():
            if inp.kind != "lever" or inp.spec is None:
                continue
            for fld in CAP_FIELDS:
                val = getattr(inp.spec, fld)
                if val is None:
                    continue
                labels = self.res.model.labels(inp.dims) if isinstance(val, dict) else [()]
                for lab in labels:
                    out.append(Move(f"{_disp(name, lab)}.{fld}", f"inputs.{name}.{fld}", _get_label(val, lab), lab,
                                    integer=inp.integer and fld != "max_uplift"))
        for fld in ("cost", "effort"):
            v = getattr(self.sc.budget, fld)
            if v is not None:
                out.append(Move(f"budget.{fld}", f"budget.{fld}", float(v)))
        return out

    def raw_field(self, mv: Move) -> Any:
        node: Any = self.raw
        for k in mv.path.split("."):
            node = node.get(k) if isinstance(node, dict) else None
        return node

    # -- tornado -----------------------------------------------------------------------------------
    def tornado(self, pct: float = 0.10) -> list[TornadoRow]:
        """Every assumption and cap moved ±pct: the metric at each side, sorted by swing (largest first)."""
        rows = []
        base = self.value(self.base)
        for mv in self.assumptions() + self.caps():
            lo_v, hi_v = float(f"{mv.value * (1 - pct):.12g}"), float(f"{mv.value * (1 + pct):.12g}")
            if mv.integer:
                lo_v, hi_v = float(math.floor(lo_v)), float(math.ceil(hi_v))
            lo, lo_note = self._metric_at(mv, lo_v)
            hi, hi_note = self._metric_at(mv, hi_v)
            row = TornadoRow(mv.name, mv.path, mv.value, lo_v, hi_v, base, lo, hi, lo_note, hi_note)
            row.swing = _swing(base, lo) + _swing(base, hi)
            rows.append(row)
        return sorted(rows, key=lambda r: -r.swing)

    def _metric_at(self, mv: Move, new: float) -> tuple[float | None, str]:
        try:
            out = self.variant(mv.case(self.raw_field(mv), new))
        except PlannerError as exc:
            return None, f"error: {exc.message}"
        v = self.value(out)
        if v is None and self.metric == "effort":
            return None, f"unreachable (max {self._fmt(out.max_reachable)})"
        if v is None:
            return None, f"makes the target reachable (effort {out.effort:.4g})"
        return v, ""

    # -- shadow prices -----------------------------------------------------------------------------
    def shadow_prices(self) -> list[ShadowPrice]:
        """For each binding cap and budget: the metric's change for one stated step of it."""
        out = []
        binding = set(self.base.bound.items())
        for mv in self.caps():
            if not self._binds(mv, binding):
                continue
            step = _step(mv)
            new = mv.value + step if not mv.path.endswith(".min") else mv.value - step
            v, note = self._metric_at(mv, new)
            base = self.value(self.base)
            delta = None if v is None or base is None else _clean(v - base, base)
            sp = ShadowPrice(mv.name, step, mv.value, delta, self.metric)
            sp.sentence = self._sentence(mv, step, delta, note)
            out.append(sp)
        return out

    def _binds(self, mv: Move, binding: set[tuple[str, str]]) -> bool:
        if mv.path == "budget.cost":
            return self.base.cost is not None and self.base.cost >= mv.value * (1 - 1e-6)
        if mv.path == "budget.effort":
            return self.base.effort is not None and self.base.effort >= mv.value * (1 - 1e-6)
        name, fld = mv.path.split(".")[1], mv.path.split(".")[2]
        if mv.label or not self.res.model.inputs[name].dims:
            return (_disp(name, mv.label), fld) in binding
        return any((_disp(name, lab), fld) in binding for lab in self.res.model.labels(self.res.model.inputs[name].dims))

    def _sentence(self, mv: Move, step: float, delta: float | None, note: str) -> str:
        money = mv.path == "budget.cost" or (is_money(self.sc.unit) and mv.path.endswith(".cost"))
        amount = format_money(step, self.sc.unit) if money else f"{step:g}"
        if mv.path.endswith(".min"):  # a floor on a cut: the step lowers it
            head = f"{mv.name} one lower" if mv.integer and step == 1 else f"{mv.name} lowered by each {amount}"
        else:
            head = f"one more {mv.name}" if mv.integer and step == 1 else f"each extra {amount} of {mv.name}"
        if delta is None:
            return f"{head}: {note or 'no verified plan'}"
        if self.metric == "effort":
            return f"{head} saves {-delta:.4g} effort" if delta <= 0 else f"{head} costs {delta:.4g} more effort"
        return f"{head} raises the reachable target by {self._fmt(delta)}"

    def _fmt(self, v: float | None) -> str:
        """An amount of the target (reachable target, its change): in the target's unit, not money's."""
        return format_money(v, target_unit(self.sc.target.unit, self.sc.unit))

    # -- frontier ----------------------------------------------------------------------------------
    def frontier(self, upto: float = 15.0, points: int = 15) -> list[FrontierPoint]:
        """Minimum effort as the target goes from 1× to ``upto``× the baseline (stopping at the max reachable)."""
        baseline = self.base_target()
        reach = self.max_reachable()
        if baseline > 0:
            top = upto * baseline if reach is None else min(upto * baseline, reach * (1 - 1e-6))
            targets = [float(t) for t in np.linspace(baseline, top, points)]
        elif reach is not None and reach > baseline:
            # A baseline at or below zero (a loss) has no multiples: step evenly up to the max reachable.
            targets = [float(t) for t in np.linspace(baseline, baseline + (reach - baseline) * (1 - 1e-6), points)]
        else:
            return []
        out: list[FrontierPoint] = []
        start: np.ndarray = np.zeros(len(self.res.sig.levers))
        entered: set[str] = set()
        capped: set[str] = set()
        for t in targets:
            got = self.res.with_required(t, start=start)
            m = t / baseline if baseline > 0 else None
            pt = FrontierPoint(None if m is None else float(m), float(t), got.effort if got.ok else None, str(got.status))
            if got.ok and got.x is not None:
                start = got.x
                pt.uplifts = dict(got.uplifts)
                new_in = [k for k, u in got.uplifts.items() if abs(u - 1) > 1e-6 and k not in entered]
                new_cap = [f"{k} ({b})" for k, b in got.bound.items() if k not in capped]
                entered.update(new_in)
                capped.update(got.bound)
                pt.events = "; ".join(x for x in (("enters: " + ", ".join(new_in)) if new_in else "",
                                                  ("at cap: " + ", ".join(new_cap)) if new_cap else "") if x)
            out.append(pt)
        return out

    def base_target(self) -> float:
        from planner.optimise.verify import baseline_results

        return float(baseline_results(self.res.model)[self.sc.target.node])

    def max_reachable(self) -> float | None:
        from planner.compile.approx import Objective, Spec
        from planner.optimise.search import search
        from planner.optimise.verify import Violation, check

        found = search(self.res.sig, Spec(Objective("target")), self.res.sopts)
        if found.x is None:
            return None
        try:
            return check(self.res.model, self.res.sig, found.x, None).achieved
        except Violation:
            return None


def _swing(base: float | None, v: float | None) -> float:
    if base is None:
        return 0.0
    if v is None:
        return math.inf
    return abs(_clean(v - base, base)) if math.isfinite(v) and math.isfinite(base) else 0.0


def _clean(delta: float, base: float) -> float:
    """Differences at the solver's tolerance are no difference (1e-15 effort is noise, not a price)."""
    return 0.0 if abs(delta) < 1e-7 * max(1.0, abs(base)) else delta


def _step(mv: Move) -> float:
    """One seat for an integer cap; 0.1× for max_uplift; else about 1% of the value, rounded to 1-2-5."""
    if mv.integer:
        return 1.0
    if mv.path.endswith(".max_uplift"):
        return 0.1
    raw = abs(mv.value) * 0.01 or 1.0
    exp = 10 ** math.floor(math.log10(raw))
    return min((m * exp for m in (1, 2, 5, 10)), key=lambda s: abs(s - raw))


def _disp(name: str, lab: tuple[str, ...]) -> str:
    return f"{name}[{', '.join(lab)}]" if lab else name


def _get_label(val: Any, lab: tuple[str, ...]) -> float:
    for k in lab:
        val = val[k] if isinstance(val, dict) else val
    return float(val)


def _set_label(raw: Any, lab: tuple[str, ...], new: float) -> Any:
    """The per-label field with one label's value replaced (a single number is replaced whole)."""
    if not lab or not isinstance(raw, dict):
        return new
    out = dict(raw)
    out[lab[0]] = _set_label(raw.get(lab[0]), lab[1:], new)
    return out


def _nested(vals: dict[tuple[str, ...], float]) -> Any:
    """{(a, x): 1, (a, y): 2} → {a: {x: 1, y: 2}} (the scenario's per-label form)."""
    out: dict[str, Any] = {}
    for lab, v in vals.items():
        node = out
        for k in lab[:-1]:
            node = node.setdefault(k, {})
        node[lab[-1]] = v
    return out
