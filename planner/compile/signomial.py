"""Expand formulas into signomials: Σ coef · Π uplift_j ** a_j, plus linear auxiliary terms.

Every lever j has uplift u_j = planned_j / baseline_j, so a monomial is ``coef · exp(a · x)`` with
x = ln u (the log-space reduction of geometric programming). Fixed and uncontrollable inputs are
folded into coefficients. ``min``/``max`` become auxiliary variables bounded by rows; they are only
allowed where the optimiser pushes them the right way (checked in ``approx``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.errors import UnsupportedError
from planner.tree.graph import Input, Model
from planner.tree.nodes import Expr, Ext, Neg, Num, Ref, Sum

Key = tuple[tuple[int, float], ...]  # ((lever index, exponent), ...) sorted by lever index
MAX_TERMS = 50_000


@dataclass
class Lever:
    """One label of one controllable input: the unit the optimiser moves."""

    index: int
    name: str
    label: tuple[str, ...]
    dims: tuple[str, ...]
    baseline: float
    xlo: float  # bounds of x = ln(planned / baseline)
    xhi: float
    direction: str
    steps: list[tuple[float, float]]  # (ln upto, weight)
    integer: bool
    cost: float
    owner: str | None
    lo_src: str
    hi_src: str

    @property
    def sign(self) -> float:
        """+1 when effort grows with x (direction up), −1 for a cut."""
        return 1.0 if self.direction == "up" else -1.0

    @property
    def display(self) -> str:
        return f"{self.name}[{', '.join(self.label)}]" if self.label else self.name


@dataclass
class Poly:
    terms: dict[Key, float] = field(default_factory=dict)
    aux: dict[int, float] = field(default_factory=dict)

    @property
    def const(self) -> float:
        return self.terms.get((), 0.0)

    def is_const(self) -> bool:
        return not self.aux and all(k == () for k in self.terms)

    def scaled(self, c: float) -> Poly:
        return Poly({k: v * c for k, v in self.terms.items()}, {k: v * c for k, v in self.aux.items()})

    def plus(self, other: Poly, c: float = 1.0) -> Poly:
        t = dict(self.terms)
        for k, v in other.terms.items():
            t[k] = t.get(k, 0.0) + c * v
        a = dict(self.aux)
        for k, v in other.aux.items():
            a[k] = a.get(k, 0.0) + c * v
        return Poly({k: v for k, v in t.items() if v != 0.0}, {k: v for k, v in a.items() if v != 0.0})

    def value(self, x: np.ndarray, aux: np.ndarray | None = None) -> float:
        """Exact value at log-uplifts x (aux values if any)."""
        total = 0.0
        for k, c in self.terms.items():
            total += c * math.exp(sum(a * x[j] for j, a in k))
        if self.aux and aux is not None:
            total += sum(c * aux[i] for i, c in self.aux.items())
        return total

    def magnitude(self, x: np.ndarray) -> float:
        return sum(abs(c) * math.exp(sum(a * x[j] for j, a in k)) for k, c in self.terms.items())


@dataclass
class SigRow:
    """``poly ≥ 0`` (every inequality is normalised to this form)."""

    name: str
    poly: Poly
    kind: str  # target | constraint | cost | aux
    label: tuple[str, ...] = ()


@dataclass
class AuxDef:
    kind: str  # min | max
    where: str


@dataclass
class SigProgram:
    levers: list[Lever]
    target: Poly
    constraints: list[SigRow]  # user constraints and min/max definitions
    cost: Poly | None  # Σ cost·|planned − baseline| (None without cost data)
    aux: list[AuxDef]
    effort_cap: float | None
    cost_cap: float | None

    def lever_index(self, name: str, label: tuple[str, ...] = ()) -> int:
        for lv in self.levers:
            if lv.name == name and lv.label == label:
                return lv.index
        raise KeyError((name, label))


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


def compile_signomial(model: Model) -> SigProgram:
    """Expand the model's target, constraints and cost budget into signomial rows."""
    levers = _levers(model)
    ex = _Expander(model, levers)
    target = ex.expand(_target_expr(model), {})
    rows: list[SigRow] = []
    for c in model.constraints:
        for lab in model.labels(c.dims):
            assign = dict(zip(c.dims, lab, strict=True))
            lhs, rhs = ex.expand(c.lhs, assign), ex.expand(c.rhs, assign)
            poly = lhs.plus(rhs, -1.0) if c.sense == ">=" else rhs.plus(lhs, -1.0)
            rows.append(SigRow(c.name, poly, "constraint", lab))
    rows.extend(ex.aux_rows)
    b = model.scenario.budget
    return SigProgram(levers, target, rows, _cost_poly(levers), ex.aux_defs, b.effort, b.cost)


def _target_expr(model: Model) -> Expr:
    return Ref(model.scenario.target.node)


def _levers(model: Model) -> list[Lever]:
    out: list[Lever] = []
    for inp in model.levers:
        for flat, lab in enumerate(model.labels(inp.dims)):
            out.append(_lever(len(out), inp, flat, lab))
    return out


def _lever(index: int, inp: Input, flat: int, lab: tuple[str, ...]) -> Lever:
    b = float(inp.baseline.flat[flat])
    lo, hi = float(inp.lo.flat[flat]), float(inp.hi.flat[flat])
    cost = float(inp.cost.flat[flat]) if inp.cost is not None else 0.0
    return Lever(index, inp.name, lab, inp.dims, b, math.log(lo / b) if lo > 0 else -math.inf, math.log(hi / b),
                 inp.direction, inp.steps, inp.integer, cost, inp.owner, str(inp.lo_src.flat[flat]),
                 str(inp.hi_src.flat[flat]))


def _cost_poly(levers: list[Lever]) -> Poly | None:
    """Σ cost·baseline·|u − 1|: up levers cost·b·(u − 1), cuts cost·b·(1 − u)."""
    poly = Poly({(): 0.0})
    any_cost = False
    for lv in levers:
        if lv.cost:
            any_cost = True
            cb = lv.cost * lv.baseline * lv.sign
            poly = poly.plus(Poly({((lv.index, 1.0),): cb, (): -cb}))
    return poly if any_cost else None


class _Expander:
    def __init__(self, model: Model, levers: list[Lever]) -> None:
        self.model = model
        self.lever_of = {(lv.name, lv.label): lv.index for lv in levers}
        self.memo: dict[tuple[str, tuple[str, ...]], Poly] = {}
        self.aux_defs: list[AuxDef] = []
        self.aux_rows: list[SigRow] = []

    def expand(self, e: Expr, assign: dict[str, str]) -> Poly:
        return self._go(e, assign, None)

    def _go(self, e: Expr, assign: dict[str, str], where: str | None) -> Poly:
        if isinstance(e, Num):
            return Poly({(): e.value})
        if isinstance(e, Ref):
            return self._ref(e, assign)
        if isinstance(e, Neg):
            return self._go(e.operand, assign, where).scaled(-1.0)
        if isinstance(e, Sum):
            return self._sum(e, assign, where)
        if isinstance(e, Ext):
            return self._ext(e, assign, where)
        left, right = self._go(e.left, assign, where), self._go(e.right, assign, where)
        if e.op == "+":
            return left.plus(right)
        if e.op == "-":
            return left.plus(right, -1.0)
        if e.op == "*":
            return _mul(left, right)
        return _mul(left, _inverse(right, where))

    def _ref(self, r: Ref, assign: dict[str, str]) -> Poly:
        dims = self.model.dims_of(r.name)
        if r.index is not None and r.index not in self.model.dims:
            d = next(x for x in dims if r.index in self.model.dims[x])
            assign = {**assign, d: r.index}
        lab = tuple(assign[d] for d in dims)
        if r.name in self.model.nodes:
            key = (r.name, lab)
            if key not in self.memo:
                node = self.model.nodes[r.name]
                sub = {d: assign[d] for d in node.dims}
                self.memo[key] = self._go(node.expr, sub, r.name)
            return self.memo[key]
        inp = self.model.inputs[r.name]
        flat = int(np.ravel_multi_index(tuple(self.model.dims[d].index(lab_i) for d, lab_i in zip(dims, lab, strict=True)),
                                        self.model.shape(dims))) if dims else 0
        if inp.kind == "lever":
            j = self.lever_of[(r.name, lab)]
            return Poly({((j, 1.0),): float(inp.baseline.flat[flat])})
        return Poly({(): float(inp.value.flat[flat])})

    def _sum(self, e: Sum, assign: dict[str, str], where: str | None) -> Poly:
        from planner.tree.graph import _dims_of  # the same dimension rules as the checker

        inner = _dims_of(e.arg, self.model.inputs, self.model.nodes, self.model.dims, where or "sum")
        # A sum binds its own dimensions: inside buyers[p], sum(x) still runs over every label of p.
        over = [d for d in inner if e.dim is None or d == e.dim]
        total = Poly({(): 0.0})
        for lab in self.model.labels(tuple(over)):
            total = total.plus(self._go(e.arg, {**assign, **dict(zip(over, lab, strict=True))}, where))
            if len(total.terms) > MAX_TERMS:
                raise UnsupportedError(f"the expansion of {where or 'a sum'} has over {MAX_TERMS} terms",
                                       hint="introduce intermediate nodes with fewer products of sums")
        return total

    def _ext(self, e: Ext, assign: dict[str, str], where: str | None) -> Poly:
        a, b = self._go(e.a, assign, where), self._go(e.b, assign, where)
        if a.is_const() and b.is_const():
            return Poly({(): (min if e.kind == "min" else max)(a.const, b.const)})
        k = len(self.aux_defs)
        self.aux_defs.append(AuxDef(e.kind, where or "formula"))
        v = Poly({(): 0.0}, {k: 1.0})
        # min: v ≤ a and v ≤ b; max: v ≥ a and v ≥ b.
        for side in (a, b):
            poly = side.plus(v, -1.0) if e.kind == "min" else v.plus(side, -1.0)
            self.aux_rows.append(SigRow(f"{e.kind}@{where}", poly, "aux"))
        return v


def _mul(a: Poly, b: Poly) -> Poly:
    if (a.aux and not b.is_const()) or (b.aux and not a.is_const()):
        raise UnsupportedError("min/max multiplied by a lever cannot be optimised",
                               hint="multiply inside the min/max instead, e.g. min(a * p, b * p)")
    terms: dict[Key, float] = {}
    for ka, ca in a.terms.items():
        for kb, cb in b.terms.items():
            k = _merge(ka, kb)
            terms[k] = terms.get(k, 0.0) + ca * cb
    if len(terms) > MAX_TERMS:
        raise UnsupportedError(f"a product expands to over {MAX_TERMS} terms",
                               hint="introduce intermediate nodes with fewer products of sums")
    aux: dict[int, float] = {}
    for p, q in ((a, b), (b, a)):
        for i, c in p.aux.items():
            aux[i] = aux.get(i, 0.0) + c * q.const
    return Poly(terms, aux)


def _merge(ka: Key, kb: Key) -> Key:
    if not kb:
        return ka
    if not ka:
        return kb
    d: dict[int, float] = dict(ka)
    for j, a in kb:
        d[j] = d.get(j, 0.0) + a
    return tuple(sorted((j, a) for j, a in d.items() if a != 0.0))


def _inverse(p: Poly, where: str | None = None) -> Poly:
    nonzero = {k: c for k, c in p.terms.items() if c != 0.0}
    if not p.aux and not nonzero:
        raise UnsupportedError(f"division by zero in {where or 'a formula'}: the denominator is 0 with this "
                               "year's values", hint="check the fixed inputs in the denominator (assume/baseline)")
    if p.aux or len(nonzero) != 1:
        raise UnsupportedError("division by a sum that depends on levers cannot be optimised",
                               hint="divide by a single input or a product of inputs, or make the denominator fixed")
    (k, c), = nonzero.items()
    return Poly({tuple((j, -a) for j, a in k): 1.0 / c})
