"""One tracking run: completion, forecast, diagnosis, attribution and re-plan, and the five answers.

``track`` ties the analyses together; ``Tracking.to_dict`` is the JSON that ``planner report
--tracking`` reads (README, "The JSON the optional sections read"); ``render_text`` is the terminal summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.report.units import format_money
from planner.result import Plan
from planner.tracking.actuals import load_actuals, read_table, to_long
from planner.tracking.completion import TOTAL, Completion, completion
from planner.tracking.diagnosis import Flag, Thresholds, diagnose
from planner.tracking.explain import Explained, explain
from planner.tracking.forecast import Forecast, forecast, forecast_sentence
from planner.tracking.frame import TrackData, build, tree_of
from planner.tracking.replan import Replan, replan


@dataclass
class Tracking:
    data: TrackData
    completion: Completion
    forecast: Forecast
    explained: Explained
    flags: list[Flag]
    replan: Replan | None
    thresholds: Thresholds
    answers: list[dict[str, str]] = field(default_factory=list)

    @property
    def unit(self) -> str | None:
        return self.data.plan.target_unit  # tracking measures the target node

    def to_dict(self) -> dict[str, Any]:
        c, ex, d = self.completion, self.explained, self.data
        return {
            "as_of": d.as_of.date().isoformat(), "year": d.year, "metric": d.target, "unit": self.unit,
            "plan": d.plan.name or d.plan.scenario, "teams": [{"team": u.unit, "weight": u.weight,
                                                             "annual_target": u.annual} for u in c.units],
            "time_progress": c.time_progress, "working_days": {"passed": c.days_passed, "total": c.days_total},
            "summary": {"actual": c.total.actual_to_date, "target_to_date": c.total.target_to_date,
                        "annual_target": c.total.annual, "commitment": c.total.commitment,
                        "share_of_year": c.total.share_of_year, "rate_to_date": c.total.rate,
                        "behind_points": c.behind_points()},
            "completion": c.rows(),
            "forecast": self.forecast.to_dict() | {"sentence": forecast_sentence(self.forecast, self.unit)},
            "diagnosis": [f.to_dict() for f in self.flags],
            "attribution": {
                "gap": ex.gap, "sentence": attribution_sentence(ex, self.unit),
                "contributions": [{"driver": k, "value": v} for k, v in _ordered(ex.by_driver)],
                "by_driver_label": [{"driver": k, "value": v} for k, v in _ordered(ex.by_driver_label)],
                "by_product": [{"product": k, "value": v} for k, v in _ordered(ex.by_product)],
                "by_team": [{"team": k, "value": v} for k, v in _ordered(ex.by_unit)],
            },
            "replan": self.replan.to_dict() if self.replan else None,
            "assumptions": d.notes,
            "thresholds": dict(self.thresholds.__dict__),
            "answers": self.answers,
        }

    def to_json(self) -> str:
        return json.dumps(_clean(self.to_dict()), ensure_ascii=False, indent=2) + "\n"


def _ordered(d: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(d.items(), key=lambda kv: -abs(kv[1]))


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


# --- running it ----------------------------------------------------------------------------------


def team_weights(plan: Plan, teams: str | None) -> tuple[list[str] | None, np.ndarray | None]:
    """Team names and shares of the target from ``--teams``: an allocation JSON or a teams CSV."""
    if teams is None:
        return None, None
    if Path(teams).suffix.lower() == ".json":
        from planner.allocation import load_allocation

        alloc = load_allocation(teams)
        shares = [s for s in alloc.shares if s.kind == "team"]
        if alloc.what != "target" or not shares:
            raise InputError("this allocation splits the uplift to owners, not the target to teams", file=teams,
                             where="--teams", hint="use `planner allocate PLAN --by capacity|share --teams ...`")
        w = np.array([s.weight for s in shares], float)
        return [s.name for s in shares], w / w.sum()
    from planner.allocation import allocate_teams, read_teams

    frame = pd.read_csv(teams, dtype=str, keep_default_na=False, nrows=0) if Path(teams).exists() else None
    method = "capacity" if frame is not None and {"seats", "per_seat"} <= set(frame.columns) else "share"
    alloc = allocate_teams(plan, read_teams(teams, method), method)
    return [s.name for s in alloc.shares], np.array([s.weight for s in alloc.shares])


def _year_and_as_of(path: str, year: int | None, as_of: str | None) -> tuple[int, pd.Timestamp]:
    if as_of is not None:
        ts = pd.to_datetime(as_of, errors="coerce")
        if pd.isna(ts):
            raise InputError(f"not a date: {as_of!r}", where="--as-of", hint="e.g. --as-of 2026-06-30")
        return (year or ts.year), ts
    long = to_long(read_table(path), path)
    col = "period" if "period" in long.columns else "date"
    parsed = pd.to_datetime(long[col].astype(str).str.strip(), errors="coerce",
                            format="%Y-%m" if col == "period" else "mixed").dropna()
    if parsed.empty:
        raise InputError(f"no readable {col} values", file=path, where=f"column {col}",
                         hint="write periods as 2026-03")
    year = year or int(parsed.dt.year.max())
    last = parsed[parsed.dt.year == year].max()
    return year, (last.to_period("M").end_time.normalize() if col == "period" else last)


def track(plan: Plan, actuals: str, *, as_of: str | None = None, year: int | None = None,
          teams: str | None = None, thresholds: Thresholds | None = None, country: str = "CN",
          seasonality: np.ndarray | None = None, ramp: float = 0.0, window: int = 3,
          do_replan: bool = True) -> Tracking:
    """Track ``plan`` against the actuals file: the full analysis (see the README, "Tracking")."""
    thresholds = thresholds or Thresholds()
    if not plan.ok:
        raise InputError(f"the plan has status {plan.status}: there is no target to track",
                         hint="track a plan that `planner solve` reported as optimal or feasible")
    tree = tree_of(plan)
    names, weights = team_weights(plan, teams)
    yr, ts = _year_and_as_of(actuals, year, as_of)
    flows = {r["name"] for r in plan.tree if r.get("flow")}
    act = load_actuals(actuals, name_dims=tree.name_dims, dims=tree.dims, flows=flows, year=yr, as_of=ts,
                       teams=names)
    if weights is None or not act.has_team:  # no team column: the file is the whole plan
        weights = np.ones(1)
    else:
        where = {n: i for i, n in enumerate(names or [])}
        weights = np.array([weights[where[u]] for u in act.units]) if names else weights
    data = build(plan, act, year=yr, as_of=ts, weights=weights, country=country, seasonality=seasonality, ramp=ramp)
    present = set(act.frame["period"].unique())
    missing = [m for m in data.labels[: data.done] if m not in present]
    if missing:
        raise InputError(f"no actuals for {', '.join(missing[:3])} (the months up to --as-of {ts.date()})",
                         file=actuals, where="column period", hint="add those months, or give an earlier --as-of")
    c = completion(data)
    fc = forecast(c, window=window)
    ex = explain(data)
    flags = diagnose(data, c, ex, thresholds)
    rp = replan(data, c) if do_replan else None
    out = Tracking(data, c, fc, ex, flags, rp, thresholds)
    out.answers = answers(out)
    return out


# --- words ---------------------------------------------------------------------------------------


def attribution_sentence(ex: Explained, unit: str | None) -> str:
    word = "超出" if ex.gap >= 0 else "差距"
    parts = "，".join(f"{k} {format_money(v, unit)}" for k, v in _ordered(ex.by_driver)[:4])
    return f"至今{word} {format_money(ex.gap, unit)}：{parts}"


def answers(t: Tracking) -> list[dict[str, str]]:
    """The five answers leadership asks for, each one paragraph."""
    c, u = t.completion, t.unit
    fm = lambda v: format_money(v, u)  # noqa: E731
    tot = c.total
    pts = c.behind_points()
    pace = f"落后时间进度 {pts:.1f} 个点" if pts > 0 else f"领先时间进度 {-pts:.1f} 个点"
    teams = "；".join(f"{x.unit} {x.rate:.0%}（{fm(x.gap)}）" for x in sorted(c.units, key=lambda x: -x.rate)) \
        if len(c.units) > 1 else ""
    a1 = (f"截至 {t.data.as_of.date()}，累计完成 {fm(tot.actual_to_date)}，占全年目标 {fm(tot.annual)} 的 "
          f"{tot.share_of_year:.1%}；时间进度 {c.time_progress:.1%}（工作日 {c.days_passed}/{c.days_total}），{pace}。"
          f"计划至今 {fm(tot.target_to_date)}，完成率 {tot.rate:.1%}。" + (f"各团队完成率：{teams}。" if teams else "")
          + attribution_sentence(t.explained, u) + "。")
    pick = lambda *codes: [f.sentence for f in t.flags if f.code in codes]  # noqa: E731
    a2 = "；".join(pick("environment", "local", "environment_dip", "leader_behind", "small_behind",
                       "persistent", "occasional")) or "没有团队落后。"
    a3 = "；".join(pick("rising", "one_off", "steady_ahead")) or "没有超额的团队。"
    ahead = sum(x.gap for x in c.units if x.gap > 0)
    behind = sum(x.gap for x in c.units if x.gap < 0)
    net = ("好坏" + ("能相抵" if t.forecast.makes_commitment else "不能相抵"))
    a4 = (f"超额合计 {fm(ahead)}，落后合计 {fm(behind)}，净 {fm(ahead + behind)}；{net}。"
          + forecast_sentence(t.forecast, u) + "。") if len(c.units) > 1 else forecast_sentence(t.forecast, u) + "。"
    drops = pick("driver_drop")
    if drops:
        a4 += " 过程指标：" + "；".join(drops) + "。"
    a5 = t.replan.sentence if t.replan else "未重新规划（--no-replan）。"
    if t.replan and t.replan.assumptions:
        a5 += "（假设：" + "；".join(t.replan.assumptions) + "）"
    qs = ["完成多少、谁好谁坏 (how much is done, who is doing well or badly)",
          "落后是偶发还是持续 (occasionally or persistently behind)",
          "超额是运气还是趋势 (lucky or on a rising trend)",
          "好坏能否相抵 (do good and bad net out to the year)",
          "需要什么额外资源 (what extra resources are needed)"]
    return [{"question": q, "answer": a} for q, a in zip(qs, [a1, a2, a3, a4, a5], strict=True)]


def render_text(t: Tracking) -> str:
    """The terminal summary: the five answers, the monthly table and the attribution."""
    u = t.unit
    lines = [f"{t.data.plan.name or t.data.plan.scenario}: {t.data.target} as of {t.data.as_of.date()}", ""]
    for i, a in enumerate(t.answers, 1):
        lines += [f"{i}. {a['question']}", f"   {a['answer']}", ""]
    lines.append(f"{'month':<9}{'team':<8}{'actual':>12}{'target':>12}{'rate':>8}{'cum. rate':>10}")
    for r in t.completion.rows():
        rate = "—" if r["rate"] is None else f"{r['rate']:.1%}"
        crate = "—" if r["cumulative_rate"] is None else f"{r['cumulative_rate']:.1%}"
        lines.append(f"{r['period']:<9}{_pad(str(r['team']), 8)}{format_money(r['actual'], u):>12}"
                     f"{format_money(r['target'], u):>12}{rate:>8}{crate:>10}")
    lines += ["", f"attribution of the gap to date ({format_money(t.explained.gap, u)}):"]
    for k, v in _ordered(t.explained.by_driver_label)[:10]:
        lines.append(f"  {_pad(k, 28)}{format_money(v, u):>12}")
    if t.data.notes:
        lines += ["", "assumptions:"] + [f"  - {n['sentence']}" for n in t.data.notes]
    return "\n".join(lines) + "\n"


def _pad(text: str, width: int) -> str:
    from planner.report.units import pad

    return pad(text, width)


__all__ = ["TOTAL", "Tracking", "track", "render_text", "answers"]
