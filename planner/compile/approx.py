"""Signomial program → linear program, in one of three approximations of exp.

Every monomial c·exp(η) (η = a·x, x = log-uplifts) enters a row through a column σ ≈ exp(η):

* a term that must be *large* for the row to hold (positive in a ``≥ 0`` row) needs σ ≤ exp(η),
  the non-convex side;
* a term that must be *small* needs σ ≥ exp(η), the convex side.

``local`` (at a point η0): σ ≤ tangent at η0 (exp is convex, so the tangent lies below it) and
σ ≥ chords through breakpoints clustered at η0 (chords lie above). Both are inner approximations:
every LP solution is feasible for the true formulas, and the point itself stays feasible, so
re-linearising improves monotonically (the convex-concave procedure).

``global``: σ ≤ the max of tangents at a grid of points, a convex piecewise-linear function whose
hypograph needs binaries (incremental formulation); σ ≥ chords on the grid. Conservative again.

``bound``: the optimistic mirror (σ ≤ chords with binaries, σ ≥ tangents): a relaxation whose
optimum bounds the true optimum from below.

Rows are divided by their magnitude; σ is relative to the baseline, so 5e10 sales and 0.02 rates
both become numbers near 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.compile.program import INF, Program
from planner.compile.signomial import Key, Lever, Poly, SigProgram
from planner.errors import UnsupportedError

TIE_BREAK = 1e-9  # small enough never to outweigh a real gain (3.5e-7 was, in a property test)
_LOCAL_OFFSETS = (1e-3, 1e-2, 0.1, 0.4)  # chord error at ±1e-3 is ~1e-7 relative


@dataclass
class Objective:
    """What to optimise. ``kind``: effort | max_effort | target | levers | cost."""

    kind: str = "effort"
    levers: tuple[int, ...] = ()  # for ``levers``: minimise max_j sign·(x_j + offset_j): the smallest cap
    sign: float = 1.0
    offsets: tuple[float, ...] = ()  # per lever in ``levers`` (ln baseline for an absolute cap); default 0
    max_effort_cap: float | None = None  # stage two of min_max_effort: each lever's effort ≤ this


@dataclass
class Spec:
    """Everything that changes between solves of one SigProgram."""

    objective: Objective = field(default_factory=Objective)
    required: float | None = None  # target row: target ≥ required (None: no target row)
    use_cost_cap: bool = True
    use_effort_cap: bool = True
    bounds: dict[int, tuple[float, float]] = field(default_factory=dict)  # lever index → (xlo, xhi)
    # Each row must hold with this much to spare (relative to its magnitude), so that solver
    # tolerances land on the safe side: a planner reading "achieved −0.05元" sees a miss.
    margin: float = 1e-7


@dataclass
class Resolution:
    # The MILP only has to find the right basin; the local polish then converges to the exact
    # local optimum. Measured on the shipped what-ifs: step 0.25 finds the best basins (telesales
    # 甲方加量 8.3048 vs 8.3199 at step 0.35); finer grids add nothing but time.
    step: float = 0.25  # grid step in η for the global approximation
    max_segments: int = 8
    max_binaries: int = 800
    mip_gap: float = 5e-2  # the MILP picks a basin; the polish finishes (same plans at 5% as at 0.5%)


@dataclass
class Layout:
    """Where things live in the built Program, to read a solution back."""

    x: list[int]
    effort: list[dict[int, float]]  # per lever: effort as a linear form over program columns
    obj_col: int | None = None
    obj_scale: float = 1.0


def lever_bounds(sig: SigProgram, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([lv.xlo for lv in sig.levers])
    hi = np.array([lv.xhi for lv in sig.levers])
    for j, (a, b) in spec.bounds.items():
        lo[j], hi[j] = a, b
    return lo, hi


def build(sig: SigProgram, spec: Spec, mode: str, point: np.ndarray | None = None,
          resolution: Resolution | None = None) -> tuple[Program, Layout]:
    """Build the LP (mode ``local`` at ``point``) or MILP (``global`` / ``bound``)."""
    return _Builder(sig, spec, mode, point, resolution or Resolution()).run()


class _Builder:
    def __init__(self, sig: SigProgram, spec: Spec, mode: str, point: np.ndarray | None,
                 res: Resolution) -> None:
        if mode == "local" and point is None:
            raise ValueError("local mode needs a point")
        self.sig, self.spec, self.mode, self.res = sig, spec, mode, res
        self.p = Program()
        self.lo, self.hi = lever_bounds(sig, spec)
        n = len(sig.levers)
        self.point = point if point is not None else np.zeros(n)
        self.sigma: dict[tuple[Key, str], int] = {}
        self.aux_cols: dict[int, int] = {}
        self.aux_scale: dict[int, float] = {}
        self.step = res.step

    # -- assembly --------------------------------------------------------------------------------
    def run(self) -> tuple[Program, Layout]:
        layout = Layout(x=[], effort=[])
        for lv in self.sig.levers:
            layout.x.append(self.p.add_col(f"x[{lv.display}]", self.lo[lv.index], self.hi[lv.index]))
        for lv in self.sig.levers:
            layout.effort.append(self._effort(lv, layout.x[lv.index]))
        if self.mode != "local":
            self._size_grid()
        self._objective(layout)
        rows = list(self.sig.constraints)
        for r in rows:
            self._sig_row(r.poly, f"{r.name}{list(r.label) if r.label else ''}", defining=r.kind == "aux")
        if self.spec.required is not None:
            req = Poly({(): -self.spec.required})
            self._sig_row(self.sig.target.plus(req), "target")
        if self.spec.use_cost_cap and self.sig.cost_cap is not None and self.sig.cost is not None:
            self._sig_row(Poly({(): self.sig.cost_cap}).plus(self.sig.cost, -1.0), "budget.cost")
        if self.spec.use_effort_cap and self.sig.effort_cap is not None:
            total: dict[int, float] = {}
            for form in layout.effort:
                for c, w in form.items():
                    total[c] = total.get(c, 0.0) + w
            self.p.add_row(total, -INF, self.sig.effort_cap, "budget.effort")
        return self.p, layout

    def _effort(self, lv: Lever, xcol: int) -> dict[int, float]:
        """Convex piecewise-linear effort in g = sign·x ≥ 0, as segments filled cheapest first."""
        j = lv.index
        gmax = self.hi[j] if lv.sign > 0 else -self.lo[j]
        form: dict[int, float] = {}
        row = {xcol: lv.sign}
        start = 0.0
        for upto, w in lv.steps:
            end = min(upto, gmax)
            if end > start + 1e-15:
                g = self.p.add_col(f"g[{lv.display}]", 0.0, end - start)
                form[g] = w
                row[g] = -1.0
            start = upto
            if upto >= gmax:
                break
        self.p.add_row(row, 0.0, 0.0, f"effort[{lv.display}]")
        return form

    def _objective(self, layout: Layout) -> None:
        obj = self.spec.objective
        p = self.p
        if obj.max_effort_cap is not None:
            for form in layout.effort:
                if form:
                    p.add_row(form, -INF, obj.max_effort_cap, "max_effort_cap")
        if obj.kind == "effort":
            for form in layout.effort:
                for c, w in form.items():
                    p.cost[c] += w
        elif obj.kind == "max_effort":
            z = p.add_col("max_effort", 0.0, INF, cost=1.0)
            for form in layout.effort:
                if form:
                    p.add_row({**form, z: -1.0}, -INF, 0.0, "max_effort")
            # Tie-break towards the least total effort among balanced plans.
            for form in layout.effort:
                for c, w in form.items():
                    p.cost[c] += 1e-4 * w
            layout.obj_col = z
        elif obj.kind == "target":
            scale = max(self.sig.target.magnitude(self.point), 1e-300)
            t = p.add_col("target", -INF, INF, cost=-1.0)
            self._sig_row(self.sig.target, "target(objective)", extra={t: -scale})
            layout.obj_col, layout.obj_scale = t, scale
            self._tie_break(layout)
        elif obj.kind == "levers":
            z = p.add_col("cap", -INF, INF, cost=1.0)
            for j, off in zip(obj.levers, obj.offsets or (0.0,) * len(obj.levers), strict=True):
                p.add_row({layout.x[j]: obj.sign, z: -1.0}, -INF, -obj.sign * off, "cap")
            layout.obj_col = z
            self._tie_break(layout)
        elif obj.kind == "cost":
            if self.sig.cost is None:
                raise ValueError("no cost terms")
            scale = max(self.sig.cost.magnitude(self.point), 1.0)
            s = p.add_col("cost", -INF, INF, cost=1.0)
            self._sig_row(self.sig.cost.scaled(-1.0), "cost(objective)", extra={s: scale})
            layout.obj_col, layout.obj_scale = s, scale
            self._tie_break(layout)
        else:
            raise ValueError(f"unknown objective {obj.kind}")

    def _tie_break(self, layout: Layout) -> None:
        """Among equally good plans prefer less effort, so levers that do not help stay put."""
        for form in layout.effort:
            for c, w in form.items():
                self.p.cost[c] += TIE_BREAK * w

    # -- rows ------------------------------------------------------------------------------------
    def _sig_row(self, poly: Poly, name: str, extra: dict[int, float] | None = None, *,
                 defining: bool = False) -> None:
        """poly + extra ≥ 0, divided by its magnitude at the reference point."""
        mag = abs(poly.const)
        for k, c in poly.terms.items():
            if k:
                mag += abs(c) * math.exp(self._eta(k, self.point))
        for i, c in poly.aux.items():
            mag += abs(c) * self._aux_scale(i)
        for c in (extra or {}).values():
            mag += abs(c)
        mag = mag if mag > 0 else 1.0
        coefs: dict[int, float] = {}
        for k, c in poly.terms.items():
            if not k or c == 0.0:
                continue
            col = self._sigma(k, "lo" if c > 0 else "hi")
            coefs[col] = coefs.get(col, 0.0) + c / mag
        for i, c in poly.aux.items():
            if c == 0.0:
                continue
            if not defining:
                self._check_aux(i, c)
            col = self._aux(i)
            coefs[col] = coefs.get(col, 0.0) + c * self._aux_scale(i) / mag
        for col, c in (extra or {}).items():
            coefs[col] = coefs.get(col, 0.0) + c / mag
        spare = 0.0 if defining or extra else self.spec.margin
        self.p.add_row(coefs, -poly.const / mag + spare, INF, name)

    def _check_aux(self, i: int, c: float) -> None:
        # min(a, b) is modelled as v ≤ a, v ≤ b: valid only where a larger v helps (c > 0 in a ≥ row);
        # max the mirror. The definition rows themselves (coefficient ±1 on v) are always allowed.
        d = self.sig.aux[i]
        if not (c > 0 if d.kind == "min" else c < 0):
            raise UnsupportedError(
                f"{d.kind}(...) in {d.where} is used where the optimiser would have to choose a branch",
                hint=f"{d.kind} is supported where a larger min (or smaller max) helps the target or constraint; "
                     "rewrite with two constraints instead")

    def _aux(self, i: int) -> int:
        if i not in self.aux_cols:
            self.aux_cols[i] = self.p.add_col(f"aux{i}", -INF, INF)
        return self.aux_cols[i]

    def _aux_scale(self, i: int) -> float:
        if i not in self.aux_scale:
            mags = [r.poly.magnitude(self.point) for r in self.sig.constraints if i in r.poly.aux]
            self.aux_scale[i] = max(max(mags, default=1.0), 1e-12)
        return self.aux_scale[i]

    # -- exp approximations ----------------------------------------------------------------------
    def _eta(self, k: Key, x: np.ndarray) -> float:
        return sum(a * x[j] for j, a in k)

    def _range(self, k: Key) -> tuple[float, float]:
        lo = sum(a * (self.lo[j] if a > 0 else self.hi[j]) for j, a in k)
        hi = sum(a * (self.hi[j] if a > 0 else self.lo[j]) for j, a in k)
        return lo, hi

    def _eta_row(self, k: Key, scale: float = 1.0) -> dict[int, float]:
        return {j: a * scale for j, a in k}  # x columns are 0..n-1

    def _sigma(self, k: Key, side: str) -> int:
        if (k, side) in self.sigma:
            return self.sigma[(k, side)]
        lo, hi = self._range(k)
        col = self.p.add_col(f"s[{side}]{k}", -INF if side == "lo" else 0.0, INF)
        self.sigma[(k, side)] = col
        if hi - lo < 1e-12:  # every lever in it is pinned: exp is a constant
            v = math.exp(lo)
            self.p.add_row({col: 1.0}, v if side == "hi" else -INF, v if side == "lo" else INF, "pinned")
            return col
        if self.mode == "local":
            self._local(k, side, col, lo, hi)
        elif (side == "lo") == (self.mode == "global"):
            (self._hypograph if side == "lo" else self._epigraph)(k, col, self._grid(lo, hi), "tangent")
        else:
            (self._hypograph if side == "lo" else self._epigraph)(k, col, self._grid(lo, hi), "chord")
        return col

    def _local(self, k: Key, side: str, col: int, lo: float, hi: float) -> None:
        e0 = min(max(self._eta(k, self.point), lo), hi)
        if side == "lo":
            self._line(k, col, e0, math.exp(e0), math.exp(e0), upper=True)
            return
        pts = {lo, hi, e0}
        for d in _LOCAL_OFFSETS:
            pts.update(v for v in (e0 - d, e0 + d) if lo < v < hi)
        self._epigraph(k, col, sorted(pts), "chord")

    def _line(self, k: Key, col: int, at: float, value: float, slope: float, *, upper: bool) -> None:
        """σ ≤ (upper) or ≥ value + slope·(η − at), divided by value for scale."""
        s = max(value, 1e-300)
        row = {col: 1.0 / s}
        for j, a in k:
            row[j] = row.get(j, 0.0) - slope * a / s
        rhs = (value - slope * at) / s
        if upper:
            self.p.add_row(row, -INF, rhs, "exp≤")
        else:
            self.p.add_row(row, rhs, INF, "exp≥")

    def _epigraph(self, k: Key, col: int, pts: list[float], how: str) -> None:
        """σ ≥ exp(η) approximated by chords (above exp: conservative) or tangents (below: a bound)."""
        if how == "tangent":
            for p in pts:
                self._line(k, col, p, math.exp(p), math.exp(p), upper=False)
            return
        for a, b in zip(pts, pts[1:], strict=False):
            slope = (math.exp(b) - math.exp(a)) / (b - a)
            self._line(k, col, a, math.exp(a), slope, upper=False)

    def _hypograph(self, k: Key, col: int, pts: list[float], how: str) -> None:
        """σ ≤ a convex piecewise-linear f(η) ≈ exp: needs binaries to fill segments in order."""
        if how == "chord":
            knots, vals = pts, [math.exp(p) for p in pts]
        else:  # max of tangents at pts: exact at pts, below exp in between
            knots, vals = [pts[0]], [math.exp(pts[0])]
            for a, b in zip(pts, pts[1:], strict=False):
                q = _tangent_meet(a, b)
                knots.append(q)
                vals.append(math.exp(a) * (1.0 + q - a))
            knots.append(pts[-1])
            vals.append(math.exp(pts[-1]))
        scale = max(vals[-1], 1e-300)
        eta_row = self._eta_row(k)
        sig_row = {col: 1.0 / scale}
        prev_bin = None
        for i in range(1, len(knots)):
            length = knots[i] - knots[i - 1]
            if length <= 1e-14:
                continue
            d = self.p.add_col("δ", 0.0, length)
            eta_row[d] = eta_row.get(d, 0.0) - 1.0
            sig_row[d] = -(vals[i] - vals[i - 1]) / length / scale
            if prev_bin is not None:
                self.p.add_row({d: 1.0, prev_bin: -length}, -INF, 0.0, "fill")
            if i < len(knots) - 1:
                z = self.p.add_col("z", 0.0, 1.0, integer=True)
                self.p.add_row({d: 1.0, z: -length}, 0.0, INF, "fill")
                prev_bin = z
        self.p.add_row(eta_row, knots[0], knots[0], "η")
        self.p.add_row(sig_row, -INF, vals[0] / scale, "exp≤pwl")

    # -- grid sizing -----------------------------------------------------------------------------
    def _size_grid(self) -> None:
        """Pick one η step for the whole MILP so that binaries stay within budget."""
        widths = []
        for k in self._hypograph_keys():
            lo, hi = self._range(k)
            widths.append(hi - lo)
        step = self.res.step
        for _ in range(30):
            n_bin = sum(min(max(math.ceil(w / step), 1), self.res.max_segments) for w in widths)
            if n_bin <= self.res.max_binaries:
                break
            step *= 1.25
        self.step = step

    def _hypograph_keys(self) -> set[Key]:
        keys: set[Key] = set()
        polys = [r.poly for r in self.sig.constraints] + [self.sig.target]
        if self.sig.cost is not None:
            polys.append(self.sig.cost.scaled(-1.0))
        for poly in polys:
            keys.update(k for k, c in poly.terms.items() if k and c > 0)
        return keys

    def _grid(self, lo: float, hi: float) -> list[float]:
        n = min(max(math.ceil((hi - lo) / self.step - 1e-9), 1), self.res.max_segments)
        return [lo + (hi - lo) * i / n for i in range(n + 1)]


def _tangent_meet(a: float, b: float) -> float:
    """η where the tangents of exp at a and b cross (a < q < b)."""
    ea, eb = math.exp(a), math.exp(b)
    return (eb * (1.0 - b) - ea * (1.0 - a)) / (ea - eb)
