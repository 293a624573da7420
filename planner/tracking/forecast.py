"""Year-end forecast: the recent run rate against plan, applied to the plan of the months left.

The plan of the remaining months already carries the phasing (working days, seasonality, ramp),
so "run rate adjusted by the phasing weights" is: year end = actual to date + r × plan remaining,
with r = Σ actual / Σ target over the last ``window`` months (the point forecast) and the lowest
and highest single-month ratios of that window as the range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.report.units import format_money
from planner.tracking.completion import Completion, UnitCompletion


@dataclass
class Forecast:
    year_end: float
    low: float
    high: float
    rate: float  # the run rate used (actual / target over the window)
    remaining_plan: float
    commitment: float  # the year's commitment (without margin)
    stretch: float  # the year's target (with margin)
    verdict: str  # against the commitment
    verdict_margin: str  # against the target with margin
    makes_commitment: bool
    makes_stretch: bool

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _call(low: float, point: float, high: float, goal: float) -> str:
    if low >= goal:
        return "能完成：区间下限也达标 (will be made even at the low end)"
    if point >= goal:
        return "大概率完成，但下限不达标 (likely, not certain)"
    if high >= goal:
        return "有风险：只有按最好月份的速度才能完成 (at risk: only at the best month's pace)"
    return "完不成：按最好月份的速度也不够 (will be missed even at the best month's pace)"


def forecast(c: Completion, unit: str | None = None, window: int = 3) -> Forecast:
    """Forecast the year end of the total (or of one unit) from its last ``window`` months."""
    u: UnitCompletion = c.total if unit is None else next(x for x in c.units if x.unit == unit)
    w = max(1, min(window, len(u.actual)))
    recent_t = u.target[-w:]
    rate = float(u.actual[-w:].sum() / recent_t.sum()) if recent_t.sum() else 1.0
    monthly = [r for r in u.monthly_rates[-w:] if np.isfinite(r)] or [rate]
    remaining = u.annual - u.target_to_date
    done = u.actual_to_date
    point = done + rate * remaining
    low = done + min(min(monthly), rate) * remaining
    high = done + max(max(monthly), rate) * remaining
    goal_c, goal_s = u.commitment, u.annual
    return Forecast(year_end=point, low=low, high=high, rate=rate, remaining_plan=remaining, commitment=goal_c,
                    stretch=goal_s, verdict=_call(low, point, high, goal_c), verdict_margin=_call(low, point, high, goal_s),
                    makes_commitment=point >= goal_c, makes_stretch=point >= goal_s)


def forecast_sentence(f: Forecast, unit: str | None) -> str:
    """One line: the forecast, its range and the verdicts with and without the margin."""
    fm = lambda v: format_money(v, unit)  # noqa: E731
    text = (f"按近期完成率 {f.rate:.1%} 推算，全年预计 {fm(f.year_end)}（区间 {fm(f.low)} – {fm(f.high)}）；"
            f"承诺目标 {fm(f.commitment)}：{f.verdict}")
    if abs(f.stretch - f.commitment) > 1e-9 * max(1.0, abs(f.stretch)):
        text += f"；含余量目标 {fm(f.stretch)}：{f.verdict_margin}"
    return text
