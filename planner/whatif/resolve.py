"""Re-solving one scenario many times: compile once, warm-start from a verified plan, verify every answer.

A full ``solve`` spends almost all its time in the global MILP (seconds on the telesales scenario);
a local re-solve started from the base plan costs milliseconds. ``Resolver`` solves the base once
with the full pipeline, then answers each what-if by

1. reusing the compiled program when only budgets or the target change (else rebuilding it: ms);
2. polishing from the base plan and from the uniform start (every lever up by the same share of
   its cap), keeping the better verified plan (the convex-concave procedure of ``optimise.search``);
3. if that start cannot reach the target: the global max-target MILP decides whether the target
   is reachable at all (exactly as ``solve`` does), and the min-effort polish restarts from there.

Every reported number comes from ``verify.check`` on the true formulas. A warm answer is a verified
local optimum, not a proven global one: its status is ``feasible`` and ``method`` says ``warm``;
``method="exact"`` runs the full ``solve`` pipeline instead (status ``optimal``, slower).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from planner.backends import get_backend
from planner.compile.approx import Objective, Resolution, Spec
from planner.compile.signomial import SigProgram, compile_signomial
from planner.errors import SolverError
from planner.optimise import SolveOptions, solve
from planner.optimise.pipeline import REACH_TOL, required_target
from planner.optimise.search import (
    SearchOptions,
    objective_value,
    polish,
    round_integers,
    search,
    uniform_start,
)
from planner.optimise.verify import Checked, Violation, check
from planner.result import Plan, Status
from planner.scenario import Scenario
from planner.tree.graph import Model, build_model

METHODS = ("warm", "exact")


@dataclass
class Outcome:
    """One verified answer (or a verified statement that the target is out of reach)."""

    status: str
    effort: float | None = None
    cost: float | None = None
    required: float | None = None
    achieved: float | None = None
    max_reachable: float | None = None
    uplifts: dict[str, float] = field(default_factory=dict)  # lever display name → planned ÷ baseline
    planned: dict[str, float] = field(default_factory=dict)
    lever_effort: dict[str, float] = field(default_factory=dict)
    bound: dict[str, str] = field(default_factory=dict)  # lever → the field it is stopped by
    method: str = "warm"
    seconds: float = 0.0
    x: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


class Resolver:
    """A scenario compiled once; ``outcome(sc)`` answers a variant of it (same inputs and dimensions)."""

    def __init__(self, sc: Scenario, options: SolveOptions | None = None, *, method: str = "warm",
                 x0: np.ndarray | list[float] | None = None, multistart: bool = True) -> None:
        if method not in METHODS:
            raise ValueError(method)
        self.opts = options or SolveOptions(needs=False)
        self.method = method
        self.multistart = multistart  # also polish from the uniform start and keep the better plan
        self.sc = sc
        self.model = build_model(sc)
        self.sig = compile_signomial(self.model)
        self.sopts = SearchOptions(get_backend(self.opts.solver), self.opts.time_limit,
                                   self.opts.resolution or Resolution())
        self._base: Outcome | None = None
        self.x0 = np.asarray(x0, dtype=float) if x0 is not None else None

    @property
    def base(self) -> Outcome:
        """The base scenario by the full pipeline (solved once, on first use)."""
        if self._base is None:
            self._base = self._exact(self.sc)
            if self.x0 is None:
                self.x0 = self._base.x
        return self._base

    # -- public ------------------------------------------------------------------------------------
    def outcome(self, sc: Scenario, *, reuse: bool = False, start: np.ndarray | None = None) -> Outcome:
        """Solve the variant ``sc``. ``reuse``: only budgets/target differ from the base (no rebuild)."""
        t0 = time.perf_counter()
        if self.method == "exact":
            out = self._exact(sc)
        else:
            model, sig = self.prepared(sc, reuse=reuse)
            if start is None and self.x0 is None:
                self.base  # noqa: B018 - solves the base once; its plan is the warm start
            out = self._warm(model, sig, start if start is not None else self.x0)
        out.seconds = time.perf_counter() - t0
        return out

    def prepared(self, sc: Scenario, *, reuse: bool) -> tuple[Model, SigProgram]:
        """The model and program for ``sc``: the base's with new budgets (reuse) or rebuilt."""
        if reuse:
            model = replace(self.model, scenario=sc)
            return model, replace(self.sig, effort_cap=sc.budget.effort, cost_cap=sc.budget.cost)
        model = build_model(sc)
        return model, compile_signomial(model)

    def with_required(self, required: float, start: np.ndarray | None = None) -> Outcome:
        """The base scenario with the target set to ``required`` (the frontier's question)."""
        t0 = time.perf_counter()
        if start is None and self.x0 is None:
            self.base  # noqa: B018
        out = self._warm(self.model, self.sig, start if start is not None else self.x0, required=required)
        out.seconds = time.perf_counter() - t0
        return out

    # -- the two methods ---------------------------------------------------------------------------
    def _exact(self, sc: Scenario) -> Outcome:
        plan = solve(sc, replace(self.opts, needs=False))
        return _from_plan(plan, self.sig if sc is self.sc else None)

    def _warm(self, model: Model, sig: SigProgram, x0: np.ndarray | None, *,
              required: float | None = None) -> Outcome:
        if model.scenario.objective != "min_effort":
            return self._exact(model.scenario)  # the warm path minimises total effort only
        if required is None:
            required = required_target(model)[1]
        assert required is not None  # min_effort always has a target
        spec = Spec(Objective("effort"), required=required)
        lo = np.array([lv.xlo for lv in sig.levers])
        hi = np.array([lv.xhi for lv in sig.levers])
        base = np.clip(x0, lo, hi) if x0 is not None and len(x0) == len(sig.levers) else None
        starts = [base] if base is not None else []
        if self.multistart or base is None:
            # "Every lever up by the same share": a second start that often finds a better basin.
            starts.append(uniform_start(sig, spec))
        got = self._try_starts(model, sig, spec, starts)
        if got is None and base is not None:
            got = self._via_max_target(model, sig, spec, base)
        if got is not None:
            return self._outcome(model, sig, got, Status.FEASIBLE, required)
        return self._reachable_or_not(model, sig, spec, required)

    def _via_max_target(self, model: Model, sig: SigProgram, spec: Spec, start: np.ndarray
                        ) -> tuple[np.ndarray, Checked] | None:
        """Push the target up locally from ``start``; if that reaches the requirement, minimise effort from there."""
        up = search(sig, Spec(Objective("target")), self.sopts, start=start)
        if up.x is None or spec.required is None:
            return None
        chk = _check(model, sig, up.x, None)
        if chk is None or chk.achieved < spec.required:
            return None
        return self._try(model, sig, spec, up.x)

    def _reachable_or_not(self, model: Model, sig: SigProgram, spec: Spec, required: float) -> Outcome:
        """No warm start reached the target: the global max-target MILP decides, exactly as ``solve`` does."""
        best = search(sig, Spec(Objective("target")), self.sopts)
        if best.x is None:
            raise SolverError("no plan satisfies the constraints and budgets even without the target",
                              hint="check the overridden bounds and budgets")
        reach_chk = _check(model, sig, best.x, None)
        reach = reach_chk.achieved if reach_chk is not None else sig.target.value(best.x)
        if reach >= required * (1 - REACH_TOL) - 1e-12 * abs(required):
            got = self._try(model, sig, spec, best.x)
            if got is not None:
                return self._outcome(model, sig, got, Status.FEASIBLE, required)
            return self._exact(model.scenario)  # too close to the limit for the warm path
        out = (self._outcome(model, sig, (best.x, reach_chk), Status.INFEASIBLE, required) if reach_chk
               else Outcome(Status.INFEASIBLE, required=required))
        out.max_reachable, out.achieved = reach, None
        return out

    def _try_starts(self, model: Model, sig: SigProgram, spec: Spec, starts: list[np.ndarray]
                    ) -> tuple[np.ndarray, Checked] | None:
        """Polish from each start, round the integer levers of the best one only (the costly part), verify."""
        best: tuple[float, np.ndarray] | None = None
        for st in starts:
            p = polish(sig, spec, st, self.sopts)
            if p.x is None:
                continue
            f = objective_value(sig, spec, p.x)
            if best is None or f < best[0]:
                best = (f, p.x)
        if best is None:
            return None
        x = round_integers(sig, spec, best[1], self.sopts)
        if x is None:
            return None
        chk = _check(model, sig, x, spec.required)
        return (x, chk) if chk is not None else None

    def _try(self, model: Model, sig: SigProgram, spec: Spec, start: np.ndarray
             ) -> tuple[np.ndarray, Checked] | None:
        found = search(sig, spec, self.sopts, start=start)
        if found.x is None:
            return None
        chk = _check(model, sig, found.x, spec.required)
        return (found.x, chk) if chk is not None else None

    def _outcome(self, model: Model, sig: SigProgram, got: tuple[np.ndarray, Checked], status: str,
                 required: float | None) -> Outcome:
        x, chk = got
        out = Outcome(status, float(chk.effort.sum()), float(chk.cost), required, chk.achieved, x=x)
        for lv in sig.levers:
            planned = lv.baseline * math.exp(x[lv.index])
            if lv.integer:
                planned = float(round(planned))
            out.planned[lv.display] = planned
            out.uplifts[lv.display] = planned / lv.baseline
            out.lever_effort[lv.display] = float(chk.effort[lv.index])
            up = lv.sign > 0
            at = x[lv.index] >= lv.xhi - 1e-7 if up else x[lv.index] <= lv.xlo + 1e-7
            if at:
                out.bound[lv.display] = (lv.hi_src if up else lv.lo_src).rsplit(".", 1)[-1]
        return out


def _check(model: Model, sig: SigProgram, x: np.ndarray, required: float | None) -> Checked | None:
    try:
        return check(model, sig, x, required)
    except Violation:
        return None


def _from_plan(plan: Plan, sig: SigProgram | None) -> Outcome:
    """An Outcome from a full solve (``x`` recovered when the program is known)."""
    out = Outcome(str(plan.status), plan.effort, plan.cost, plan.target.required, plan.target.achieved,
                  plan.max_reachable, method="exact")
    for i in plan.levers:
        name = f"{i.name}[{i.label}]" if i.label else i.name
        out.planned[name] = i.planned
        out.uplifts[name] = i.uplift if i.uplift is not None else math.nan
        out.lever_effort[name] = i.effort
        if i.bound:
            out.bound[name] = i.bound
    if sig is not None and plan.ok:
        out.x = np.array([math.log(out.planned[lv.display] / lv.baseline) for lv in sig.levers])
    return out
