"""The forward evaluator: every node from input values, vectorised over any number of samples.

It is the judge of every plan: ``achieved`` and every planned node value come from here, never
from a linearised model. Arrays carry a leading sample axis; dimensions follow in declaration order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from planner.tree.graph import Model
from planner.tree.nodes import Bin, Expr, Ext, Neg, Num, Ref, Sum

Labeled = tuple[np.ndarray, tuple[str, ...]]  # (array with sample axis first, its dimensions)


def evaluate(model: Model, values: Mapping[str, np.ndarray] | None = None, *,
             samples: int | None = None) -> dict[str, np.ndarray]:
    """Evaluate every input and node.

    Parameters
    ----------
    values : input name → value, shaped like the input's dimensions, or with a leading sample axis.
        Inputs not given take their scenario value (levers: baseline; others: ``assume`` or baseline).
    samples : number of samples when any value has a sample axis (inferred if omitted).

    Returns
    -------
    name → array. With no sample axis in the inputs, arrays are shaped by dimensions only.
    """
    env, squeeze = _inputs_env(model, values or {}, samples)
    for node in model.nodes.values():
        arr, dims = _eval(node.expr, env, model, False)
        env[node.name] = (broadcast_dims(arr, dims, node.dims, model), node.dims)
    return {k: (v[0][0] if squeeze else v[0]) for k, v in env.items()}


def evaluate_expr(model: Model, expr: Expr, results: Mapping[str, np.ndarray], *, absolute: bool = False,
                  dims: tuple[str, ...] | None = None) -> np.ndarray:
    """Evaluate one formula on evaluated results (no sample axis). ``absolute`` gives its magnitude:
    the sum of the absolute values of its terms, the scale that "relative" tolerances refer to."""
    env = {k: (np.asarray(v)[None, ...], model.dims_of(k)) for k, v in results.items()}
    arr, got = _eval(expr, env, model, absolute)
    return broadcast_dims(arr, got, dims if dims is not None else got, model)[0]


def evaluate_formula(expr: Expr, env: Mapping[str, Labeled], space: Model) -> Labeled:
    """Evaluate one formula on labeled arrays ``name → (array with samples first, its dims)``.

    ``space`` is anything with ``dims`` (name → labels, in declaration order) and ``shape(dims)``:
    a Model, or the lighter formula tree tracking rebuilds from a plan. Overflow and 0/0 give
    inf/NaN for the caller to judge, not warnings.
    """
    with np.errstate(all="ignore"):
        return _eval(expr, dict(env), space, False)


def _inputs_env(model: Model, values: Mapping[str, np.ndarray], samples: int | None) -> tuple[dict[str, Labeled], bool]:
    n = samples
    for name, v in values.items():
        v = np.asarray(v, dtype=float)
        if name in model.inputs and v.ndim == len(model.inputs[name].dims) + 1:
            n = n or v.shape[0]
    squeeze = n is None
    n = n or 1
    env: dict[str, Labeled] = {}
    for name, inp in model.inputs.items():
        v = np.asarray(values.get(name, inp.value), dtype=float)
        if v.ndim == len(inp.dims):
            v = np.broadcast_to(v, (n, *v.shape))
        env[name] = (v, inp.dims)
    return env, squeeze


def broadcast_dims(arr: np.ndarray, have: tuple[str, ...], want: tuple[str, ...], model: Model) -> np.ndarray:
    """Reshape (samples, *have) to (samples, *want); ``have`` ⊆ ``want``, both in declaration order."""
    idx = (slice(None),) + tuple(slice(None) if d in have else None for d in want)
    out = arr[idx]
    return np.broadcast_to(out, (arr.shape[0], *model.shape(want)))


def union_dims(a: tuple[str, ...], b: tuple[str, ...], model: Model) -> tuple[str, ...]:
    return tuple(d for d in model.dims if d in a or d in b)


def _eval(e: Expr, env: dict[str, Labeled], model: Model, absolute: bool) -> Labeled:
    if isinstance(e, Num):
        return np.array([abs(e.value) if absolute else e.value]), ()
    if isinstance(e, Ref):
        if absolute and e.name in model.nodes:
            # Magnitude of a row = Σ |terms| all the way down, so `profit >= 0` has a real scale.
            node = model.nodes[e.name]
            arr, dims = _eval(node.expr, env, model, True)
            arr, dims = broadcast_dims(arr, dims, node.dims, model), node.dims
        else:
            arr, dims = env[e.name]
        if absolute:
            arr = np.abs(arr)
        if e.index is None or e.index in model.dims:
            return arr, dims
        d = next(x for x in dims if e.index in model.dims[x])
        axis = 1 + dims.index(d)
        return np.take(arr, model.dims[d].index(e.index), axis=axis), tuple(x for x in dims if x != d)
    if isinstance(e, Neg):
        arr, dims = _eval(e.operand, env, model, absolute)
        return (arr if absolute else -arr), dims
    if isinstance(e, Sum):
        arr, dims = _eval(e.arg, env, model, absolute)
        if e.dim is None:
            return arr.reshape(arr.shape[0], -1).sum(axis=1), ()
        return arr.sum(axis=1 + dims.index(e.dim)), tuple(x for x in dims if x != e.dim)
    if isinstance(e, Bin | Ext):
        left, right = (e.left, e.right) if isinstance(e, Bin) else (e.a, e.b)
        la, ld = _eval(left, env, model, absolute)
        ra, rd = _eval(right, env, model, absolute)
        dims = union_dims(ld, rd, model)
        la, ra = broadcast_dims(la, ld, dims, model), broadcast_dims(ra, rd, dims, model)
        op = e.op if isinstance(e, Bin) else e.kind
        return _apply(op, la, ra, absolute), dims
    raise TypeError(f"unknown formula node {type(e).__name__}")


def _apply(op: str, a: np.ndarray, b: np.ndarray, absolute: bool) -> np.ndarray:
    if op == "+" or (op == "-" and absolute):
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b
    if absolute:
        return np.maximum(a, b)
    return np.minimum(a, b) if op == "min" else np.maximum(a, b)
