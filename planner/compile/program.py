"""A solver-neutral linear / mixed-integer program: columns, sparse rows, a linear objective.

Backends translate it late (linopy's pattern), so the compiler is tested without any solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

INF = math.inf


@dataclass
class Program:
    col_names: list[str] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)  # minimised
    row_names: list[str] = field(default_factory=list)
    row_lo: list[float] = field(default_factory=list)
    row_hi: list[float] = field(default_factory=list)
    row_start: list[int] = field(default_factory=lambda: [0])
    row_index: list[int] = field(default_factory=list)
    row_value: list[float] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        return len(self.lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    @property
    def n_integer(self) -> int:
        return sum(self.integer)

    def add_col(self, name: str, lb: float = 0.0, ub: float = INF, *, integer: bool = False,
                cost: float = 0.0) -> int:
        self.col_names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        self.cost.append(cost)
        return len(self.lb) - 1

    def add_row(self, coefs: dict[int, float], lo: float = -INF, hi: float = INF, name: str = "") -> int:
        for j, v in coefs.items():
            if v != 0.0:
                self.row_index.append(j)
                self.row_value.append(float(v))
        self.row_start.append(len(self.row_index))
        self.row_lo.append(lo)
        self.row_hi.append(hi)
        self.row_names.append(name)
        return len(self.row_lo) - 1
