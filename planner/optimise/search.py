"""Search for a plan on a SigProgram: a global MILP, then the convex-concave polish, then integers.

All approximations are conservative (see ``compile.approx``), so every x returned here is feasible
for the true formulas up to the LP tolerance; ``verify`` checks it again on the tree itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from planner.backends.base import Backend, SolveStatus
from planner.compile.approx import TIE_BREAK, Objective, Resolution, Spec, build, lever_bounds
from planner.compile.signomial import SigProgram


@dataclass
class SearchOptions:
    backend: Backend
    time_limit: float | None = None  # for the global MILP (the rest is fast)
    resolution: Resolution = field(default_factory=Resolution)
    max_iterations: int = 200
    tolerance: float = 1e-10


@dataclass
class Found:
    x: np.ndarray | None
    status: SolveStatus
    gap: float | None = None
    bound: float | None = None
    seconds: float = 0.0
    iterations: int = 0

    @property
    def ok(self) -> bool:
        return self.x is not None


def effort_of(sig: SigProgram, x: np.ndarray) -> np.ndarray:
    """Each lever's effort at log-uplifts x (exact: convex piecewise-linear in ln u)."""
    out = np.zeros(len(sig.levers))
    for lv in sig.levers:
        g = max(lv.sign * x[lv.index], 0.0)
        start, e = 0.0, 0.0
        for upto, w in lv.steps:
            e += w * max(min(g, upto) - start, 0.0)
            start = upto
            if g <= upto:
                break
        out[lv.index] = e
    return out


def objective_value(sig: SigProgram, spec: Spec, x: np.ndarray) -> float:
    """The true value (lower is better) of what ``spec.objective`` optimises."""
    obj = spec.objective
    if obj.kind == "effort":
        return float(effort_of(sig, x).sum())
    if obj.kind == "max_effort":
        e = effort_of(sig, x)
        return float(e.max(initial=0.0) + 1e-4 * e.sum())
    tie = TIE_BREAK * float(effort_of(sig, x).sum())
    if obj.kind == "target":
        return -sig.target.value(x) / max(abs(sig.target.value(np.zeros_like(x))), 1e-300) + tie
    if obj.kind == "levers":
        return max(obj.sign * x[j] for j in obj.levers) + tie
    if obj.kind == "cost":
        return (sig.cost.value(x) if sig.cost is not None else 0.0) / max(sig.cost_cap or 1.0, 1.0) + tie
    raise ValueError(obj.kind)


def global_search(sig: SigProgram, spec: Spec, opts: SearchOptions, *, mode: str = "global") -> Found:
    """Solve the MILP approximation (``global``: conservative plan; ``bound``: optimistic relaxation)."""
    t0 = time.perf_counter()
    prog, lay = build(sig, spec, mode, resolution=opts.resolution)
    sol = opts.backend.solve(prog, time_limit=opts.time_limit, mip_gap=opts.resolution.mip_gap)
    x = sol.x[lay.x] if sol.has_x else None
    bound = sol.bound
    if bound is not None and lay.obj_col is not None and spec.objective.kind == "target":
        bound = -bound * lay.obj_scale
    return Found(x, sol.status, sol.gap, bound, time.perf_counter() - t0)


def polish(sig: SigProgram, spec: Spec, x0: np.ndarray, opts: SearchOptions) -> Found:
    """Convex-concave procedure: re-linearise at the current plan until the objective stops improving."""
    t0 = time.perf_counter()
    lo, hi = lever_bounds(sig, spec)
    x = np.clip(x0, lo, hi)
    f = objective_value(sig, spec, x)
    it = 0
    status = SolveStatus.OPTIMAL
    for it in range(1, opts.max_iterations + 1):
        prog, lay = build(sig, spec, "local", point=x)
        sol = opts.backend.solve(prog)
        if not sol.has_x:
            status = sol.status if it == 1 else SolveStatus.OPTIMAL
            break
        xn = np.clip(sol.x[lay.x], lo, hi)
        fn = objective_value(sig, spec, xn)
        if it == 1:  # the start may be infeasible (a rounded integer); the LP's answer never is
            x, f = xn, fn
            continue
        if fn > f - opts.tolerance * max(1.0, abs(f)):
            if fn <= f:
                x, f = xn, fn
            break
        x, f = xn, fn
    return Found(x if status == SolveStatus.OPTIMAL else None, status, seconds=time.perf_counter() - t0,
                 iterations=it)


def search(sig: SigProgram, spec: Spec, opts: SearchOptions, start: np.ndarray | None = None) -> Found:
    """Global MILP (unless a start is given), then polish, then integer levers rounded.

    Rows keep ``spec.margin`` to spare; only if that alone makes the problem infeasible (a target
    exactly at the maximum reachable, which counts as reachable) is it dropped.
    """
    found = _search(sig, spec, opts, start)
    if not found.ok and spec.margin > 0:
        found = _search(sig, replace(spec, margin=0.0), opts, start)
    return found


def _search(sig: SigProgram, spec: Spec, opts: SearchOptions, start: np.ndarray | None) -> Found:
    g = Found(start, SolveStatus.OPTIMAL) if start is not None else global_search(sig, spec, opts)
    if not g.ok:
        return g
    p = polish(sig, spec, g.x, opts)
    x = p.x if p.ok else g.x
    x = round_integers(sig, spec, x, opts)
    if x is None:
        return Found(None, SolveStatus.INFEASIBLE, seconds=g.seconds + p.seconds)
    status = SolveStatus.FEASIBLE if g.status == SolveStatus.FEASIBLE else SolveStatus.OPTIMAL
    return Found(x, status, g.gap, g.bound, g.seconds + p.seconds, p.iterations)


def round_integers(sig: SigProgram, spec: Spec, x: np.ndarray, opts: SearchOptions) -> np.ndarray | None:
    """Fix each integer lever to the better of floor and ceil of its planned value, re-polishing the rest."""
    for lv in sig.levers:
        if not lv.integer:
            continue
        planned = lv.baseline * math.exp(x[lv.index])
        if abs(planned - round(planned)) < 1e-7 * max(1.0, planned):
            xv = math.log(round(planned) / lv.baseline)
            x = x.copy()
            x[lv.index] = xv
            spec = replace(spec, bounds={**spec.bounds, lv.index: (xv, xv)})
            continue
        best: tuple[float, np.ndarray] | None = None
        for value in sorted({math.floor(planned + 1e-9), math.ceil(planned - 1e-9)}):
            xv = math.log(value / lv.baseline) if value > 0 else -math.inf
            if not (lv.xlo - 1e-12 <= xv <= lv.xhi + 1e-12):
                continue
            fixed = replace(spec, bounds={**spec.bounds, lv.index: (xv, xv)})
            start = x.copy()
            start[lv.index] = xv
            found = polish(sig, fixed, start, opts)
            if not found.ok:
                found = global_search(sig, fixed, opts)
                found = polish(sig, fixed, found.x, opts) if found.ok else found
            if found.ok:
                f = objective_value(sig, fixed, found.x)
                if best is None or f < best[0]:
                    best = (f, found.x)
                    spec_best = fixed
        if best is None:
            return None
        x, spec = best[1], spec_best
    return x


def with_objective(spec: Spec, objective: Objective, **changes: object) -> Spec:
    return replace(spec, objective=objective, **changes)
