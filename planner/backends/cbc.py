"""COIN-OR CBC through PuLP (PuLP 3.x bundles the CBC binary): the fallback backend."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pulp

from planner.backends.base import Backend, Capabilities, Solution, SolveStatus
from planner.compile.program import Program


def _cbc(**kwargs: object) -> pulp.PULP_CBC_CMD:
    # PuLP 3.3 deprecates its bundled CBC in favour of a 191 MB `cbcbox` wheel; we pin pulp < 4
    # precisely to keep the bundled binary, so this one warning is expected and silenced here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PULP_CBC_CMD is deprecated", category=DeprecationWarning)
        return pulp.PULP_CBC_CMD(**kwargs)


class CbcBackend(Backend):
    name = "cbc"
    capabilities = Capabilities(integers=True, time_limit=True, dual_bound=False, warm_start=False)

    def available(self) -> bool:
        return bool(_cbc(msg=False).available())

    def solve(self, program: Program, *, time_limit: float | None = None, mip_gap: float = 1e-6,
              threads: int | None = None, cutoff: float | None = None) -> Solution:
        prob = pulp.LpProblem("planner", pulp.LpMinimize)
        cols = [prob.add_variable(f"c{j}", _fin(program.lb[j]), _fin(program.ub[j]),
                                  cat=pulp.LpInteger if program.integer[j] else pulp.LpContinuous)
                for j in range(program.n_cols)]
        prob += pulp.lpSum(c * v for c, v in zip(program.cost, cols, strict=True) if c != 0.0)
        for i in range(program.n_rows):
            s, e = program.row_start[i], program.row_start[i + 1]
            expr = pulp.lpSum(program.row_value[k] * cols[program.row_index[k]] for k in range(s, e))
            lo, hi = program.row_lo[i], program.row_hi[i]
            if lo == hi:
                prob += expr == lo, f"r{i}"
                continue
            if math.isfinite(lo):
                prob += expr >= lo, f"r{i}lo"
            if math.isfinite(hi):
                prob += expr <= hi, f"r{i}hi"
        solver = _cbc(msg=False, timeLimit=time_limit, gapRel=mip_gap, threads=threads)
        t0 = time.perf_counter()
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        # PuLP says "Optimal" even after a time-out with only an incumbent: read sol_status too.
        sol = prob.sol_status
        if sol == pulp.LpSolutionOptimal:
            status = SolveStatus.OPTIMAL
        elif sol == pulp.LpSolutionIntegerFeasible:
            status = SolveStatus.FEASIBLE
        elif sol == pulp.LpSolutionInfeasible:
            status = SolveStatus.INFEASIBLE
        elif sol == pulp.LpSolutionUnbounded:
            status = SolveStatus.UNBOUNDED
        else:
            status = SolveStatus.NO_SOLUTION
        if status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            return Solution(status, None, None, seconds=seconds)
        x = np.array([c.varValue if c.varValue is not None else 0.0 for c in cols], dtype=float)
        obj = float(np.dot(program.cost, x))
        return Solution(status, x, obj, None, 0.0 if status == SolveStatus.OPTIMAL else None, seconds)


def _fin(v: float) -> float | None:
    return v if math.isfinite(v) else None
