"""The gap to date, split down the tree, then summed by driver, by product, by team and by month.

Every table here is a different sum of the same exact split (``attribution.split_gap`` over every
team × month), so each adds up to the same gap. Floating-point residue (1e-16 relative) and node
residuals smaller than ``1e-9`` of the gap are folded into the largest part, so the printed parts
add up to the printed gap exactly; a material residual (the metrics do not close: sales ≠ leads ×
rates) is shown as its own line, never hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.tracking.attribution import Split, split_gap
from planner.tracking.frame import TrackData
from planner.tree.nodes import Bin, Expr, Ref, Sum, refs

RESIDUAL = "未闭合 residual"


@dataclass
class Explained:
    gap: float
    by_driver: dict[str, float]  # driver name (all labels) → contribution
    by_driver_label: dict[str, float]  # "conversion[信托]" → contribution
    by_unit: dict[str, float]  # team → its gap
    by_product: dict[str, float]  # label of the target's parts (plain differences) → gap
    by_unit_driver: dict[str, dict[str, float]]  # team → driver → contribution
    by_month_driver_label: dict[str, np.ndarray] = field(default_factory=dict)  # driver[label] → (done,)
    split: Split | None = None

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        return sorted(self.by_driver.items(), key=lambda kv: -abs(kv[1]))[:n]


def explain(data: TrackData) -> Explained:
    """Split the target's gap to date (per team and month) and sum it up several ways."""
    u, d = len(data.units), data.done
    names = [n for n in data.tree.subtree(data.target) if n in data.actual]
    plan = {n: _flat(data.plan_done(n), u, d) for n in names}
    actual = {n: _flat(data.actual[n], u, d) for n in names}
    sp = split_gap(data.tree, data.target, plan, actual, data.broken_down)
    gap = float(math.fsum(sp.gap))
    by_dl: dict[str, np.ndarray] = {}  # driver[label] → (units, done)
    for name, c in sp.contributions.items():
        dims = data.tree.name_dims[name]
        flat = c.reshape(u, d, -1)
        for j, lab in enumerate(_labels(data, dims)):
            key = f"{name}[{'/'.join(lab)}]" if lab else name
            by_dl[key] = flat[:, :, j]
    for node, res in sp.residuals.items():
        by_dl[f"{RESIDUAL} ({node})"] = res.reshape(u, d)
    _fold_noise(by_dl, gap)
    by_driver: dict[str, float] = {}
    by_unit_driver: dict[str, dict[str, float]] = {x: {} for x in data.units}
    for key, arr in by_dl.items():
        drv = key.split("[")[0]
        by_driver[drv] = by_driver.get(drv, 0.0) + float(arr.sum())
        for i, x in enumerate(data.units):
            by_unit_driver[x][drv] = by_unit_driver[x].get(drv, 0.0) + float(arr[i].sum())
    by_unit = {x: float(sp.gap.reshape(u, d)[i].sum()) for i, x in enumerate(data.units)}
    return Explained(gap=gap, by_driver=by_driver, by_driver_label={k: float(v.sum()) for k, v in by_dl.items()},
                     by_unit=by_unit, by_product=_by_product(data, plan, actual),
                     by_unit_driver=by_unit_driver, by_month_driver_label={k: v.sum(axis=0) for k, v in by_dl.items()},
                     split=sp)


def _flat(arr: np.ndarray, u: int, d: int) -> np.ndarray:
    return np.asarray(arr, float).reshape(u * d, *arr.shape[2:])


def _labels(data: TrackData, dims: tuple[str, ...]) -> list[tuple[str, ...]]:
    import itertools

    return list(itertools.product(*(data.tree.dims[x] for x in dims)))


def _fold_noise(parts: dict[str, np.ndarray], gap: float) -> None:
    """Fold float residue and negligible residuals into the largest part: the parts add up exactly."""
    tiny = 1e-9 * max(1.0, abs(gap), *(abs(float(v.sum())) for v in parts.values()))
    for key in [k for k in parts if k.startswith(RESIDUAL) and abs(float(parts[k].sum())) <= tiny
                and np.all(np.abs(parts[k]) <= tiny)]:
        res = parts.pop(key)
        big = max(parts, key=lambda k: abs(float(parts[k].sum())), default=None)
        if big is not None:
            parts[big] = parts[big] + res
    if not parts:
        return
    big = max(parts, key=lambda k: abs(float(parts[k].sum())))
    arr = parts[big].copy()
    arr.flat[int(np.argmax(np.abs(arr)))] += gap - math.fsum(float(v.sum()) for v in parts.values())
    parts[big] = arr


def _by_product(data: TrackData, plan: dict[str, np.ndarray], actual: dict[str, np.ndarray]) -> dict[str, float]:
    """The target's gap by the labels of the flows it adds up (plain differences: exact)."""
    out: dict[str, float] = {}
    expr = data.tree.nodes.get(data.target)
    if expr is None or data.target not in data.broken_down or not _is_sum(expr):
        return out

    for r in refs(expr):
        dims = data.tree.name_dims[r.name]
        diff = (actual[r.name] - plan[r.name]).reshape(actual[r.name].shape[0], -1).sum(axis=0)
        labels = _labels(data, dims)
        for j, lab in enumerate(labels):
            key = "/".join(lab) if lab else r.name
            out[key] = out.get(key, 0.0) + float(diff[j])
    # The target's plan is the stated target; its parts are the plan's formula values: the plan
    # over- or under-shooting its own target by rounding shows here, not hidden in a product.
    rest = float(np.sum(actual[data.target] - plan[data.target])) - math.fsum(out.values())
    if rest:
        out[RESIDUAL] = rest
    return out


def _is_sum(e: Expr) -> bool:
    """A plain sum of names (``sum(a) + sum(b)``): its parts' differences add up to its gap."""
    if isinstance(e, Ref):
        return True
    if isinstance(e, Sum):
        return _is_sum(e.arg)
    return isinstance(e, Bin) and e.op == "+" and _is_sum(e.left) and _is_sum(e.right)
