"""What every backend provides: ``solve(program, options) -> Solution`` with a normalised status."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from planner.compile.program import Program


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    """Proven optimal for the program within the gap tolerance."""
    FEASIBLE = "feasible"
    """Stopped early (time limit) with an incumbent: ``gap`` says how far from proven."""
    INFEASIBLE = "infeasible"
    """The program has no solution."""
    UNBOUNDED = "unbounded"
    """The objective can improve without limit (a modelling error upstream)."""
    NO_SOLUTION = "no_solution"
    """Stopped (time limit, error) with nothing usable."""
    UNKNOWN = "unknown"
    """The solver said something we do not recognise."""


@dataclass
class Capabilities:
    integers: bool = True
    time_limit: bool = True
    dual_bound: bool = False
    warm_start: bool = False
    cutoff: bool = False  # can prune MILP nodes worse than a known objective value


@dataclass
class Solution:
    status: SolveStatus
    x: np.ndarray | None
    objective: float | None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0

    @property
    def has_x(self) -> bool:
        return self.x is not None and self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


class Backend:
    name = "base"
    capabilities = Capabilities()

    def available(self) -> bool:
        return True

    def solve(self, program: Program, *, time_limit: float | None = None, mip_gap: float = 1e-6,
              threads: int | None = None, cutoff: float | None = None) -> Solution:
        raise NotImplementedError
