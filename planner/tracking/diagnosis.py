"""Structure × trend diagnosis: who is behind, why it looks that way, and whether it lasts.

Rules (every threshold in :class:`Thresholds`, all configurable from the command line):

- a unit or month is *behind* when its completion is below ``1 − tolerance`` (ahead: above ``1 + tolerance``);
- **structure**: at least ``environment`` of the units behind → the environment; fewer → a local
  problem; a month in which that share of units is behind → an environment-wide dip;
- **size**: the largest unit behind → its growth potential may be used up; a unit below the
  average size behind → a weak team lacking drive;
- **persistence**: behind in ≥ ``persistent`` of the last ``window`` months → persistently, in
  fewer (but some) → occasionally, naming the months;
- **the good**: ahead to date or in ≥ 2 of the last ``window`` months; a Theil–Sen slope of the
  monthly completion ≥ ``trend`` per month → a rising trend; ahead only thanks to its best month
  (without it, not ahead) → a one-off;
- **drivers**: a rate or price of the tree (e.g. conversion of one product) that is ≥ ``drop``
  below plan in every month from some month on, after being on plan before → a drop from that month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import theilslopes

from planner.report.units import format_money
from planner.tracking.completion import Completion, UnitCompletion
from planner.tracking.explain import Explained
from planner.tracking.frame import TrackData


@dataclass(frozen=True)
class Thresholds:
    tolerance: float = 0.03
    persistent: int = 3
    window: int = 4
    environment: float = 0.75
    trend: float = 0.01
    drop: float = 0.10


@dataclass
class Flag:
    code: str  # environment | local | environment_dip | leader_behind | small_behind | persistent |
    #            occasional | rising | one_off | steady_ahead | driver_drop | net
    sentence: str
    unit: str | None = None
    months: list[str] = field(default_factory=list)
    value: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"flag": self.code, "sentence": self.sentence, "unit": self.unit, "months": self.months,
                "value": self.value}


def diagnose(data: TrackData, c: Completion, ex: Explained, th: Thresholds | None = None) -> list[Flag]:
    """Every flag, structure first, then persistence and trend per unit, then drivers."""
    th = th or Thresholds()
    unit = data.plan.target_unit  # gaps and impacts are in the target's unit
    flags = _structure(c, th) + _dips(c, th)
    for u in c.units if len(c.units) > 1 else [c.total]:
        flags += _persistence(u, c.months, th, unit, ex)
        flags += _good(u, c.months, th)
    flags += _driver_drops(data, ex, th, unit)
    return flags


def _behind(u: UnitCompletion, th: Thresholds) -> bool:
    return u.rate < 1 - th.tolerance


def _structure(c: Completion, th: Thresholds) -> list[Flag]:
    if len(c.units) < 2:
        return []
    behind = [u for u in c.units if _behind(u, th)]
    out: list[Flag] = []
    if behind and len(behind) / len(c.units) >= th.environment:
        out.append(Flag("environment", f"{len(behind)}/{len(c.units)} 个团队落后：更像环境因素（市场、政策、供给），"
                                       "而非个别团队的问题 (environment)", value=len(behind) / len(c.units)))
    elif behind:
        names = "、".join(u.unit for u in behind)
        out.append(Flag("local", f"只有 {names} 落后，其余团队达标：局部问题，不是环境 (local problem)"))
    leader = max(c.units, key=lambda u: u.weight)
    mean_w = 1.0 / len(c.units)
    for u in behind:
        if u is leader:
            out.append(Flag("leader_behind", f"最大团队 {u.unit}（占目标 {u.weight:.0%}）落后 {1 - u.rate:.1%}："
                                             "增长潜力可能已用尽 (growth potential used up)", unit=u.unit))
        elif u.weight < mean_w:
            out.append(Flag("small_behind", f"小团队 {u.unit}（占目标 {u.weight:.0%}）落后 {1 - u.rate:.1%}："
                                            "团队偏弱、冲劲不足 (weak team lacking drive)", unit=u.unit))
    return out


def _dips(c: Completion, th: Thresholds) -> list[Flag]:
    if len(c.units) < 2:
        return []
    rates = np.array([u.monthly_rates for u in c.units])  # (units, months)
    out = []
    for j, m in enumerate(c.months):
        share = float(np.mean(rates[:, j] < 1 - th.tolerance))
        if share >= th.environment:
            total = c.total.monthly_rates[j]
            out.append(Flag("environment_dip", f"{m}：{share:.0%} 的团队同时未达标（整体完成 {total:.0%}）："
                                               "全员性下滑，环境因素 (environment-wide dip)", months=[m],
                            value=float(total)))
    return out


def _persistence(u: UnitCompletion, months: list[str], th: Thresholds, unit: str | None, ex: Explained) -> list[Flag]:
    rates = u.monthly_rates[-th.window:]
    recent = months[-th.window:]
    bad = [m for m, r in zip(recent, rates, strict=True) if r < 1 - th.tolerance]
    if len(bad) >= th.persistent:
        why = _main_driver(ex, u.unit)
        text = (f"{u.unit} 持续落后：近 {len(recent)} 个月中 {len(bad)} 个月未达标，累计差 {format_money(u.gap, unit)}"
                f"{why} (persistently behind)")
        return [Flag("persistent", text, unit=u.unit, months=bad, value=u.gap)]
    if bad:
        worst = min(zip(rates, recent, strict=True))
        return [Flag("occasional", f"{u.unit} 偶发落后：近 {len(recent)} 个月只有 {'、'.join(bad)} 未达标"
                                   f"（{worst[1]} 完成 {worst[0]:.0%}），其余月份正常 (occasionally behind)",
                     unit=u.unit, months=bad)]
    return []


def _main_driver(ex: Explained, unit: str) -> str:
    parts = ex.by_unit_driver.get(unit) or {}
    neg = sorted((v, k) for k, v in parts.items() if v < 0)
    return f"，主要因为 {neg[0][1]}" if neg else ""


def _good(u: UnitCompletion, months: list[str], th: Thresholds) -> list[Flag]:
    rates = u.monthly_rates
    recent = rates[-th.window:]
    ahead_recent = int(np.sum(recent > 1 + th.tolerance))
    if not (u.rate > 1 + th.tolerance or ahead_recent >= 2) or len(rates) < 2:
        return []
    ok = np.isfinite(rates)
    slope = float(theilslopes(rates[ok], np.arange(len(rates))[ok])[0]) if ok.sum() >= 2 else 0.0
    best = int(np.nanargmax(rates))
    rest_a, rest_t = u.actual_to_date - u.actual[best], u.target_to_date - u.target[best]
    without_best = rest_a / rest_t if rest_t else float("nan")
    if slope >= th.trend:
        return [Flag("rising", f"{u.unit} 处于上升趋势：月完成率每月约 {slope:+.1%}，近 {len(recent)} 个月 "
                               f"{ahead_recent} 个月超额 (on a rising trend)", unit=u.unit, value=slope)]
    if without_best <= 1 + th.tolerance:
        return [Flag("one_off", f"{u.unit} 的超额来自一次性的 {months[best]}（当月完成 {rates[best]:.0%}）；"
                                f"去掉该月只完成 {without_best:.0%}：运气而非趋势 (a one-off)", unit=u.unit,
                     months=[months[best]], value=float(rates[best]))]
    return [Flag("steady_ahead", f"{u.unit} 稳定超额：累计完成 {u.rate:.0%}，无明显上升趋势 (steadily ahead)",
                 unit=u.unit)]


def _driver_drops(data: TrackData, ex: Explained, th: Thresholds, unit: str | None) -> list[Flag]:
    """Rates and prices (non-flows) given in the actuals that fell below plan from some month on."""
    out = []
    months = data.labels[: data.done]
    w = data.weights / data.weights.sum()
    for name in sorted(data.given - data.flows):
        plan, act = data.plan_done(name), data.actual[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.tensordot(w, act / plan, axes=(0, 0))  # (months, *labels), size-weighted over units
        flat = ratio.reshape(len(months), -1)
        labels = _labels(data, name)
        for j, lab in enumerate(labels):
            onset = _onset(flat[:, j], th)
            if onset is None:
                continue
            key = f"{name}[{lab}]" if lab else name
            cost = ex.by_driver_label.get(key, 0.0)
            drop = 1 - float(np.mean(flat[onset:, j]))
            since = f"自 {months[onset]} 起" if onset > 0 else "全年以来"
            out.append(Flag("driver_drop", f"{key} {since}比计划低 {drop:.0%}"
                                           f"（影响 {format_money(cost, unit)}）(a drop in {key})",
                            months=months[onset:], value=cost))
    return out


def _onset(r: np.ndarray, th: Thresholds) -> int | None:
    """First month from which every month is ≥ ``drop`` below plan, the months before on plan."""
    low = r < 1 - th.drop
    for i in range(len(r)):
        if low[i:].all() and (i == 0 or np.mean(r[:i]) >= 1 - th.drop / 2):
            return i if len(r) - i >= 1 else None
    return None


def _labels(data: TrackData, name: str) -> list[str]:
    import itertools

    dims = data.tree.name_dims[name]
    return ["/".join(x) for x in itertools.product(*(data.tree.dims[d] for d in dims))] if dims else [""]
