"""Split a gap (actual − plan) exactly into the contributions of the drivers, down the formula tree.

Each formula is walked like reverse-mode differentiation, but with *exact* finite-change factors
instead of derivatives: for ``e = a · b`` the LMDI rule (log-mean Divisia)

    Δe = L(e₁, e₀) · ln(a₁/a₀) + L(e₁, e₀) · ln(b₁/b₀) = (L(e)/L(a)) · Δa + (L(e)/L(b)) · Δb

with ``L(x, y) = (x − y) / (ln x − ln y)`` the logarithmic mean; for sums plain differences
(factor ±1); for a quotient the same with a minus sign. Where a value is zero or negative (no
logarithm) the two-factor midpoint (Shapley) rule ``Δ(ab) = Δa·(b₀+b₁)/2 + Δb·(a₀+a₁)/2`` is used
instead — also exact. Factors multiply along each path, so a driver deep in the tree gets its
share of the top gap; a node whose actual does not equal its formula on the actual drivers (the
metrics do not close) keeps the difference as an explicit *residual* term. Hence, per sample,
``Σ contributions + Σ residuals = gap`` by construction (telescoping), to floating-point accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from planner.tree.evaluate import Labeled, broadcast_dims, evaluate_formula, union_dims
from planner.tree.nodes import Bin, Expr, Neg, Num, Ref, Sum, refs


@dataclass
class Tree:
    """The formulas of a plan: dimension labels, every name's dimensions, nodes in evaluation order."""

    dims: dict[str, list[str]]
    name_dims: dict[str, tuple[str, ...]]
    nodes: dict[str, Expr]  # node name → parsed formula, in evaluation order

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(len(self.dims[d]) for d in dims)

    def subtree(self, name: str) -> list[str]:
        """Every name ``name`` depends on (itself included), in evaluation order."""
        seen: set[str] = set()
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in self.nodes:
                stack.extend(r.name for r in refs(self.nodes[n]))
        order = [n for n in self.name_dims if n not in self.nodes] + list(self.nodes)
        return [n for n in order if n in seen]


@dataclass
class Split:
    """Contributions (name → samples × its dims) and node residuals (name → samples) of a gap."""

    gap: np.ndarray
    contributions: dict[str, np.ndarray] = field(default_factory=dict)
    residuals: dict[str, np.ndarray] = field(default_factory=dict)

    def total(self) -> np.ndarray:
        """Per sample: Σ contributions + Σ residuals (equals ``gap``)."""
        s = len(self.gap)
        parts = [c.reshape(s, -1).sum(axis=1) for c in self.contributions.values()]
        parts += list(self.residuals.values())
        return np.sum(parts, axis=0) if parts else np.zeros(s)


def logmean(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The logarithmic mean ``(x − y)/(ln x − ln y)`` of positive arrays (``x`` where x = y)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = np.log(x) - np.log(y)
        close = np.abs(d) < 1e-10
        return np.where(close, (x + y) / 2, (x - y) / np.where(close, 1.0, d))


def evaluate(tree: Tree, values: Mapping[str, np.ndarray], expr: Expr) -> Labeled:
    """Evaluate a formula on values shaped (samples, *dims of each name): the core evaluator."""
    env = {n: (np.asarray(v, float), tree.name_dims[n]) for n, v in values.items() if n in tree.name_dims}
    return evaluate_formula(expr, env, tree)


def split_gap(tree: Tree, target: str, plan: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray],
              broken_down: set[str]) -> Split:
    """Split ``actual[target] − plan[target]`` (per sample) into the contributions of the drivers.

    Parameters
    ----------
    plan, actual : name → array (samples, *dims) for every name in the target's subtree that is
        used (the target, the nodes in ``broken_down`` and everything their formulas reference).
    broken_down : nodes whose formulas are followed; any other name is a leaf driver.
    """
    with np.errstate(all="ignore"):  # non-finite factors are zeroed in _factors; the residual keeps the rest
        return _split(tree, target, plan, actual, broken_down)


def _split(tree: Tree, target: str, plan: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray],
           broken_down: set[str]) -> Split:
    gap = np.asarray(actual[target], float) - np.asarray(plan[target], float)
    n = gap.shape[0]
    k: dict[str, np.ndarray] = {target: np.ones(gap.shape)}
    out = Split(gap=gap)
    for name in reversed(tree.subtree(target)):
        if name not in k:
            continue
        coef = k.pop(name)
        delta = np.asarray(actual[name], float) - np.asarray(plan[name], float)
        if name in tree.nodes and name in broken_down:
            pushed: dict[str, np.ndarray] = {}
            _push(tree.nodes[name], coef, tree.name_dims[name], plan, actual, tree, pushed)
            explained = np.zeros(n)
            for child, kc in pushed.items():
                dc = np.asarray(actual[child], float) - np.asarray(plan[child], float)
                explained += (kc * dc).reshape(n, -1).sum(axis=1)
                k[child] = k[child] + kc if child in k else kc
            res = (coef * delta).reshape(n, -1).sum(axis=1) - explained
            if np.any(res != 0):
                out.residuals[name] = res
        else:
            out.contributions[name] = coef * delta
    return out


# --- evaluation ----------------------------------------------------------------------------------


def _reduce(arr: np.ndarray, have: tuple[str, ...], want: tuple[str, ...]) -> np.ndarray:
    """Sum (samples, *have) down to (samples, *want): a coefficient on a broadcast axis adds up."""
    axes = tuple(1 + i for i, d in enumerate(have) if d not in want)
    return arr.sum(axis=axes) if axes else arr


# --- the backward pass ---------------------------------------------------------------------------


def _push(e: Expr, coef: np.ndarray, cdims: tuple[str, ...], v0: Mapping[str, np.ndarray],
          v1: Mapping[str, np.ndarray], tree: Tree, out: dict[str, np.ndarray]) -> None:
    """Add to ``out[name]`` the exact factor (money per unit change of ``name``) along ``e``."""
    if isinstance(e, Num):
        return
    if isinstance(e, Ref):
        _push_ref(e, coef, cdims, tree, out)
        return
    if isinstance(e, Neg):
        _push(e.operand, -coef, cdims, v0, v1, tree, out)
        return
    if isinstance(e, Sum):
        _, adims = evaluate(tree, v0, e.arg)
        _push(e.arg, broadcast_dims(coef, cdims, adims, tree), adims, v0, v1, tree, out)
        return
    left, right = (e.left, e.right) if isinstance(e, Bin) else (e.a, e.b)
    (a0, ad), (b0, bd) = evaluate(tree, v0, left), evaluate(tree, v0, right)
    (a1, _), (b1, _) = evaluate(tree, v1, left), evaluate(tree, v1, right)
    dims = union_dims(ad, bd, tree)
    a0, a1 = broadcast_dims(a0, ad, dims, tree), broadcast_dims(a1, ad, dims, tree)
    b0, b1 = broadcast_dims(b0, bd, dims, tree), broadcast_dims(b1, bd, dims, tree)
    op = e.op if isinstance(e, Bin) else e.kind
    fa, fb = _factors(op, a0, a1, b0, b1)
    k = broadcast_dims(coef, cdims, dims, tree)
    _push(left, _reduce(k * fa, dims, ad), ad, v0, v1, tree, out)
    _push(right, _reduce(k * fb, dims, bd), bd, v0, v1, tree, out)


def _push_ref(e: Ref, coef: np.ndarray, cdims: tuple[str, ...], tree: Tree, out: dict[str, np.ndarray]) -> None:
    ndims = tree.name_dims[e.name]
    if e.index is None or e.index in tree.dims:
        k = _reduce(broadcast_dims(coef, cdims, tuple(d for d in tree.dims if d in cdims or d in ndims), tree),
                    tuple(d for d in tree.dims if d in cdims or d in ndims), ndims)
        k = broadcast_dims(k, ndims, ndims, tree)
    else:  # a selection x[label]: the coefficient lands on that label only
        d = next(x for x in ndims if e.index in tree.dims[x])
        rest = tuple(x for x in ndims if x != d)
        k = np.zeros((coef.shape[0], *tree.shape(ndims)))
        idx = [slice(None)] * k.ndim
        idx[1 + ndims.index(d)] = tree.dims[d].index(e.index)
        k[tuple(idx)] = _reduce(coef, cdims, rest)
    out[e.name] = out[e.name] + k if e.name in out else np.array(k, dtype=float)


def _factors(op: str, a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact change factors (fa, fb) with Δ(a op b) = fa·Δa + fb·Δb."""
    one = np.ones(np.broadcast_shapes(a0.shape, b0.shape))
    if op in ("+", "-"):
        return one, (one if op == "+" else -one)
    if op in ("min", "max"):  # follow the active side when it does not switch; a switch stays residual
        pick = np.minimum if op == "min" else np.maximum
        left0, left1 = pick(a0, b0) == a0, pick(a1, b1) == a1
        return np.where(left0 & left1, 1.0, 0.0), np.where(~left0 & ~left1, 1.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e0, e1 = (a0 * b0, a1 * b1) if op == "*" else (a0 / b0, a1 / b1)
        positive = (a0 > 0) & (a1 > 0) & (b0 > 0) & (b1 > 0)
        le = logmean(np.where(positive, e1, 1.0), np.where(positive, e0, 1.0))
        la = logmean(np.where(positive, a1, 1.0), np.where(positive, a0, 1.0))
        lb = logmean(np.where(positive, b1, 1.0), np.where(positive, b0, 1.0))
        if op == "*":
            fa = np.where(positive, le / la, (b0 + b1) / 2)
            fb = np.where(positive, le / lb, (a0 + a1) / 2)
        else:
            fa = np.where(positive, le / la, (1 / b0 + 1 / b1) / 2)
            fb = np.where(positive, -le / lb, -(a0 + a1) / 2 / (b0 * b1))
    # A zero divisor has no finite factor: leave it to the node's residual, never a NaN.
    return np.where(np.isfinite(fa), fa, 0.0), np.where(np.isfinite(fb), fb, 0.0)
