"""Search for a plan on a SigProgram: a global MILP, then the convex-concave polish, then integers.

All approximations are conservative (see ``compile.approx``), so every x returned here is feasible
for the true formulas up to the LP tolerance; ``verify`` checks it again on the tree itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from planner.backends.base import Backend, SolveStatus
from planner.compile.approx import TIE_BREAK, Objective, Resolution, Spec, build, lever_bounds
from planner.compile.ladder import build_ladder, ladder_levels
from planner.compile.signomial import Lever, SigProgram, effort_of

CUTOFF_SLACK = 0.02  # the MILP's approximation may overstate a basin's effort by about this much


@dataclass
class SearchOptions:
    backend: Backend
    time_limit: float | None = None  # for the global MILP (the rest is fast)
    resolution: Resolution = field(default_factory=Resolution)
    max_iterations: int = 200
    tolerance: float = 1e-8  # relative improvement below which the polish stops


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
        offsets = obj.offsets or (0.0,) * len(obj.levers)
        return max(obj.sign * (x[j] + off) for j, off in zip(obj.levers, offsets, strict=True)) + tie
    if obj.kind == "cost":
        return (sig.cost.value(x) if sig.cost is not None else 0.0) / max(sig.cost_cap or 1.0, 1.0) + tie
    raise ValueError(obj.kind)


def global_search(sig: SigProgram, spec: Spec, opts: SearchOptions, *, mode: str = "global",
                  cutoff: float | None = None) -> Found:
    """Solve the MILP approximation (``global``: conservative plan; ``bound``: optimistic relaxation).

    Without a user time limit the MILP gets a budget that grows with its binaries: measured here,
    the polish from cheap starts reaches the MILP's plan on every benchmark tree, so the MILP is a
    safety net for small trees, not worth minutes on large ones.
    """
    t0 = time.perf_counter()
    prog, lay = build(sig, spec, mode, resolution=opts.resolution)
    limit = opts.time_limit if opts.time_limit is not None else auto_budget(prog.n_integer)
    use_cutoff = cutoff is not None and opts.backend.capabilities.cutoff
    sol = opts.backend.solve(prog, time_limit=limit, mip_gap=opts.resolution.mip_gap,
                             cutoff=cutoff if use_cutoff else None)
    if use_cutoff and sol.status == SolveStatus.INFEASIBLE:
        # Nothing beats the cutoff: the plan that set it stands, and the search is complete.
        return Found(None, SolveStatus.OPTIMAL, seconds=time.perf_counter() - t0)
    x = sol.x[lay.x] if sol.has_x else None
    bound = sol.bound
    if bound is not None and lay.obj_col is not None and spec.objective.kind == "target":
        bound = -bound * lay.obj_scale
    return Found(x, sol.status, sol.gap, bound, time.perf_counter() - t0)


def auto_budget(n_binaries: int) -> float:
    """Seconds for the global MILP when the user set no --time-limit.

    Small MILPs (every shipped scenario) run to the end: there the MILP basin beats the cheap
    starts (telesales 甲方加量: 8.3199 vs 8.3450 from the uniform start) and the status is
    reproducible. Large ones rarely finish and the polish does the work: a short look only.
    """
    return 60.0 if n_binaries <= 150 else 1.0


def uniform_start(sig: SigProgram, spec: Spec) -> np.ndarray:
    """Every lever at the same fraction of its log-cap, the smallest fraction that meets the target.

    The start that a careful spreadsheet user would try ("everything up by the same share"); it
    avoids SLSQP's trap of stopping at the baseline when a linearised target cannot reach K×.
    """
    lo, hi = lever_bounds(sig, spec)
    cap = np.array([hi[lv.index] if lv.sign > 0 else lo[lv.index] for lv in sig.levers])
    if spec.required is None or sig.target.value(cap) < spec.required:
        return cap
    a, b = 0.0, 1.0
    for _ in range(60):
        t = (a + b) / 2
        a, b = (a, t) if sig.target.value(t * cap) >= spec.required else (t, b)
    return b * cap


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
    """Polish from every candidate start, keep the best; then round integer levers."""
    t0 = time.perf_counter()
    if start is not None:
        g = Found(start, SolveStatus.OPTIMAL)
        best, iterations = _best_polished(sig, spec, opts, [start], trusted=start)
    else:
        # The cheap start first: its effort lets the MILP prune every basin that cannot beat it
        # (with 2% for the MILP's own approximation error). Telesales: 1.35 s → see RESULTS.md.
        cheap, iterations = _best_polished(sig, spec, opts, [uniform_start(sig, spec)], trusted=None)
        cutoff = None
        if cheap is not None and spec.objective.kind == "effort":
            cutoff = objective_value(sig, spec, cheap) * (1 + CUTOFF_SLACK) + 1e-9
        g = global_search(sig, spec, opts, cutoff=cutoff)
        starts = ([g.x] if g.ok else []) + ([cheap] if cheap is not None else [])
        best, more = _best_polished(sig, spec, opts, starts, trusted=g.x)
        iterations += more
    if best is None and start is None and spec.objective.kind != "target":
        # Last resort: the max-target plan is a feasible start whenever the target is reachable.
        top = polish(sig, replace(spec, objective=Objective("target"), required=None), np.zeros(len(sig.levers)), opts)
        if top.ok and (spec.required is None or sig.target.value(top.x) >= spec.required * (1 - 1e-12)):
            best, iterations = _best_polished(sig, spec, opts, [top.x], trusted=top.x)
    if best is None:
        status = g.status if g.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else SolveStatus.INFEASIBLE
        return Found(None, status, seconds=time.perf_counter() - t0)
    x = round_integers(sig, spec, best, opts)
    if x is None:
        return Found(None, SolveStatus.INFEASIBLE, seconds=time.perf_counter() - t0)
    status = SolveStatus.OPTIMAL if g.status == SolveStatus.OPTIMAL else SolveStatus.FEASIBLE
    return Found(x, status, g.gap, g.bound, time.perf_counter() - t0, iterations)


def _best_polished(sig: SigProgram, spec: Spec, opts: SearchOptions, starts: list[np.ndarray],
                   trusted: np.ndarray | None) -> tuple[np.ndarray | None, int]:
    """The best polished plan over the starts. A start the LP rejects is dropped, except the
    trusted one (a MILP plan, feasible by construction), which is kept as it is."""
    best, best_f, iterations = None, math.inf, 0
    for x0 in starts:
        p = polish(sig, spec, x0, opts)
        iterations += p.iterations
        x = p.x if p.ok else (x0 if x0 is trusted else None)
        if x is None:
            continue
        f = objective_value(sig, spec, x)
        if f < best_f - 1e-12 * max(1.0, abs(best_f) if math.isfinite(best_f) else 1.0):
            best, best_f = x, f
    return best, iterations


def round_integers(sig: SigProgram, spec: Spec, x: np.ndarray, opts: SearchOptions) -> np.ndarray | None:
    """Integer levers to integer values, the rest re-polished.

    All integer levers are pinned at once — to the nearest integer, to the ceiling, to the floor —
    and the best feasible result kept (three polishes whatever the number of integer levers: at
    300 products, pinning one lever at a time cost 16.6 s of a 34 s solve). When nearest rounding
    is infeasible, levers are also tried one at a time: that explores mixed choices (some up, some
    down) the rules cannot — on the P=100 benchmark tree the cost budget rules out rounding up and
    "all down" costs +0.9%. There each choice is judged by a short polish, the chosen pins by a full one.
    """
    ints = [lv for lv in sig.levers if lv.integer]
    if not ints:
        return x
    tried = [_pinned_plan(sig, spec, x, ints, rule, opts) for rule in (round, math.ceil, math.floor)]
    if tried[0] is None:
        quick = _round_one_by_one(sig, spec, x, replace(opts, max_iterations=3),
                                  fallback=all(t is None for t in tried))
        if quick is not None:
            tried.append(_pinned_plan(sig, spec, quick, ints, round, opts))
    found = [t for t in tried if t is not None]
    return min(found, key=lambda t: t[0])[1] if found else None


_NUDGE = {math.ceil: -1e-9, math.floor: 1e-9}  # 29.9999999999 is 30, not 29 (and the mirror)


def _pinned_plan(sig: SigProgram, spec: Spec, x: np.ndarray, ints: list[Lever], rule: Callable[[float], int],
                 opts: SearchOptions) -> tuple[float, np.ndarray] | None:
    """Pin every integer lever at ``rule(planned)`` and polish the rest: (objective, plan), or None."""
    lo, hi = lever_bounds(sig, spec)
    x = x.copy()
    bounds = dict(spec.bounds)
    for lv in ints:
        value = rule(lv.baseline * math.exp(x[lv.index]) + _NUDGE.get(rule, 0.0))
        xv = math.log(value / lv.baseline) if value > 0 else -math.inf
        if not (lo[lv.index] - 1e-12 <= xv <= hi[lv.index] + 1e-12):
            return None
        x[lv.index] = xv
        bounds[lv.index] = (xv, xv)
    pinned = replace(spec, bounds=bounds)
    found = polish(sig, pinned, x, opts)
    if not found.ok and spec.margin > 0:  # an integer may meet a row exactly: no room to spare
        pinned = replace(pinned, margin=0.0)
        found = polish(sig, pinned, x, opts)
    return (objective_value(sig, pinned, found.x), found.x) if found.ok else None


def _round_one_by_one(sig: SigProgram, spec: Spec, x: np.ndarray, opts: SearchOptions, *,
                      fallback: bool = True) -> np.ndarray | None:
    """Fix each integer lever to the better of floor and ceil, re-solving the rest each time
    (with a global search when a choice leaves the polish no feasible start, if ``fallback``)."""
    lo, hi = lever_bounds(sig, spec)
    for lv in sig.levers:
        if not lv.integer:
            continue
        planned = lv.baseline * math.exp(x[lv.index])
        best: tuple[float, np.ndarray, Spec] | None = None
        for value in sorted({math.floor(planned + 1e-9), math.ceil(planned - 1e-9)}):
            xv = math.log(value / lv.baseline) if value > 0 else -math.inf
            if not (lo[lv.index] - 1e-12 <= xv <= hi[lv.index] + 1e-12):
                continue
            fixed = replace(spec, bounds={**spec.bounds, lv.index: (xv, xv)})
            start = x.copy()
            start[lv.index] = xv
            found = polish(sig, fixed, start, opts)
            if not found.ok and fallback:
                found = global_search(sig, fixed, opts)
                found = polish(sig, fixed, found.x, opts) if found.ok else found
            if found.ok:
                f = objective_value(sig, fixed, found.x)
                if best is None or f < best[0]:
                    best = (f, found.x, fixed)
        if best is None:
            return None
        x, spec = best[1], best[2]
    return x


def ladder_search(sig: SigProgram, spec: Spec, opts: SearchOptions, step: float,
                  start: np.ndarray | None = None) -> Found:
    """The exact MILP on the uplift ladder (``start`` is ignored: the ladder model is global)."""
    t0 = time.perf_counter()
    levels = ladder_levels(sig, spec, step)
    prog, onehot = build_ladder(sig, spec, levels)
    sol = opts.backend.solve(prog, time_limit=opts.time_limit, mip_gap=1e-7)
    if not sol.has_x:
        return Found(None, sol.status, seconds=time.perf_counter() - t0)
    x = np.array([math.log(levels[j][int(np.argmax(sol.x[cols]))]) for j, cols in enumerate(onehot)])
    status = SolveStatus.FEASIBLE if sol.status == SolveStatus.FEASIBLE else SolveStatus.OPTIMAL
    return Found(x, status, sol.gap, sol.bound, time.perf_counter() - t0)
