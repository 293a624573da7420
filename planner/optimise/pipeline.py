"""``solve``: scenario → verified Plan (or a precise statement of why the target is out of reach)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from planner.backends import get_backend
from planner.backends.base import SolveStatus
from planner.compile.approx import Objective, Resolution, Spec
from planner.compile.signomial import SigProgram, compile_signomial
from planner.errors import InputError, SolverError
from planner.optimise.needs import compute_needs, needs_sentence
from planner.optimise.search import Found, SearchOptions, effort_of, global_search, ladder_search, search
from planner.optimise.verify import (
    Checked,
    Violation,
    baseline_results,
    check,
    input_results,
    node_results,
    tree_entries,
)
from planner.result import Plan, SolverInfo, Status, TargetResult, target_unit
from planner.scenario import Scenario, load_scenario
from planner.tree.graph import Model, build_model

REACH_TOL = 1e-6  # a target this close to the maximum reachable (relative to the row) counts as reachable


@dataclass
class SolveOptions:
    solver: str = "highs"
    time_limit: float | None = None
    ladder: float | None = None
    resolution: Resolution | None = None
    certify: bool = False  # also solve the optimistic MILP for a lower bound on effort
    needs: bool = True


def solve_file(path: str | Path, scenario: str | None = None, options: SolveOptions | None = None) -> Plan:
    return solve(load_scenario(path, scenario), options)


def solve(sc: Scenario, options: SolveOptions | None = None) -> Plan:
    """Back-solve the least-effort plan (or the objective the scenario names) and verify it."""
    opts = options or SolveOptions()
    if opts.ladder is not None and not (0 < opts.ladder < 1):
        raise InputError(f"ladder step must be between 0 and 1 (got {opts.ladder})", where="--ladder",
                         hint="e.g. --ladder 0.05 for 5% steps")
    t0 = time.perf_counter()
    model = build_model(sc)
    try:
        sig = compile_signomial(model)
    except InputError as exc:
        raise (exc.with_file(sc.source) if sc.source else exc) from None
    backend = get_backend(opts.solver)
    sopts = SearchOptions(backend, opts.time_limit, opts.resolution or Resolution())
    commitment, required = required_target(model)
    run = _Run(model, sig, sopts, opts, required)
    plan = run.go()
    plan.target.commitment = commitment
    plan.target.margin = sc.target.margin
    if plan.solver is not None:
        plan.solver.seconds = time.perf_counter() - t0
    return plan


def required_target(model: Model) -> tuple[float | None, float | None]:
    """(commitment, required): the target as stated, and with ``target.margin`` on top."""
    t = model.scenario.target
    if model.scenario.objective == "max_target":
        return None, None
    if t.at_least is not None:
        base = t.at_least
    else:
        base = float(baseline_results(model)[t.node]) * float(t.multiple or 1.0)
    return base, base * (1.0 + t.margin)


class _Run:
    def __init__(self, model: Model, sig: SigProgram, sopts: SearchOptions, opts: SolveOptions,
                 required: float | None) -> None:
        self.model, self.sig, self.sopts, self.opts, self.required = model, sig, sopts, opts, required
        self.objective = model.scenario.objective

    def find(self, spec: Spec, start: np.ndarray | None = None) -> Found:
        """The continuous search (MILP → polish → integers), or the exact ladder MILP with --ladder."""
        if self.opts.ladder is not None:
            return ladder_search(self.sig, spec, self.sopts, float(self.opts.ladder))
        return search(self.sig, spec, self.sopts, start=start)

    def go(self) -> Plan:
        if self.objective == "max_target":
            found = self._max_target()
            if not found.ok:
                return self._error(f"no plan satisfies the constraints and budgets ({found.status})")
            return self._finish(found, Spec(Objective("target")))
        spec = Spec(Objective("max_effort" if self.objective == "min_max_effort" else "effort"),
                    required=self.required)
        found = self.find(spec)
        if not found.ok:
            return self._unreached_or_retry(spec, found)
        if self.objective == "min_max_effort":
            found, spec = self._balanced_stage_two(found, spec)
        return self._finish(found, spec)

    def _balanced_stage_two(self, found: Found, spec: Spec) -> tuple[Found, Spec]:
        """Among plans whose largest lever effort is minimal, the least total effort."""
        zmax = float(effort_of(self.sig, found.x).max(initial=0.0))
        spec2 = replace(spec, objective=Objective("effort", max_effort_cap=zmax * (1 + 1e-7) + 1e-9))
        second = self.find(spec2, start=found.x)
        return (second, spec2) if second.ok else (found, spec)

    def _max_target(self) -> Found:
        return self.find(Spec(Objective("target")))

    def _unreached_or_retry(self, spec: Spec, found: Found) -> Plan:
        best = self._max_target()
        if not best.ok:
            if found.status == SolveStatus.NO_SOLUTION or best.status == SolveStatus.NO_SOLUTION:
                return self._error("the solver stopped without any plan (time limit too short?)")
            return self._error("no plan satisfies the constraints and budgets even without the target")
        reach = self.sig.target.value(best.x)
        assert self.required is not None
        if reach >= self.required - REACH_TOL * (self.sig.target.magnitude(best.x) + abs(self.required)):
            # Within the verification tolerance of the maximum: reachable. Start from the max plan
            # (the MILP was too coarse this close to the limit); the max plan itself also qualifies.
            again = self.find(spec, start=best.x)
            return self._finish(again if again.ok else best, spec)
        return self._unreachable(best)

    def _unreachable(self, best: Found) -> Plan:
        chk = self._checked(best, Spec(Objective("target")), required=None)
        reach = chk.achieved if chk is not None else None
        plan = self._plan(Status.INFEASIBLE, chk, best, "max_target_for_needs")
        plan.objective = self.objective
        plan.max_reachable = reach
        plan.target.required = self.required
        plan.target.achieved = None
        if self.opts.needs and chk is not None:
            plan.needs = compute_needs(self.model, self.sig, self.sopts, best.x, self.required, chk)
        plan.message = needs_sentence(self.model, self.required, reach, plan.needs)
        return plan

    def _finish(self, found: Found, spec: Spec) -> Plan:
        chk = self._checked(found, spec, self.required)
        if chk is None:
            return self._error("the plan failed verification on the true formulas after refinement")
        status = Status.FEASIBLE if found.status == SolveStatus.FEASIBLE else Status.OPTIMAL
        plan = self._plan(status, chk, found, self.objective)
        if self.objective == "max_target":
            plan.max_reachable = chk.achieved
        return plan

    def _checked(self, found: Found, spec: Spec, required: float | None) -> Checked | None:
        """Verify; on a violation tighten the plan (re-solve from it with a stricter target), twice."""
        x = found.x
        for attempt in range(3):
            try:
                return check(self.model, self.sig, x, required)
            except Violation as v:
                if attempt == 2 or required is None:
                    return None
                tighter = replace(spec, required=required * (1 + max(v.excess, 1e-9) * 10))
                again = self.find(tighter, start=x)
                if not again.ok:
                    return None
                x = again.x
        return None

    def _plan(self, status: Status, chk: Checked | None, found: Found, objective: str) -> Plan:
        sc = self.model.scenario
        tnode = sc.target.node
        base = float((chk.baseline if chk is not None else baseline_results(self.model))[tnode])
        plan = Plan(
            scenario=sc.scenario_name, status=status, objective=objective,
            effort=float(chk.effort.sum()) if chk else None, cost=float(chk.cost) if chk else None,
            target=TargetResult(tnode, base, self.required, chk.achieved if chk else None,
                                unit=target_unit(sc.target.unit, sc.unit)),
            solver=SolverInfo(self.sopts.backend.name, found.seconds, found.gap, found.iterations, found.bound),
            name=sc.name, unit=sc.unit, source=sc.source, dimensions=dict(self.model.dims),
            tree=tree_entries(self.model), budget={"cost": sc.budget.cost, "effort": sc.budget.effort},
        )
        if chk is not None:
            plan.inputs = input_results(self.model, self.sig, chk)
            plan.nodes = node_results(self.model, chk)
            plan.constraints = chk.constraints
        if self.opts.certify and chk is not None and objective == "min_effort":
            bound = global_search(self.sig, Spec(Objective("effort"), required=self.required), self.sopts,
                                  mode="bound")
            if bound.bound is not None:
                plan.solver.bound = float(bound.bound)
        return plan

    def _error(self, message: str) -> Plan:
        raise SolverError(message, hint="try --solver cbc, a longer --time-limit, or run with --debug")
