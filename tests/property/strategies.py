"""Hypothesis strategies that build valid formula trees and scenarios directly (never by parsing).

``formulas()`` draws any formula node tree in the parser's canonical form (a negated number is a
``Num``, never ``Neg(Num)``), for the print → parse round trip.

``tree_scenarios()`` draws a small driver tree — products and sums of a few inputs over zero or one
dimension, optionally with named intermediate nodes and a down-lever divisor — that is increasing
in every lever's uplift, so its largest value is reached with every lever at its bound. The draw
comes with its own reference evaluator (``TreeCase.value``), independent of planner's, and the
target's reachable range, so a property can pick targets that are known to be reachable.
"""

from __future__ import annotations

import copy
import keyword
import math
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from planner.tree.nodes import Bin, Expr, Ext, Neg, Num, Ref, Sum, to_text

DIM = "p"

# --- formulas for the round trip -------------------------------------------------------------------

_identifier = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: not keyword.iskeyword(s))
_label = st.one_of(_identifier, st.sampled_from(["信托", "资管", "万能险", "渠道A", "01", "1月", "A 类", "if", "ｘ"]),
                   st.integers(0, 99).map(str), st.text(min_size=1, max_size=4))
_number = st.one_of(
    st.integers(-10**6, 10**6).map(float),
    st.floats(min_value=-1e18, max_value=1e18, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.02, 1e-7, 5e10, 1_000_000.0, 0.1 + 0.2]),
)


def _negate(e: Expr) -> Expr:
    return Num(-e.value) if isinstance(e, Num) else Neg(e)


formula_leaves = st.one_of(
    _number.map(Num),
    st.builds(Ref, _identifier),
    st.builds(Ref, _identifier, st.one_of(_identifier, _label)),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(Bin, st.sampled_from(["+", "-", "*", "/"]), children, children),
        children.filter(lambda e: not isinstance(e, Num)).map(_negate),
        st.builds(Sum, children, st.none() | _identifier),
        st.builds(Ext, st.sampled_from(["min", "max"]), children, children),
    )


formulas = st.recursive(formula_leaves, _extend, max_leaves=12)


# --- driver-tree scenarios ---------------------------------------------------------------------------

@dataclass
class TreeCase:
    """A drawn scenario dict, the exprs behind its nodes, and what it takes to evaluate them."""

    raw: dict[str, Any]
    labels: list[str]  # the labels of dimension p ([] when the tree has no dimension)
    nodes: dict[str, tuple[Expr, bool]] = field(default_factory=dict)  # name → (expr, indexed)

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        return self.raw["inputs"]

    def levers(self) -> list[str]:
        return [n for n, s in self.inputs.items() if not (s.get("fixed") or s.get("uncontrollable"))]

    def at_baseline(self) -> dict[str, Any]:
        """Levers at baseline, fixed and uncontrollable inputs at their `assume` (or baseline)."""
        return {n: s.get("assume", s["baseline"]) if n not in self.levers() else s["baseline"]
                for n, s in self.inputs.items()}

    def at_best(self) -> dict[str, Any]:
        """Every lever at the bound that helps the target most (up: its cap; down: its floor)."""
        values = self.at_baseline()
        for n in self.levers():
            spec = self.inputs[n]
            cap = _cap(spec)
            if spec.get("direction") == "down":
                values[n] = _per(spec["baseline"], lambda b, c=cap: b / c)
            elif spec.get("integer"):  # the graph's rule: floor(cap + 1e-9)
                values[n] = _per(spec["baseline"], lambda b, c=cap: float(math.floor(b * c + 1e-9)))
            else:
                values[n] = _per(spec["baseline"], lambda b, c=cap: b * c)
        return values

    def value(self, values: dict[str, Any], name: str = "total") -> float:
        """The reference evaluator: one label at a time, with plain Python floats."""
        expr, _ = self.nodes[name]
        return self._eval(expr, values, None)

    def _eval(self, e: Expr, values: dict[str, Any], label: str | None) -> float:
        if isinstance(e, Num):
            return e.value
        if isinstance(e, Ref):
            lab = e.index if e.index is not None and e.index != DIM else label
            if e.name in self.nodes:
                return self._eval(self.nodes[e.name][0], values, lab)
            v = values[e.name]
            return float(v[lab]) if isinstance(v, dict) else float(v)
        if isinstance(e, Sum):
            if not _varies(e.arg, self):
                return self._eval(e.arg, values, None)
            return math.fsum(self._eval(e.arg, values, lab) for lab in self.labels)
        assert isinstance(e, Bin)
        a, b = self._eval(e.left, values, label), self._eval(e.right, values, label)
        return {"+": a + b, "*": a * b, "/": a / b}[e.op]


def _per(v: Any, f: Any) -> Any:
    return {k: f(x) for k, x in v.items()} if isinstance(v, dict) else f(v)


def _cap(spec: dict[str, Any]) -> float:
    """The largest uplift factor a lever may take (planned ÷ baseline, or baseline ÷ planned if down)."""
    caps = [spec["max_uplift"]] if "max_uplift" in spec else []
    if isinstance(spec.get("effort"), list):
        caps.append(spec["effort"][-1]["upto"])
    return min(caps)


def _varies(e: Expr, case: TreeCase) -> bool:
    """Whether the expression varies by dimension p."""
    if isinstance(e, Num):
        return False
    if isinstance(e, Ref):
        if e.index is not None and e.index != DIM:
            return False
        if e.name in case.nodes:
            return case.nodes[e.name][1]
        return isinstance(case.inputs[e.name]["baseline"], dict)
    if isinstance(e, Sum):
        return False
    assert isinstance(e, Bin)
    return _varies(e.left, case) or _varies(e.right, case)


_positive = st.one_of(st.sampled_from([1.0, 0.02, 0.5, 100.0, 20000.0, 1e6]),
                      st.floats(0.01, 1000.0).map(lambda v: float(f"{v:.4g}")))
_uplift = st.floats(1.1, 4.0).map(lambda v: round(v, 2))


@st.composite
def _input_spec(draw: st.DrawFn, labels: list[str], kind: str, direction: str = "up") -> dict[str, Any]:
    indexed = bool(labels) and draw(st.booleans())
    integer = kind == "lever" and direction == "up" and draw(st.integers(0, 4)) == 0  # seats, people
    values = st.integers(5, 500).map(float) if integer else _positive
    spec: dict[str, Any] = {"baseline": {lab: draw(values) for lab in labels} if indexed else draw(values)}
    if integer:
        spec["integer"] = True
    if kind != "lever":
        spec[kind] = True
        if draw(st.booleans()):
            spec["assume"] = _per(spec["baseline"], lambda b: float(f"{b * draw(st.floats(0.5, 1.5)):.4g}"))
        return spec
    if direction == "down":
        spec["direction"] = "down"
    if draw(st.booleans()):
        spec["effort"] = round(draw(st.floats(0.25, 4.0)), 2)
        spec["max_uplift"] = draw(_uplift)
    else:  # convex steps: weights do not decrease; the last `upto` is a cap
        u1 = draw(_uplift.filter(lambda u: u < 3.5))
        w1 = round(draw(st.floats(0.25, 2.0)), 2)
        spec["effort"] = [{"upto": u1, "weight": w1},
                          {"upto": round(u1 + draw(st.floats(0.2, 2.0)), 2),
                           "weight": round(w1 + draw(st.floats(0.0, 4.0)), 2)}]
        if draw(st.booleans()):
            spec["max_uplift"] = draw(_uplift)
    return spec


@st.composite
def _expr(draw: st.DrawFn, case: TreeCase, ups: list[str], depth: int) -> Expr:
    """An increasing expression over up-inputs: leaves, products, sums, scaled terms, sum(...)."""
    shape = draw(st.sampled_from(["leaf"] if depth == 0 else ["leaf", "mul", "mul", "add", "scale", "sum"]))
    if shape == "leaf":
        name = draw(st.sampled_from(ups))
        if case.labels and isinstance(case.inputs[name]["baseline"], dict) and draw(st.integers(0, 3)) == 0:
            return Ref(name, draw(st.sampled_from(case.labels)))  # one label of an indexed input
        return Ref(name)
    if shape == "scale":
        return Bin("*", Num(draw(st.sampled_from([0.5, 2.0, 250.0, 1.3]))), draw(_expr(case, ups, depth - 1)))
    if shape == "sum":
        return Sum(draw(_expr(case, ups, depth - 1)))
    op = "*" if shape == "mul" else "+"
    return Bin(op, draw(_expr(case, ups, depth - 1)), draw(_expr(case, ups, depth - 1)))


def _name_parts(draw: st.DrawFn, case: TreeCase, e: Expr) -> Expr:
    """Turn some inner subexpressions into named nodes (a tree of nodes, not one long formula)."""
    if isinstance(e, Bin | Sum):
        if isinstance(e, Bin):
            e = Bin(e.op, _name_parts(draw, case, e.left), _name_parts(draw, case, e.right))
        else:
            e = Sum(_name_parts(draw, case, e.arg))
        if draw(st.integers(0, 2)) == 0:
            name = f"n{len(case.nodes)}"
            case.nodes[name] = (e, _varies(e, case))
            return Ref(name)
    return e


@st.composite
def tree_scenarios(draw: st.DrawFn, max_inputs: int = 4, max_depth: int = 3) -> TreeCase:
    """A valid scenario whose target ``total`` is increasing in every lever (target left to the caller)."""
    labels = draw(st.sampled_from([[], ["a", "b"], ["a", "b", "c"]]))
    raw: dict[str, Any] = {"name": "generated", "inputs": {}, "nodes": {}, "target": {"node": "total"}}
    if labels:
        raw["dimensions"] = {DIM: labels}
    case = TreeCase(raw, labels)
    n = draw(st.integers(1, max_inputs))
    kinds = ["lever"] + [draw(st.sampled_from(["lever", "lever", "fixed", "uncontrollable"])) for _ in range(n - 1)]
    for i, kind in enumerate(kinds):
        raw["inputs"][f"x{i}"] = draw(_input_spec(labels, kind))
    expr = draw(_expr(case, list(raw["inputs"]), draw(st.integers(1, max_depth))))
    if draw(st.integers(0, 3)) == 0:  # a cost to cut: dividing by a down lever raises the target
        raw["inputs"]["d0"] = draw(_input_spec(labels, "lever", "down"))
        expr = Bin("/", expr, Ref("d0"))
    expr = _name_parts(draw, case, expr)
    if _varies(expr, case):
        expr = Sum(expr)
    case.nodes["total"] = (expr, False)
    for name, (e, indexed) in case.nodes.items():
        raw["nodes"][f"{name}[{DIM}]" if indexed else name] = to_text(e)
    return case


def with_target(case: TreeCase, at_least: float) -> dict[str, Any]:
    """The scenario dict with ``target.at_least`` set (a copy)."""
    raw = copy.deepcopy(case.raw)
    raw["target"]["at_least"] = at_least
    return raw
