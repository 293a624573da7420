"""Who made the uplift: split a plan's target uplift between the inputs that moved.

Two rules, both exact (contributions add up to planned − baseline of the target):

* ``log_path`` — Aumann–Shapley along the geometric path ``x(t) = baseline · uplift^t``: input i
  gets ``ln u_i · ∫₀¹ ∂F/∂ln x_i dt``. For a product chain ``F = Π x`` every ``∂F/∂ln x_i = F``,
  so i gets exactly ``ln u_i / Σ ln u_j`` of the uplift (the log-share rule); for sums of products
  (several products sharing a lever) it applies that rule term by term, through the real tree.
* ``sequential`` — stages switched on one after the other (market, then operations, ...): a
  stage gets ``F(stages ≤ k planned) − F(stages < k planned)``.

``F`` is the forward evaluator on the plan's formulas — a model the caller passes (the report's,
rebuilt from ``plan.tree``) or the scenario file when it is at hand; otherwise the product-chain
model ``F = baseline × Π uplift`` built from the plan alone (and said so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from planner.errors import InputError
from planner.result import InputResult, Plan

if TYPE_CHECKING:
    from planner.tree.graph import Model

Evaluator = Callable[[np.ndarray], np.ndarray]  # (samples × players) input values → target per sample


@dataclass(frozen=True)
class Players:
    """The inputs whose planned value differs from the baseline, and how to evaluate the target."""

    inputs: list[InputResult]
    baseline: np.ndarray
    planned: np.ndarray
    evaluate: Evaluator
    method: str  # "tree" (scenario's formulas) or "product chain" (plan only)


def players(plan: Plan, model: Model | None = None) -> Players:
    """Collect the moved inputs and an evaluator for the target node (the scenario's tree if possible).

    ``model`` evaluates the plan's formulas (e.g. rebuilt from ``plan.tree`` by the report); without
    it the scenario file ``plan.source`` is read when it exists, else the product chain is assumed.
    """
    # Every lever (an unmoved one contributes nothing but may still be tied to the target) and
    # every other input whose assumed value differs from last year's.
    moved = [i for i in plan.inputs
             if i.kind == "lever" or not np.isclose(i.planned, i.baseline, rtol=1e-12, atol=0.0)]
    base = np.array([i.baseline for i in moved], dtype=float)
    plan_v = np.array([i.planned for i in moved], dtype=float)
    tree = _tree_evaluator(plan, moved, model)
    if tree is not None:
        return Players(moved, base, plan_v, tree, "tree")
    return Players(moved, base, plan_v, _chain_evaluator(plan.target.baseline, base), "product chain")


def _chain_evaluator(target_baseline: float, base: np.ndarray) -> Evaluator:
    if np.any(base <= 0):
        raise InputError("without the scenario file, attribution assumes a product chain and needs positive "
                         "baselines", hint="keep the scenario file at the path recorded in the plan (`source`)")

    def f(x: np.ndarray) -> np.ndarray:
        return target_baseline * np.prod(x / base, axis=1)

    return f


def _tree_evaluator(plan: Plan, moved: list[InputResult], model: Model | None = None) -> Evaluator | None:
    from planner.tree.evaluate import evaluate

    source = None  # the file to name in errors: only when the formulas come from it
    if model is None:
        if not plan.source or not Path(plan.source).exists():
            return None
        from planner.scenario import load_scenario
        from planner.tree.graph import build_model

        source = plan.source
        model = build_model(load_scenario(source, None if plan.scenario == "base" else plan.scenario))
    node = plan.target.node
    slots = [(i.name, _index(model, i)) for i in moved]
    for item, (name, idx) in zip(moved, slots, strict=True):
        known = float(model.inputs[name].baseline[idx])
        if not np.isclose(known, item.baseline, rtol=1e-9):
            raise InputError(f"input {item.name!r}{f' [{item.label}]' if item.label else ''} has baseline "
                             f"{known:.6g} in the scenario but {item.baseline:.6g} in the plan: the file changed "
                             "after the plan was solved", file=source, where=f"inputs.{name}",
                             hint="solve the scenario again, then allocate the new plan")

    def f(x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        values: dict[str, np.ndarray] = {}
        for p, (name, idx) in enumerate(slots):
            if name not in values:
                values[name] = np.broadcast_to(model.inputs[name].value, (n, *model.inputs[name].value.shape)).copy()
            values[name][(slice(None), *idx)] = x[:, p]
        out = evaluate(model, values, samples=n)[node]
        return np.asarray(out, dtype=float).reshape(n)

    base = np.array([[i.baseline for i in moved]])
    got = f(base)[0] if moved else plan.target.baseline
    if not np.isclose(got, plan.target.baseline, rtol=1e-6):
        raise InputError(f"the scenario gives a baseline of {got:.6g} for {node!r} but the plan says "
                         f"{plan.target.baseline:.6g}: the file changed after the plan was solved",
                         file=source, hint="solve the scenario again, then allocate the new plan")
    return f


def _index(model, item: InputResult) -> tuple[int, ...]:  # noqa: ANN001 - planner.tree.graph.Model
    inp = model.inputs.get(item.name)
    if inp is None:
        raise InputError(f"the plan's input {item.name!r} is not in the scenario", where=f"inputs.{item.name}",
                         hint="solve the scenario again, then allocate the new plan")
    labels = item.labels or ({inp.dims[0]: item.label} if item.label is not None and inp.dims else {})
    try:
        return tuple(model.dims[d].index(str(labels[d])) for d in inp.dims)
    except (KeyError, ValueError):
        raise InputError(f"label {item.label!r} of input {item.name!r} is not in the scenario's dimensions",
                         where=f"inputs.{item.name}", hint="solve the scenario again") from None


# --- the two rules -------------------------------------------------------------------------------

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)
_T = (_NODES + 1) / 2  # Gauss–Legendre on [0, 1]
_W = _WEIGHTS / 2


def log_path(pl: Players) -> np.ndarray:
    """Contribution of each moved input to the target uplift (Aumann–Shapley on the geometric path)."""
    n = len(pl.inputs)
    if n == 0:
        return np.zeros(0)
    logpath = (pl.baseline > 0) & (pl.planned > 0)  # a path through zero cannot be geometric: go straight
    with np.errstate(divide="ignore", invalid="ignore"):
        lnu = np.where(logpath, np.log(np.where(logpath, pl.planned / pl.baseline, 1.0)), 0.0)
    path = np.where(logpath, pl.baseline * np.exp(np.outer(_T, lnu)),
                    pl.baseline + np.outer(_T, pl.planned - pl.baseline))  # (t × players)
    velocity = np.where(logpath, path * lnu, pl.planned - pl.baseline)  # dx/dt
    # Central differences for every player at every t, evaluated in one vectorised call.
    h = 1e-6 * np.maximum(np.abs(path), 1e-12)
    eye = np.eye(n)
    up = path[:, None, :] + eye[None] * h[:, None, :]
    down = path[:, None, :] - eye[None] * h[:, None, :]
    grid = np.concatenate([up.reshape(-1, n), down.reshape(-1, n)])
    vals = pl.evaluate(grid)
    half = len(_T) * n
    grad = (vals[:half] - vals[half:]).reshape(len(_T), n) / (2 * h)
    contrib = (_W[:, None] * grad * velocity).sum(axis=0)
    return _close_exactly(contrib, pl)


def sequential(pl: Players, stages: list[list[int]]) -> np.ndarray:
    """Contribution of each stage (a list of player indices) switched on in the given order."""
    x = np.tile(pl.baseline, (len(stages) + 1, 1))
    for k, stage in enumerate(stages):
        x[k + 1:, stage] = pl.planned[stage]
    values = pl.evaluate(x)
    return np.diff(values)


def _close_exactly(contrib: np.ndarray, pl: Players) -> np.ndarray:
    """Spread the quadrature error so the contributions add up to F(planned) − F(baseline) exactly."""
    ends = pl.evaluate(np.vstack([pl.baseline, pl.planned]))
    total = ends[1] - ends[0]
    gap = total - contrib.sum()
    scale = np.abs(contrib).sum()
    return contrib + (gap * np.abs(contrib) / scale if scale > 0 else gap / len(contrib))


def tied(pl: Players, rel: float = 1e-3) -> np.ndarray:
    """Whether each player moves the target at the planned point (a 0.1% change of it changes F)."""
    n = len(pl.inputs)
    if n == 0:
        return np.zeros(0, dtype=bool)
    bumped = np.tile(pl.planned, (n + 1, 1))
    step = rel * np.where(pl.planned != 0, np.abs(pl.planned), 1.0)
    bumped[1:] += np.diag(step)
    values = pl.evaluate(bumped)
    return np.abs(values[1:] - values[0]) > 1e-9 * max(abs(values[0]), 1.0)
