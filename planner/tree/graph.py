"""Resolve a Scenario into a Model: dimensions, per-label arrays, lever bounds, formulas in order.

Everything that can be checked before solving is checked here: unknown names, cycles, dimension
mismatches, labels missing from per-label values, bounds, division by an input that may be zero.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.errors import FormulaError, InputError
from planner.scenario import InputSpec, Scenario
from planner.tree.nodes import Bin, Expr, Ext, Neg, Num, Ref, Sum, refs
from planner.tree.parse import parse_constraint, parse_formula

DEFAULT_CAP = 100.0  # a lever with no upper bound may grow at most this many times (say `max:` to change)
_KEY = re.compile(r"^\s*([^\W\d]\w*)\s*(?:\[\s*([^\]]*)\s*\])?\s*$")


@dataclass
class Input:
    name: str
    kind: str  # lever | fixed | uncontrollable
    dims: tuple[str, ...]
    baseline: np.ndarray
    value: np.ndarray  # this year's value for non-levers (assume, default baseline); baseline for levers
    lo: np.ndarray  # bounds on the planned value
    hi: np.ndarray
    lo_src: np.ndarray  # the scenario field that sets each bound ("inputs.x.min", ...)
    hi_src: np.ndarray
    direction: str = "up"
    integer: bool = False
    cost: np.ndarray | None = None
    cost_field: str | None = None
    steps: list[tuple[float, float]] = field(default_factory=list)  # (ln upto, weight); last is a cap
    owner: str | None = None
    flow: bool = False
    spec: InputSpec | None = None


@dataclass
class Node:
    name: str
    dims: tuple[str, ...]
    expr: Expr
    text: str
    flow: bool = False


@dataclass
class Constraint:
    name: str
    lhs: Expr
    sense: str
    rhs: Expr
    text: str
    dims: tuple[str, ...] = ()


@dataclass
class Model:
    scenario: Scenario
    dims: dict[str, list[str]]
    inputs: dict[str, Input]
    nodes: dict[str, Node]  # in evaluation order
    constraints: list[Constraint]

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(len(self.dims[d]) for d in dims)

    def labels(self, dims: tuple[str, ...]) -> list[tuple[str, ...]]:
        return list(itertools.product(*(self.dims[d] for d in dims)))

    def dims_of(self, name: str) -> tuple[str, ...]:
        return self.inputs[name].dims if name in self.inputs else self.nodes[name].dims

    @property
    def levers(self) -> list[Input]:
        return [i for i in self.inputs.values() if i.kind == "lever"]


def build_model(sc: Scenario) -> Model:
    """Check and resolve a scenario. Raises InputError/FormulaError naming the key and a fix."""
    try:
        return _build(sc)
    except InputError as exc:
        raise (exc.with_file(sc.source) if sc.source else exc) from None


def _build(sc: Scenario) -> Model:
    dims = {k: list(v) for k, v in sc.dimensions.items()}
    for d in dims:
        if d in sc.inputs or d in _node_names(sc):
            raise InputError(f"{d!r} is both a dimension and an input or node name", where=f"dimensions.{d}",
                             hint="rename one of them")
    inputs = {name: _resolve_input(name, spec, dims) for name, spec in sc.inputs.items()}
    nodes = _resolve_nodes(sc, dims, inputs)
    model = Model(sc, dims, inputs, nodes, [])
    model.constraints = [_resolve_constraint(model, n, t) for n, t in sc.constraints.items()]
    _check_target(model)
    return model


# --- inputs --------------------------------------------------------------------------------------

def _resolve_input(name: str, spec: InputSpec, dims: dict[str, list[str]]) -> Input:
    where = f"inputs.{name}"
    if spec.baseline is None:
        raise InputError("missing baseline", where=f"{where}.baseline",
                         hint="give last year's value: `baseline: 1000` or one per label `{a: 1, b: 2}`")
    idims = input_dims(spec, dims, where)
    shape = tuple(len(dims[d]) for d in idims)

    def arr(v: Any, key: str) -> np.ndarray:
        return _per_label(v, idims, dims, f"{where}.{key}")

    base = arr(spec.baseline, "baseline")
    kind = spec.kind
    value = arr(spec.assume, "assume") if spec.assume is not None else base.copy()
    if kind == "lever" and spec.assume is not None:
        raise InputError("`assume` is for fixed or uncontrollable inputs", where=f"{where}.assume",
                         hint="a lever's value is planned; bound it with min/max/max_uplift instead")
    inp = Input(name, kind, idims, base, value, value.copy(), value.copy(),
                np.full(shape, f"{where}.assume" if spec.assume is not None else f"{where}.baseline", dtype=object),
                np.full(shape, f"{where}.assume" if spec.assume is not None else f"{where}.baseline", dtype=object),
                direction=spec.direction, integer=spec.integer, owner=spec.owner, flow=spec.flow, spec=spec)
    if spec.cost is not None:
        inp.cost = arr(spec.cost, "cost")
        inp.cost_field = f"{where}.cost"
        _nonneg(inp.cost, f"{where}.cost")
    if kind == "lever":
        _lever_bounds(inp, spec, arr, where)
    return _in_declaration_order(inp, dims)


def _in_declaration_order(inp: Input, dims: dict[str, list[str]]) -> Input:
    """Transpose an input whose `dims:` (or nested mapping) lists its dimensions in another order
    than `dimensions:` does: every array in the model follows the declaration order."""
    order = tuple(d for d in dims if d in inp.dims)
    if order == inp.dims:
        return inp
    perm = [inp.dims.index(d) for d in order]
    for attr in ("baseline", "value", "lo", "hi", "lo_src", "hi_src", "cost"):
        arr = getattr(inp, attr)
        if arr is not None:
            setattr(inp, attr, np.transpose(arr, perm))
    inp.dims = order
    return inp


def _lever_bounds(inp: Input, spec: InputSpec, arr: Any, where: str) -> None:
    b = inp.baseline
    if np.any(b <= 0):
        raise InputError(f"a lever's baseline must be > 0 (got {_first_bad(b, b <= 0, inp, spec)})",
                         where=f"{where}.baseline",
                         hint="uplift is planned ÷ baseline; mark inputs that are 0 last year `fixed: true`, "
                              "or give a small positive baseline")
    inf = np.full(b.shape, np.inf)
    mn = arr(spec.min, "min") if spec.min is not None else np.zeros(b.shape)
    mx = arr(spec.max, "max") if spec.max is not None else inf
    _nonneg(mn, f"{where}.min")
    _nonneg(mx, f"{where}.max")
    if np.any(mn > mx):
        raise InputError(f"min > max ({_first_bad(mn, mn > mx, inp, spec)} > {mx[mn > mx].flat[0]:g})",
                         where=f"{where}.min", hint="swap them or correct one")
    if np.any((b < mn) | (b > mx)):
        raise InputError("baseline outside its bounds [min, max]", where=f"{where}.baseline",
                         hint="the baseline is last year's value; widen min/max so it lies inside")
    mu = arr(spec.max_uplift, "max_uplift") if spec.max_uplift is not None else inf
    if np.any(mu < 1):
        raise InputError("max_uplift must be ≥ 1 (it is a ratio planned ÷ baseline, or baseline ÷ planned when "
                         "direction is down)", where=f"{where}.max_uplift",
                         hint="write 1.5 for at most +50% (or 1.5× fewer with direction: down)")
    if isinstance(spec.effort, list):
        inp.steps = [(math.log(s.upto), s.weight) for s in spec.effort]
        step_cap = np.full(b.shape, spec.effort[-1].upto)
    else:
        inp.steps = [(math.inf, float(spec.effort))]
        step_cap = inf
    default = np.full(b.shape, DEFAULT_CAP)
    if spec.direction == "up":
        cands = [(mx, f"{where}.max"), (b * mu, f"{where}.max_uplift"), (b * step_cap, f"{where}.effort"),
                 (b * default, "default_cap")]
        inp.lo, inp.lo_src = b.copy(), np.full(b.shape, f"{where}.baseline", dtype=object)
        inp.hi, inp.hi_src = _tightest(cands, np.minimum)
    else:
        cands = [(mn, f"{where}.min"), (b / mu, f"{where}.max_uplift"), (b / step_cap, f"{where}.effort"),
                 (b / default, "default_cap")]
        inp.lo, inp.lo_src = _tightest(cands, np.maximum)
        inp.hi, inp.hi_src = b.copy(), np.full(b.shape, f"{where}.baseline", dtype=object)
    if spec.integer:
        inp.lo, inp.hi = np.ceil(inp.lo - 1e-9), np.floor(inp.hi + 1e-9)
        if np.any(inp.lo > inp.hi):
            raise InputError("no integer value between its bounds", where=where, hint="widen min/max")


def _tightest(cands: list[tuple[np.ndarray, str]], pick: Any) -> tuple[np.ndarray, np.ndarray]:
    val = cands[0][0].astype(float).copy()
    src = np.full(val.shape, cands[0][1], dtype=object)
    for v, s in cands[1:]:
        better = pick(val, v) != val
        val = np.where(better, v, val)
        src = np.where(better, s, src)
    return val, src


def _nonneg(a: np.ndarray, where: str) -> None:
    if np.any(a < 0):
        raise InputError(f"must be ≥ 0 (got {a[a < 0].flat[0]:g})", where=where,
                         hint="bounds, costs and amounts are magnitudes; use `direction: down` for a cut")


def _first_bad(a: np.ndarray, mask: np.ndarray, inp: Input, spec: InputSpec) -> str:
    return f"{a[mask].flat[0]:g}"


def input_dims(spec: InputSpec, dims: dict[str, list[str]], where: str) -> tuple[str, ...]:
    """An input's dimensions: its `dims:`, else those its per-label baseline is keyed by (else none)."""
    if spec.dims is not None:
        for d in spec.dims:
            if d not in dims:
                raise InputError(f"unknown dimension {d!r}", where=f"{where}.dims",
                                 hint=f"declared dimensions: {', '.join(dims) or 'none'}")
        return tuple(spec.dims)
    out: list[str] = []
    level: Any = spec.baseline
    while isinstance(level, dict):
        keys = {str(k) for k in level}
        d = _match_dim(keys, dims, out, f"{where}.baseline")
        out.append(d)
        level = next(iter(level.values()))
    return tuple(out)


def _match_dim(keys: set[str], dims: dict[str, list[str]], taken: list[str], where: str) -> str:
    best, overlap = None, 0
    for d, labels in dims.items():
        if d in taken:
            continue
        n = len(keys & set(labels))
        if n > overlap:
            best, overlap = d, n
    if best is None:
        raise InputError(f"labels {sorted(keys)} belong to no declared dimension", where=where,
                         hint="declare them under `dimensions:` (e.g. product: [a, b]) or fix the spelling")
    return best


def _per_label(v: Any, idims: tuple[str, ...], dims: dict[str, list[str]], where: str) -> np.ndarray:
    shape = tuple(len(dims[d]) for d in idims)
    if not isinstance(v, dict):
        x = _number(v, where)
        return np.full(shape, x, dtype=float)
    if not idims:
        raise InputError("per-label values on an input whose baseline is a single number", where=where,
                         hint="give the baseline per label too, or a single number here")
    labels = dims[idims[0]]
    keys = [str(k) for k in v]
    missing = [lab for lab in labels if lab not in keys]
    extra = [k for k in keys if k not in labels]
    if missing:
        raise InputError(f"label(s) {missing} missing (dimension {idims[0]!r})", where=where,
                         hint="give a value for every label, or a single number for all")
    if extra:
        raise InputError(f"unknown label(s) {extra} for dimension {idims[0]!r}", where=where,
                         hint=f"labels are: {', '.join(labels)}")
    byname = {str(k): val for k, val in v.items()}
    return np.stack([_per_label(byname[lab], idims[1:], dims, f"{where}.{lab}") for lab in labels]).reshape(shape)


def _number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InputError(f"expected a number, got {v!r}", where=where, hint="write plain numbers such as 1000 or 0.02")
    if not math.isfinite(v):
        raise InputError(f"expected a finite number, got {v!r}", where=where,
                         hint="give a plain finite number; leave out `max:` for no upper bound")
    return float(v)


# --- nodes and formulas --------------------------------------------------------------------------

def _node_names(sc: Scenario) -> list[str]:
    return [_split_key(k, f"nodes.{k}")[0] for k in sc.nodes]


def _split_key(key: str, where: str) -> tuple[str, tuple[str, ...]]:
    m = _KEY.match(str(key))
    if not m:
        raise FormulaError(f"bad node name {key!r}", where=where,
                           hint="write `name` or `name[dim]` / `name[dim1, dim2]`; names are letters, digits, _")
    ds = tuple(x.strip() for x in m.group(2).split(",")) if m.group(2) else ()
    return m.group(1), ds


def _resolve_nodes(sc: Scenario, dims: dict[str, list[str]], inputs: dict[str, Input]) -> dict[str, Node]:
    raw: dict[str, Node] = {}
    for key, text in sc.nodes.items():
        where = f"nodes.{key}"
        name, ndims = _split_key(key, where)
        for d in ndims:
            if d not in dims:
                raise FormulaError(f"unknown dimension {d!r}", where=where,
                                   hint=f"declared dimensions: {', '.join(dims) or 'none'}")
        if name in inputs or name in raw:
            raise FormulaError(f"{name!r} is defined twice", where=where, hint="give each input and node its own name")
        if name in ("sum", "min", "max"):
            raise FormulaError(f"{name!r} is a function name", where=where, hint="rename the node")
        raw[name] = Node(name, ndims, parse_formula(str(text), where), str(text))
    order = _topo_order(raw, inputs, dims, {_split_key(k, k)[0]: k for k in sc.nodes})
    for name in order:
        node = raw[name]
        where = f"nodes.{_key_of(sc, name)}"
        got = _dims_of(node.expr, inputs, raw, dims, where)
        if not set(got) <= set(node.dims):
            extra = [d for d in got if d not in node.dims]
            raise FormulaError(
                f"dimension mismatch: the formula {node.text!r} varies by {extra} but {name!r} is declared "
                f"{'scalar' if not node.dims else 'over ' + str(list(node.dims))}", where=where,
                hint=f"declare it as {name}[{', '.join(got)}], or sum over the extra dimension with sum(x, dim)")
        node.dims = tuple(d for d in dims if d in node.dims)
        node.flow = _is_flow(node.expr, inputs, raw)
    return {n: raw[n] for n in order}


def _key_of(sc: Scenario, name: str) -> str:
    return next((k for k in sc.nodes if _split_key(k, k)[0] == name), name)


def _topo_order(nodes: dict[str, Node], inputs: dict[str, Input], dims: dict[str, list[str]],
                keys: dict[str, str]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cyc = path[path.index(n):] + [n]
            raise FormulaError(f"cycle: {' → '.join(cyc)}", where=f"nodes.{keys.get(n, n)}",
                               hint="a node cannot depend on itself; break the loop with an input")
        state[n] = 1
        for r in refs(nodes[n].expr):
            if r.name in nodes:
                visit(r.name, path + [n])
            elif r.name not in inputs:
                raise _unknown_name(r.name, nodes[n].text, list(inputs) + list(nodes), f"nodes.{keys.get(n, n)}")
        state[n] = 2
        order.append(n)

    for n in nodes:
        visit(n, [])
    return order


def _unknown_name(name: str, text: str, known: list[str], where: str) -> FormulaError:
    m = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text.strip())
    col = f" (column {m.start() + 1})" if m else ""
    close = difflib.get_close_matches(name, known, n=1)
    return FormulaError(f"unknown name {name!r} in {text!r}{col}", where=where,
                        hint=f"did you mean {close[0]!r}?" if close else "define it under inputs: or nodes:")


def _ref_dims(r: Ref, inputs: dict[str, Input], nodes: dict[str, Node], dims: dict[str, list[str]],
              where: str) -> tuple[str, ...]:
    if r.name in inputs:
        own = inputs[r.name].dims
    elif r.name in nodes:
        own = nodes[r.name].dims
    else:
        raise FormulaError(f"unknown name {r.name!r}", where=where, hint="define it under inputs: or nodes:")
    if r.index is None:
        return own
    if r.index in dims:
        if r.index not in own:
            raise FormulaError(f"{r.name!r} has no dimension {r.index!r} (it is "
                               f"{'scalar' if not own else 'over ' + str(list(own))})", where=where,
                               hint=f"write {r.name} without [{r.index}]" if not own else None)
        return own
    for d in own:
        if r.index in dims[d]:
            return tuple(x for x in own if x != d)
    raise FormulaError(f"{r.index!r} is neither a dimension nor a label of {r.name!r}", where=where,
                       hint=f"dimensions of {r.name}: {list(own) or 'none'}")


def _dims_of(e: Expr, inputs: dict[str, Input], nodes: dict[str, Node], dims: dict[str, list[str]],
             where: str) -> tuple[str, ...]:
    """The dimensions a formula varies by (in declaration order); checks names and sums."""
    def go(x: Expr) -> set[str]:
        if isinstance(x, Num):
            return set()
        if isinstance(x, Ref):
            return set(_ref_dims(x, inputs, nodes, dims, where))
        if isinstance(x, Neg):
            return go(x.operand)
        if isinstance(x, Bin):
            if x.op == "/" and isinstance(x.right, Ref) and x.right.name in inputs:
                _check_divisor(inputs[x.right.name], where)
            return go(x.left) | go(x.right)
        if isinstance(x, Ext):
            return go(x.a) | go(x.b)
        inner = go(x.arg)
        if x.dim is None:
            return set()
        if x.dim not in inner:
            raise FormulaError(f"sum over {x.dim!r}, but the expression does not vary by it", where=where,
                               hint=f"it varies by {sorted(inner) or 'nothing'}")
        return inner - {x.dim}

    got = go(e)
    return tuple(d for d in dims if d in got)


def _check_divisor(inp: Input, where: str) -> None:
    if np.any((inp.lo <= 0) & (inp.hi >= 0)):
        raise FormulaError(f"division by {inp.name!r}, whose value or bounds include zero", where=where,
                           hint=f"give {inp.name} a positive min (or value), or rewrite the formula")


def _is_flow(e: Expr, inputs: dict[str, Input], nodes: dict[str, Node]) -> bool:
    """Additive over time (customers, sales) as opposed to rates and prices: phasing splits flows only."""
    if isinstance(e, Num):
        return False
    if isinstance(e, Ref):
        return inputs[e.name].flow if e.name in inputs else nodes[e.name].flow
    if isinstance(e, Neg):
        return _is_flow(e.operand, inputs, nodes)
    if isinstance(e, Sum):
        return _is_flow(e.arg, inputs, nodes)
    if isinstance(e, Ext):
        return _is_flow(e.a, inputs, nodes) and _is_flow(e.b, inputs, nodes)
    left, right = _is_flow(e.left, inputs, nodes), _is_flow(e.right, inputs, nodes)
    if e.op in "+-":
        return left or right
    if e.op == "*":
        return left != right
    return left and not right


def _resolve_constraint(model: Model, name: str, text: str) -> Constraint:
    where = f"constraints.{name}"
    name, declared = _split_key(name, where)
    for d in declared:
        if d not in model.dims:
            raise FormulaError(f"unknown dimension {d!r}", where=where,
                               hint=f"declared dimensions: {', '.join(model.dims) or 'none'}")
    lhs, sense, rhs = parse_constraint(str(text), where)
    for side in (lhs, rhs):
        for r in refs(side):
            if r.name not in model.inputs and r.name not in model.nodes:
                raise _unknown_name(r.name, str(text), list(model.inputs) + list(model.nodes), where)
    both = set(_dims_of(lhs, model.inputs, model.nodes, model.dims, where))
    both |= set(_dims_of(rhs, model.inputs, model.nodes, model.dims, where))
    # An indexed constraint holds for every label of its dimensions.
    return Constraint(name, lhs, sense, rhs, str(text), tuple(d for d in model.dims if d in both))


def _check_target(model: Model) -> None:
    t = model.scenario.target
    if t.node not in model.nodes and t.node not in model.inputs:
        close = difflib.get_close_matches(t.node, list(model.nodes), n=1)
        raise InputError(f"target node {t.node!r} does not exist", where="target.node",
                         hint=f"did you mean {close[0]!r}?" if close else f"nodes: {', '.join(model.nodes)}")
    if model.dims_of(t.node):
        raise InputError(f"target node {t.node!r} is indexed by {list(model.dims_of(t.node))}",
                         where="target.node", hint=f"add a scalar node, e.g. total: sum({t.node}), and target it")
