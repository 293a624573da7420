"""The two anchors planner is measured against: SCIP (a certified global solver) and SLSQP (what a
spreadsheet's GRG solver does).

Both read the same ``SigProgram`` the planner compiles (target, constraint rows, cost and effort
budgets as signomials Σ coef · Π u_j ** a_j), so all three solve one problem. Each returns log-uplifts
``x`` that the benchmark then judges with ``planner.optimise.verify.check`` on the true formulas.

* ``solve_scip``: the continuous non-linear model in product form — variables u_j (uplift, integer
  seats stay integer), products of u in the rows, each lever's convex effort as segments
  s_jk ∈ [0, len_k] with ``sign · log(u_j) ≤ Σ_k s_jk`` — solved by pyscipopt with a time limit;
  returns the best plan and SCIP's dual bound. Rows are divided by their magnitude at baseline.
* ``solve_slsqp``: scipy SLSQP from the baseline start (x = 0) in log space with analytic gradients
  of every row, on the effort function itself (piecewise linear, as a spreadsheet's effort cell
  would be); integer levers are rounded up afterwards, as a planner would.

pyscipopt is a ``bench`` extra only, so it is imported inside ``solve_scip``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from planner.compile.signomial import Lever, Poly, SigProgram
from planner.optimise.search import effort_of


@dataclass
class AnchorResult:
    """What an anchor found: its plan (log-uplifts, None if none), the plan's true effort and timing."""

    name: str
    x: np.ndarray | None
    effort: float | None
    seconds: float
    status: str
    bound: float | None = None  # SCIP's dual bound on the least effort


def _rows(sig: SigProgram, required: float | None) -> list[tuple[str, Poly, float]]:
    """Every row as (name, poly, scale): poly / scale ≥ 0 must hold."""
    zero = np.zeros(len(sig.levers))
    out: list[tuple[str, Poly, float]] = []
    if required is not None:
        tgt = sig.target.plus(Poly({(): -required}))
        out.append(("target", tgt, max(abs(required), 1e-300)))
    for r in sig.constraints:
        if r.poly.aux:
            raise NotImplementedError("min/max nodes are not supported by the anchors")
        out.append((f"{r.name}{list(r.label) if r.label else ''}", r.poly, max(r.poly.magnitude(zero), 1e-300)))
    if sig.cost is not None and sig.cost_cap is not None:
        out.append(("budget.cost", Poly({(): sig.cost_cap}).plus(sig.cost, -1.0), max(sig.cost_cap, 1.0)))
    return out


def _segments(lv: Lever) -> list[tuple[float, float]]:
    """(length in ln u, weight) of each effort step, the last one cut at the lever's cap."""
    reach = lv.xhi if lv.sign > 0 else -lv.xlo
    out: list[tuple[float, float]] = []
    start = 0.0
    for upto, w in lv.steps:
        end = min(upto, reach)
        if end > start:
            out.append((end - start, w))
        start = end
        if end >= reach:
            break
    return out


# --- SCIP ----------------------------------------------------------------------------------------

def solve_scip(sig: SigProgram, required: float | None, time_limit: float = 120.0) -> AnchorResult:
    """Least effort by SCIP on the continuous non-linear model (integer levers integer)."""
    from pyscipopt import Model, log  # the `bench` extra

    t0 = time.perf_counter()
    m = Model("anchor")
    m.hideOutput()
    m.setParam("limits/time", float(time_limit))
    u, obj = [], 0
    for lv in sig.levers:
        ulo, uhi = math.exp(lv.xlo), math.exp(lv.xhi)
        uj = m.addVar(f"u{lv.index}", lb=ulo, ub=uhi)
        if lv.integer:
            n = m.addVar(f"n{lv.index}", vtype="I", lb=math.ceil(lv.baseline * ulo - 1e-9),
                         ub=math.floor(lv.baseline * uhi + 1e-9))
            m.addCons(lv.baseline * uj == n)
        segs = _segments(lv)
        if segs:
            s = [m.addVar(f"s{lv.index}_{k}", lb=0.0, ub=length) for k, (length, _) in enumerate(segs)]
            m.addCons(lv.sign * log(uj) <= sum(s))
            obj += sum(w * sk for sk, (_, w) in zip(s, segs, strict=True))
        u.append(uj)
    for name, poly, scale in _rows(sig, required):
        m.addCons(_scip_expr(poly, u, 1.0 / scale) >= 0, name=name)
    if sig.effort_cap is not None:
        m.addCons(obj <= sig.effort_cap)
    m.setObjective(obj, "minimize")
    m.optimize()
    status = m.getStatus()
    x = None
    if m.getNSols() > 0:
        sol = m.getBestSol()
        x = np.array([math.log(max(m.getSolVal(sol, uj), 1e-300)) for uj in u])
        x = np.clip(x, [lv.xlo for lv in sig.levers], [lv.xhi for lv in sig.levers])
    bound = m.getDualbound() if status != "infeasible" else None
    return AnchorResult("scip", x, float(effort_of(sig, x).sum()) if x is not None else None,
                        time.perf_counter() - t0, status, bound)


def _scip_expr(poly: Poly, u: list, scale: float):  # noqa: ANN202 - pyscipopt expressions
    expr = 0
    for key, coef in poly.terms.items():
        term = coef * scale
        for j, a in key:
            term = term * (u[j] if a == 1.0 else u[j] ** a)
        expr = expr + term
    return expr


# --- SLSQP ---------------------------------------------------------------------------------------

class _Compiled:
    """A Poly as c · exp(A x) with a sparse exponent matrix, for fast values and gradients."""

    def __init__(self, poly: Poly, n: int, scale: float) -> None:
        keys = list(poly.terms)
        rows, cols, vals = [], [], []
        for i, k in enumerate(keys):
            for j, a in k:
                rows.append(i)
                cols.append(j)
                vals.append(a)
        self.A = sparse.csr_matrix((vals, (rows, cols)), shape=(len(keys), n))
        self.c = np.array([poly.terms[k] for k in keys]) / scale

    def value(self, x: np.ndarray) -> float:
        return float(self.c @ np.exp(self.A @ x))

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self.A.T @ (self.c * np.exp(self.A @ x))


class _Timeout(Exception):
    pass


def solve_slsqp(sig: SigProgram, required: float | None, time_limit: float = 120.0,
                maxiter: int = 500) -> AnchorResult:
    """SLSQP from the baseline start in log space with analytic gradients."""
    t0 = time.perf_counter()
    n = len(sig.levers)
    lo = np.array([lv.xlo for lv in sig.levers])
    hi = np.array([lv.xhi for lv in sig.levers])
    cons = []
    for _, poly, scale in _rows(sig, required):
        cp = _Compiled(poly, n, scale)
        cons.append({"type": "ineq", "fun": cp.value, "jac": cp.grad})
    if sig.effort_cap is not None:
        cap = sig.effort_cap
        cons.append({"type": "ineq", "fun": lambda x: (cap - _effort(sig, x)[0]) / max(cap, 1.0),
                     "jac": lambda x: -_effort(sig, x)[1] / max(cap, 1.0)})
    last = {"x": np.zeros(n)}

    def fun(x: np.ndarray) -> float:
        if time.perf_counter() - t0 > time_limit:
            raise _Timeout
        last["x"] = x.copy()
        return _effort(sig, x)[0]

    status = "converged"
    try:
        res = minimize(fun, np.zeros(n), jac=lambda x: _effort(sig, x)[1], method="SLSQP",
                       bounds=list(zip(lo, hi, strict=True)), constraints=cons,
                       options={"maxiter": maxiter, "ftol": 1e-9})
        x = np.clip(res.x, lo, hi)
        if not res.success:
            status = f"stopped: {res.message}"
    except _Timeout:
        x, status = np.clip(last["x"], lo, hi), "time limit"
    x = _round_integers_up(sig, x)
    return AnchorResult("slsqp", x, float(effort_of(sig, x).sum()), time.perf_counter() - t0, status)


def _effort(sig: SigProgram, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Total effort and its (right-hand) derivative in each x_j."""
    grad = np.zeros(len(sig.levers))
    for lv in sig.levers:
        g = lv.sign * x[lv.index]
        for upto, w in lv.steps:
            if g < upto - 1e-12:
                grad[lv.index] = lv.sign * w
                break
        else:
            grad[lv.index] = lv.sign * lv.steps[-1][1]
    return float(effort_of(sig, x).sum()), grad


def _round_integers_up(sig: SigProgram, x: np.ndarray) -> np.ndarray:
    """Integer levers (seats) to the next whole unit in the lever's direction, within its cap."""
    x = x.copy()
    for lv in sig.levers:
        if not lv.integer:
            continue
        planned = lv.baseline * math.exp(x[lv.index])
        # SLSQP lands on a bound only to ~1e-8, so 15.0000001 seats count as 15.
        whole = math.ceil(planned * (1 - 1e-7)) if lv.sign > 0 else math.floor(planned * (1 + 1e-7))
        whole = min(max(whole, math.ceil(lv.baseline * math.exp(lv.xlo) - 1e-9)),
                    math.floor(lv.baseline * math.exp(lv.xhi) + 1e-9))
        x[lv.index] = math.log(whole / lv.baseline)
    return x
