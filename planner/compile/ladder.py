"""Uplifts restricted to a ladder (e.g. 5% steps): an exact MILP, no approximation at all.

Each lever picks one level (one-hot binaries); a monomial Π u_j^a_j is built as a chain of
binary × continuous products, each linearised exactly with bounds from that chain's own levels
(never one global big-M). The optimum is therefore exact on the ladder.
"""

from __future__ import annotations

import math

import numpy as np

from planner.compile.approx import Spec, lever_bounds
from planner.compile.program import INF, Program
from planner.compile.signomial import Key, Poly, SigProgram, effort_of


def ladder_levels(sig: SigProgram, spec: Spec, step: float) -> list[np.ndarray]:
    """Allowed uplifts per lever: 1 ± k·step within bounds; integer levers keep integer planned values."""
    lo, hi = lever_bounds(sig, spec)
    out = []
    for lv in sig.levers:
        ulo, uhi = math.exp(lo[lv.index]), math.exp(hi[lv.index])
        ks = range(0, int(1 / step) * 100)
        us = [1 + k * step for k in ks if 1 + k * step <= uhi * (1 + 1e-12)] if lv.sign > 0 else \
             [1 - k * step for k in ks if 1 - k * step >= ulo * (1 - 1e-12) and 1 - k * step > 0]
        if lv.integer:
            vals = sorted({round(lv.baseline * u) for u in us})
            us = [v / lv.baseline for v in vals if ulo * (1 - 1e-12) <= v / lv.baseline <= uhi * (1 + 1e-12)]
        if lo[lv.index] > 0 or hi[lv.index] < 0:  # pinned away from the baseline by the caller
            us = [u for u in us if ulo * (1 - 1e-12) <= u <= uhi * (1 + 1e-12)]
        out.append(np.array(us or [1.0]))
    return out


def build_ladder(sig: SigProgram, spec: Spec, levels: list[np.ndarray]) -> tuple[Program, list[list[int]]]:
    """The exact ladder MILP and, per lever, its one-hot columns (in the order of ``levels``)."""
    b = _LadderBuilder(sig, spec, levels)
    return b.run(), b.onehot


class _LadderBuilder:
    def __init__(self, sig: SigProgram, spec: Spec, levels: list[np.ndarray]) -> None:
        self.sig, self.spec, self.levels = sig, spec, levels
        self.p = Program()
        self.onehot: list[list[int]] = []
        self.chain: dict[Key, tuple[int, float, float]] = {}  # prefix → (column, lower, upper)

    def run(self) -> Program:
        p = self.p
        efforts = []
        for lv in self.sig.levers:
            cols = [p.add_col(f"z[{lv.display}]{u:.4g}", 0.0, 1.0, integer=True) for u in self.levels[lv.index]]
            p.add_row(dict.fromkeys(cols, 1.0), 1.0, 1.0, f"one level[{lv.display}]")
            self.onehot.append(cols)
            form = {}
            for c, u in zip(cols, self.levels[lv.index], strict=True):
                x = np.zeros(len(self.sig.levers))
                x[lv.index] = math.log(u)
                form[c] = float(effort_of(self.sig, x)[lv.index])
            efforts.append(form)
        self._objective(efforts)
        for r in self.sig.constraints:
            self._row(r.poly, r.name)
        if self.spec.required is not None:
            self._row(self.sig.target.plus(Poly({(): -self.spec.required})), "target")
        if self.spec.use_cost_cap and self.sig.cost_cap is not None and self.sig.cost is not None:
            self._row(Poly({(): self.sig.cost_cap}).plus(self.sig.cost, -1.0), "budget.cost")
        if self.spec.use_effort_cap and self.sig.effort_cap is not None:
            total = {c: w for form in efforts for c, w in form.items()}
            p.add_row(total, -INF, self.sig.effort_cap, "budget.effort")
        return p

    def _objective(self, efforts: list[dict[int, float]]) -> None:
        obj, p = self.spec.objective, self.p
        if obj.max_effort_cap is not None:
            for form in efforts:
                p.add_row(form, -INF, obj.max_effort_cap, "max_effort_cap")
        if obj.kind == "effort":
            for form in efforts:
                for c, w in form.items():
                    p.cost[c] += w
        elif obj.kind == "max_effort":
            z = p.add_col("max_effort", 0.0, INF, cost=1.0)
            for form in efforts:
                p.add_row({**form, z: -1.0}, -INF, 0.0, "max_effort")
        elif obj.kind == "target":
            scale = max(self.sig.target.magnitude(np.zeros(len(self.sig.levers))), 1e-300)
            t = p.add_col("target", -INF, INF, cost=-1.0)
            self._row(self.sig.target, "target(objective)", extra={t: -scale})
        else:
            raise ValueError(f"objective {obj.kind} is not available on a ladder")

    def _row(self, poly: Poly, name: str, extra: dict[int, float] | None = None) -> None:
        if poly.aux:
            from planner.errors import UnsupportedError

            raise UnsupportedError("min/max formulas are not supported with --ladder", hint="solve without --ladder")
        x0 = np.zeros(len(self.sig.levers))
        mag = poly.magnitude(x0) + sum(abs(c) for c in (extra or {}).values()) or 1.0
        coefs: dict[int, float] = {}
        for k, c in poly.terms.items():
            if k and c != 0.0:
                col = self._monomial(k)
                coefs[col] = coefs.get(col, 0.0) + c / mag
        for col, c in (extra or {}).items():
            coefs[col] = coefs.get(col, 0.0) + c / mag
        self.p.add_row(coefs, -poly.const / mag, INF, name)

    def _monomial(self, k: Key) -> int:
        """Column equal to Π u_j^a_j, built as a chain over the key's levers."""
        if k in self.chain:
            return self.chain[k][0]
        j, a = k[-1]
        vals = self.levels[j] ** a
        if len(k) == 1:
            col = self.p.add_col(f"m{k}", float(vals.min()), float(vals.max()))
            self.p.add_row({col: 1.0, **{c: -float(v) for c, v in zip(self.onehot[j], vals, strict=True)}},
                           0.0, 0.0, "monomial")
            self.chain[k] = (col, float(vals.min()), float(vals.max()))
            return col
        prev = self._monomial(k[:-1])
        _, plo, phi = self.chain[k[:-1]]
        p = self.p
        ys = []
        for zc, v in zip(self.onehot[j], vals, strict=True):
            y = p.add_col("y", 0.0, phi)
            p.add_row({y: 1.0, zc: -phi}, -INF, 0.0, "mc")
            p.add_row({y: 1.0, zc: -plo}, 0.0, INF, "mc")
            p.add_row({y: 1.0, prev: -1.0, zc: -plo}, -INF, -plo, "mc")
            p.add_row({y: 1.0, prev: -1.0, zc: -phi}, -phi, INF, "mc")
            ys.append((y, float(v)))
        p.add_row({**{y: 1.0 for y, _ in ys}, prev: -1.0}, 0.0, 0.0, "mc sum")
        lo, hi = plo * float(vals.min()), phi * float(vals.max())
        col = p.add_col(f"m{k}", lo, hi)
        p.add_row({col: 1.0, **{y: -v for y, v in ys}}, 0.0, 0.0, "monomial")
        self.chain[k] = (col, lo, hi)
        return col
