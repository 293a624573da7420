"""Attribution down a formula tree: the contributions add up to the gap exactly, whatever the signs.

Random trees of sums, differences, products, quotients, sums over a dimension and label selections,
with random plan and actual values (zeros and negatives included: the LMDI log guards), and with
intermediate nodes that do or do not close (actual ≠ formula of the actual drivers: a residual).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.tracking.attribution import Tree, evaluate, logmean, split_gap
from planner.tree.nodes import Bin, Expr, Neg, Num, Ref, Sum

DIMS = {"p": ["a", "b"]}
INPUTS = {"x0": (), "x1": (), "y0": ("p",), "y1": ("p",)}
S = 3  # samples (teams × months) per draw

_leaf = st.sampled_from([Ref("x0"), Ref("x1"), Ref("y0"), Ref("y1"), Ref("y0", "a"), Ref("y1", "b"), Num(2.0)])


def _grow(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(st.builds(Bin, st.sampled_from("+-*/"), children, children),
                     st.builds(Sum, children), st.builds(Neg, children))


_exprs = st.recursive(_leaf, _grow, max_leaves=6)
# Business values: zeros and negatives included, but no denormal-tiny divisors (1e-300), whose
# 1e300 factors would only test floating-point cancellation, not the attribution.
_value = st.one_of(st.sampled_from([0.0, -1.0, 1.0, 2.5, 1e-3, -0.5]), st.integers(-50, 50).map(float),
                   st.floats(min_value=0.01, max_value=50), st.floats(min_value=-50, max_value=-0.01))


def _tree(inner: Expr, outer: Expr) -> Tree:
    tree = Tree(DIMS, dict(INPUTS), {})
    probe = {n: np.ones((1, *tree.shape(d))) for n, d in INPUTS.items()}
    _, dims = evaluate(tree, probe, inner)
    tree.name_dims["n"], tree.nodes["n"] = dims, inner
    probe["n"] = np.ones((1, *tree.shape(dims)))
    _, dims = evaluate(tree, probe, outer)
    tree.name_dims["t"], tree.nodes["t"] = dims, outer
    return tree


def _values(draw: st.DrawFn, tree: Tree, close: bool) -> dict[str, np.ndarray]:
    v = {n: np.array(draw(st.lists(_value, min_size=S * 2, max_size=S * 2)))[: S * max(1, math.prod(tree.shape(d)))]
         .reshape(S, *tree.shape(d)) for n, d in INPUTS.items()}
    for node in ("n", "t"):
        arr, dims = evaluate(tree, v, tree.nodes[node])
        arr = np.broadcast_to(arr, (S, *tree.shape(dims))).astype(float)
        if not close and node == "n":
            arr = arr + draw(_value)  # the metrics do not close: the node's actual ≠ its formula
        v[node] = arr
    return v


@st.composite
def cases(draw: st.DrawFn) -> tuple[Tree, dict, dict]:
    inner = draw(_exprs)
    outer = Bin(draw(st.sampled_from("+-*/")), Ref("n"), draw(_exprs))
    tree = _tree(inner, outer)
    return tree, _values(draw, tree, True), _values(draw, tree, draw(st.booleans()))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_contributions_add_up_to_the_gap(case: tuple[Tree, dict, dict]) -> None:
    tree, plan, actual = case
    finite = all(np.all(np.isfinite(v)) and np.all(np.abs(v) < 1e12) for v in [*plan.values(), *actual.values()])
    assume(finite)
    split = split_gap(tree, "t", plan, actual, {"t", "n"})
    gap = (actual["t"] - plan["t"]).reshape(S, -1).sum(axis=1)
    parts = [np.abs(c).reshape(S, -1).sum(axis=1) for c in split.contributions.values()]
    scale = np.abs(gap) + np.sum(parts, axis=0) + sum(np.abs(r) for r in split.residuals.values()) + 1.0
    assert np.all(np.abs(split.total() - gap) <= 1e-9 * scale)
    assert all(np.all(np.isfinite(c)) for c in split.contributions.values())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=100), min_size=6, max_size=6))
def test_positive_product_is_textbook_lmdi(xs: list[float]) -> None:
    tree = Tree({}, {"a": (), "b": (), "c": (), "y": ()},
                {"y": Bin("*", Bin("*", Ref("a"), Ref("b")), Ref("c"))})
    v0 = {k: np.array([x]) for k, x in zip("abc", xs[:3], strict=True)}
    v1 = {k: np.array([x]) for k, x in zip("abc", xs[3:], strict=True)}
    v0["y"], v1["y"] = v0["a"] * v0["b"] * v0["c"], v1["a"] * v1["b"] * v1["c"]
    split = split_gap(tree, "y", v0, v1, {"y"})
    weight = logmean(v1["y"], v0["y"])
    for k in "abc":  # ΔV_k = L(y¹, y⁰) · ln(x_k¹ / x_k⁰), the log-mean Divisia index (type I)
        assert split.contributions[k][0] == np.float64(weight * np.log(v1[k] / v0[k]))[0] or math.isclose(
            split.contributions[k][0], float(weight[0] * np.log(v1[k][0] / v0[k][0])), rel_tol=1e-9, abs_tol=1e-12)
