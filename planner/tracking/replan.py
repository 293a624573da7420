"""Re-plan the rest of the year: actuals to date fixed, the least-effort uplift that still makes it.

The months left must deliver ``R = commitment − actual to date``; the plan had ``P_rest`` for
them, a share ``f = P_rest / P_year`` of the year's phasing weight. The formulas are annual, so
the rest of the year is solved as an annual run rate: the scenario's target becomes ``R / f``
(the pace the remaining months must run at, expressed per year), with uncontrollable inputs
measured in the actuals (supply, targeting) assumed to stay where they have been. The core's
``solve`` back-solves and verifies it on the true formulas; the year then ends at
``actual + f × achieved``. When that pace is out of reach, the core reports the maximum it can
reach and what resources (``needs``) would close the gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.errors import PlannerError
from planner.result import Plan
from planner.tracking.completion import Completion
from planner.tracking.frame import TrackData


@dataclass
class Replan:
    status: str  # optimal | feasible | infeasible | not_needed | skipped | error
    required_rest: float  # what the months left must deliver (commitment − actual)
    plan_rest: float  # what the plan had for them
    share_rest: float  # f: the months left as a share of the year's plan
    annual_pace: float | None = None  # the annual-equivalent target solved for
    year_end: float | None = None  # actual + f × achieved (reachable) or the maximum (unreachable)
    effort: float | None = None
    levers: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    sentence: str = ""
    solved: Plan | None = field(default=None, repr=False)  # the re-solved annual-pace plan

    @property
    def reachable(self) -> bool:
        return self.status in ("optimal", "feasible", "not_needed")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "solved"} | {"reachable": self.reachable}


def replan(data: TrackData, c: Completion) -> Replan:
    """Re-solve the plan's scenario for the months left (see the module docstring)."""
    plan = data.plan
    done = c.total.actual_to_date
    year_plan = c.total.annual
    rest = year_plan - c.total.target_to_date
    f = rest / year_plan if year_plan else 0.0
    out = Replan("skipped", c.total.commitment - done, rest, f)
    if out.required_rest <= 0:
        out.status, out.sentence = "not_needed", "全年承诺已完成，无需重新规划 (the year is already made)"
        return out
    if f <= 0:
        out.sentence = "没有剩余月份可以重新规划 (no months left)"
        return out
    if not plan.source or not Path(plan.source).exists():
        out.sentence = f"未重新规划：找不到方案文件 {plan.source!r} (scenario file not found)"
        return out
    out.annual_pace = out.required_rest / f
    try:
        new = _solve(data, out)
    except PlannerError as exc:
        out.status, out.sentence = "error", f"重新规划失败：{exc}"
        return out
    out.solved = new
    _read(new, plan, data, done, f, out)
    return out


def _solve(data: TrackData, out: Replan) -> Plan:
    from planner.optimise import solve
    from planner.scenario import apply_override, read_yaml, resolve_extends, scenario_from_dict

    plan = data.plan
    path = Path(plan.source or "")
    raw = resolve_extends(path, read_yaml(path))
    if plan.scenario and plan.scenario != "base":
        raw = apply_override(raw, (raw.get("scenarios") or {})[plan.scenario], where=f"scenarios.{plan.scenario}",
                             source=str(path))
    override: dict[str, Any] = {"target": {"at_least": float(out.annual_pace), "margin": 0.0}}
    assumed = _measured(data, out)
    if assumed:
        override["inputs"] = {k: {"assume": v} for k, v in assumed.items()}
    raw = apply_override(raw, override, where="track --replan", source=str(path))
    raw.pop("scenarios", None)
    return solve(scenario_from_dict(raw, None, source=str(path)))


def _measured(data: TrackData, out: Replan) -> dict[str, Any]:
    """Uncontrollable inputs given in the actuals: their level to date (plan-weighted), per label."""
    kinds = {r["name"]: r.get("kind") for r in data.plan.tree}
    month_w = data.plan_done(data.target).reshape(len(data.units), data.done)
    month_w = month_w / month_w.sum()
    assumed: dict[str, Any] = {}
    for name in sorted(data.given):
        if kinds.get(name) != "uncontrollable" or name in data.flows or len(data.tree.name_dims[name]) > 1:
            continue
        level = np.tensordot(month_w, data.actual[name], axes=([0, 1], [0, 1]))
        dims = data.tree.name_dims[name]
        value = {lab: float(level[i]) for i, lab in enumerate(data.tree.dims[dims[0]])} if dims else float(level)
        assumed[name] = value
        out.assumptions.append(f"{name} 按至今实际水平 {_fmt(value)} 延续到年底 (assumed to stay at its level to date)")
    return assumed


def _fmt(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {x:.4g}" for k, x in v.items()) + "}"
    return f"{v:.4g}"


def _read(new: Plan, old: Plan, data: TrackData, done: float, f: float, out: Replan) -> None:
    from planner.report.units import format_money

    unit = old.target_unit  # the remaining months' target, not money
    out.status = str(new.status)
    was = {(i.name, i.label): i for i in old.inputs}
    if new.ok:
        out.year_end = done + f * float(new.target.achieved)
        out.effort = new.effort
        out.levers = [{"name": i.name, "label": i.label, "owner": i.owner, "baseline": i.baseline,
                       "planned": was[(i.name, i.label)].planned if (i.name, i.label) in was else None,
                       "replanned": i.planned, "uplift": i.uplift}
                      for i in new.levers if (i.name, i.label) in was
                      and not np.isclose(i.planned, was[(i.name, i.label)].planned, rtol=1e-4)]
        moved = "；".join(f"{x['name']}{'[' + x['label'] + ']' if x['label'] else ''} "
                         f"{x['planned']:.4g} → {x['replanned']:.4g}" for x in out.levers[:6])
        out.sentence = (f"剩余月份需完成 {format_money(out.required_rest, unit)}（原计划 {format_money(out.plan_rest, unit)}，"
                        f"节奏 {out.required_rest / out.plan_rest:.0%}）：可以达成，全年 {format_money(out.year_end, unit)}。"
                        f"需要调整：{moved or '无（原计划杠杆已足够）'}")
        return
    if new.max_reachable is not None:
        out.year_end = done + f * float(new.max_reachable)
    out.needs = [{"what": n.what, "from": n.source, "to": n.to, "sentence": n.sentence} for n in new.needs]
    short = out.required_rest + done - (out.year_end or done)
    need_text = "；".join(n.sentence or n.what for n in new.needs) or (new.message or "无可用的资源建议")
    out.sentence = (f"剩余月份需完成 {format_money(out.required_rest, unit)}（原计划 {format_money(out.plan_rest, unit)}，"
                    f"节奏 {out.required_rest / out.plan_rest:.0%}）：在现有约束下达不到；全年最多 "
                    f"{format_money(out.year_end, unit)}，缺口 {format_money(short, unit)}。需要：{need_text}")
