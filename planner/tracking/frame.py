"""Plan and actual values side by side: every tree name per team and month, as numpy arrays.

The plan for a month follows ``planner phase``: a flow with last year's value B and planned value P
gets ``B·S[p] + (P − B)·R[p]`` (S: the month's share of working days × seasonality, R: the same
ramped), a rate or price gets ``B + (P − B)·g[p]``. A team's plan is the centre's with every flow
scaled by the team's share of the target (``--teams``): its rates are the centre's rates. The
month that contains ``as_of`` counts with the share of its working days that have passed.

Actuals fill the same shapes. A metric missing from the file is a *stated* assumption, never a
silent number: a fixed input (ticket price, months on sale) is taken at plan, a node whose drivers
are all present is computed by its formula, anything else is not broken down further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.calendar import period_table, working_days
from planner.errors import InputError
from planner.phasing import period_weights
from planner.result import Plan
from planner.tracking.actuals import Actuals
from planner.tracking.attribution import Tree, evaluate
from planner.tree.nodes import Ref, refs
from planner.tree.parse import parse_formula


def tree_of(plan: Plan) -> Tree:
    """The plan's formulas (from its ``tree``), parsed."""
    if not plan.tree:
        raise InputError("the plan has no formula tree", where="tree",
                         hint="solve the scenario again with this planner version (`planner solve --format json`)")
    name_dims = {r["name"]: tuple(r.get("dims") or ()) for r in plan.tree}
    nodes = {r["name"]: parse_formula(str(r["formula"]), where=f"tree.{r['name']}")
             for r in plan.tree if r.get("kind") == "node"}
    return Tree(dict(plan.dimensions), name_dims, nodes)


@dataclass
class TrackData:
    """Everything the analyses read: periods, units, plan (all months) and actual (months done)."""

    plan: Plan
    tree: Tree
    target: str
    year: int
    as_of: pd.Timestamp
    periods: pd.DataFrame  # period, start, end, working_days (the whole year)
    done: int  # months with actuals, up to and including the one holding as_of
    frac: np.ndarray  # (done,) share of each done month's working days that has passed
    units: list[str]
    weights: np.ndarray  # (units,) each unit's share of the target
    flows: set[str]
    plan_values: dict[str, np.ndarray]  # name → (units, 12, *dims), whole months
    target_commit: np.ndarray  # (units, 12) the commitment (target without margin)
    actual: dict[str, np.ndarray]  # name → (units, done, *dims)
    given: set[str]
    broken_down: set[str]
    notes: list[dict[str, str]] = field(default_factory=list)
    country: str = "CN"

    @property
    def labels(self) -> list[str]:
        return self.periods["period"].tolist()

    def plan_done(self, name: str) -> np.ndarray:
        """(units, done, *dims) plan for the months done, the current month pro rata (flows only)."""
        arr = self.plan_values[name][:, : self.done]
        if name not in self.flows:
            return arr
        return arr * self.frac.reshape(1, -1, *([1] * (arr.ndim - 2)))


def month_plan(plan: Plan, tree: Tree, weights_share: np.ndarray, ramp_share: np.ndarray,
               level: np.ndarray, flows: set[str]) -> dict[str, np.ndarray]:
    """name → (12, *dims) plan per month for every input and node of the plan."""
    out: dict[str, np.ndarray] = {}
    for r in [*plan.inputs, *plan.nodes]:
        dims = tree.name_dims.get(r.name)
        if dims is None:
            continue
        arr = out.setdefault(r.name, np.zeros((len(weights_share), *tree.shape(dims))))
        idx = tuple(tree.dims[d].index(r.labels[d]) for d in dims) if dims and r.labels else ()
        b, p = float(r.baseline), float(r.planned)
        col = b * weights_share + (p - b) * ramp_share if r.name in flows else b + (p - b) * level
        arr[(slice(None), *idx)] = col
    return out


def _flows(plan: Plan) -> set[str]:
    return {r["name"] for r in plan.tree if r.get("flow")} | {plan.target.node}


def build(plan: Plan, actuals: Actuals, *, year: int, as_of: pd.Timestamp, weights: np.ndarray,
          country: str = "CN", seasonality: np.ndarray | None = None, ramp: float = 0.0) -> TrackData:
    """Line up plan and actuals for the analyses (``weights``: each unit's share, in ``actuals.units`` order)."""
    tree = tree_of(plan)
    flows = _flows(plan)
    days = working_days(year, country)
    w = period_weights(days, "month", seasonality, ramp)
    periods = period_table(days, "month")
    per_month = month_plan(plan, tree, w.share, w.ramp_share, w.ramp_level, flows)
    t = plan.target
    stretch = t.required if t.required is not None else t.achieved
    commit = t.commitment if t.commitment is not None else stretch
    per_month[t.node] = (t.baseline * w.share + (stretch - t.baseline) * w.ramp_share).reshape(
        -1, *tree.shape(tree.name_dims[t.node]))
    commit_month = t.baseline * w.share + (commit - t.baseline) * w.ramp_share
    wts = np.asarray(weights, float)
    plan_values = {n: _per_unit(v, wts, n in flows) for n, v in per_month.items()}
    done = int((periods["start"] <= as_of).sum())
    frac = _elapsed(days, periods, as_of, done)
    data = TrackData(plan=plan, tree=tree, target=t.node, year=year, as_of=as_of, periods=periods, done=done,
                     frac=frac, units=actuals.units, weights=wts, flows=flows, plan_values=plan_values,
                     target_commit=wts[:, None] * commit_month[None, :], actual={}, given=set(), broken_down=set(),
                     country=days.country)
    _fill_actuals(data, actuals)
    return data


def _per_unit(arr: np.ndarray, weights: np.ndarray, flow: bool) -> np.ndarray:
    scale = weights if flow else np.ones_like(weights)
    return scale.reshape(-1, *([1] * arr.ndim)) * arr[None, ...]


def _elapsed(days, periods: pd.DataFrame, as_of: pd.Timestamp, done: int) -> np.ndarray:  # noqa: ANN001
    frac = np.ones(done)
    if done:
        last = periods.iloc[done - 1]
        inside = (days.dates >= last["start"]) & (days.dates <= last["end"])
        upto = inside & (days.dates <= as_of)
        total = days.workday[inside].sum()
        frac[-1] = days.workday[upto].sum() / total if total else 1.0
    return frac


def _fill_actuals(data: TrackData, actuals: Actuals) -> None:
    """Arrays for the given metrics (complete, or an error); then assumptions and formulas for the rest."""
    tree, frame = data.tree, actuals.frame
    months = data.labels[: data.done]
    unit_ix = {u: i for i, u in enumerate(data.units)}
    month_ix = {m: i for i, m in enumerate(months)}
    for name, rows in frame.groupby("name", sort=False):
        dims = tree.name_dims[name]
        arr = np.full((len(data.units), data.done, *tree.shape(dims)), np.nan)
        idx = [rows["unit"].map(unit_ix).to_numpy(), rows["period"].map(month_ix).to_numpy()]
        parts = rows["label"].str.split("/", expand=True) if dims else None
        for j, d in enumerate(dims):
            idx.append(parts[j].map({x: i for i, x in enumerate(tree.dims[d])}).to_numpy())
        arr[tuple(idx)] = rows["value"].to_numpy(float)
        _complete(arr, name, dims, data, months, actuals.path)
        data.actual[name] = arr
        data.given.add(name)
    _derive(data, actuals.path)


def _complete(arr: np.ndarray, name: str, dims: tuple[str, ...], data: TrackData, months: list[str], path: str) -> None:
    missing = np.argwhere(np.isnan(arr))
    if not len(missing):
        return
    shown = []
    for m in missing[:3]:
        lab = "/".join(data.tree.dims[d][i] for d, i in zip(dims, m[2:], strict=True))
        shown.append(f"team {data.units[m[0]]}, {months[m[1]]}" + (f", product {lab}" if lab else ""))
    raise InputError(f"metric {name!r} is missing for {len(missing)} team-month-label cell(s): {'; '.join(shown)}",
                     file=path, where="column metric",
                     hint=f"give {name} for every team and month up to --as-of {data.as_of.date()}, "
                          "or leave the metric out entirely")


def _derive(data: TrackData, path: str) -> None:
    """Assume fixed inputs at plan, compute nodes from their drivers, decide which nodes are broken down."""
    tree = data.tree
    kinds = {r["name"]: r.get("kind") for r in data.plan.tree}
    available = set(data.given)
    for name in tree.subtree(data.target):
        if name in available:
            continue
        if name not in tree.nodes and kinds.get(name) == "fixed":
            data.actual[name] = data.plan_done(name).copy()
            available.add(name)
            data.notes.append({"flag": "assumed_at_plan", "name": name,
                               "sentence": f"{name} 不在实际数据中：按计划值计（固定输入） — assumed at plan"})
        elif name in tree.nodes and all(r.name in available for r in _node_refs(tree, name)):
            data.actual[name] = _computed(data, name)
            available.add(name)
            data.notes.append({"flag": "computed", "name": name,
                               "sentence": f"{name} 不在实际数据中：由公式 {name} 从实际驱动计算"})
    if data.target not in available:
        raise InputError(f"the actuals have neither the target {data.target!r} nor all of its drivers",
                         file=path, where="column metric",
                         hint=f"add rows with metric {data.target} (one per team and month)")
    for name in tree.subtree(data.target):
        if name in tree.nodes and name in available:
            missing = [r.name for r in _node_refs(tree, name) if r.name not in available]
            if not missing:
                data.broken_down.add(name)
            elif _feeds(data, name, available):
                data.notes.append({"flag": "not_broken_down", "name": name,
                                   "sentence": f"{name} 未继续分解：缺少过程指标 {', '.join(sorted(set(missing)))}"})
    # An assumption nobody uses (the drivers of a node that is not broken down) is not reported.
    used = {data.target} | {r.name for n in data.broken_down for r in _node_refs(tree, n)}
    data.notes = [n for n in data.notes if n["name"] in used]
    for name in [k for k in data.actual if k not in used and k not in data.given]:
        del data.actual[name]


def _feeds(data: TrackData, name: str, available: set[str]) -> bool:
    """Whether ``name`` is reached from the target through broken-down (fully available) nodes."""
    if name == data.target:
        return True
    parents = [n for n, e in data.tree.nodes.items() if name in {r.name for r in refs(e)}]
    return any(p in available and all(r.name in available for r in refs(data.tree.nodes[p]))
               and _feeds(data, p, available) for p in parents)


def _node_refs(tree: Tree, name: str) -> list[Ref]:
    return refs(tree.nodes[name])


def _computed(data: TrackData, name: str) -> np.ndarray:
    u, d = len(data.units), data.done
    flat = {k: v.reshape(u * d, *v.shape[2:]) for k, v in data.actual.items()}
    arr, dims = evaluate(data.tree, flat, data.tree.nodes[name])
    want = data.tree.name_dims[name]
    idx = (slice(None),) + tuple(slice(None) if x in dims else None for x in want)
    arr = np.broadcast_to(arr[idx], (u * d, *data.tree.shape(want)))
    return np.array(arr).reshape(u, d, *data.tree.shape(want))
