"""Actual against target per month and cumulative, per team and for the whole; time progress.

"Behind schedule by 6 points" compares two shares of the year: the share of the annual target
done so far and the share of the year's working days that has passed (the calendar's clock, not
the plan's seasonality). The plan to date (seasonality and ramp included) is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.calendar import working_days
from planner.tracking.frame import TrackData

TOTAL = "总计"


@dataclass
class UnitCompletion:
    """One team (or the total): monthly actual and target for the months done, and the year."""

    unit: str
    weight: float
    actual: np.ndarray  # (done,)
    target: np.ndarray  # (done,) the current month pro rata
    annual: float  # the year's target (with margin)
    commitment: float  # the year's commitment (without margin)
    commitment_to_date: float

    @property
    def actual_to_date(self) -> float:
        return float(self.actual.sum())

    @property
    def target_to_date(self) -> float:
        return float(self.target.sum())

    @property
    def gap(self) -> float:
        """Actual − target to date (negative: behind)."""
        return self.actual_to_date - self.target_to_date

    @property
    def rate(self) -> float:
        """Completion against the target to date (1.0 = on plan)."""
        return self.actual_to_date / self.target_to_date if self.target_to_date else float("nan")

    @property
    def share_of_year(self) -> float:
        """Share of the annual target done."""
        return self.actual_to_date / self.annual if self.annual else float("nan")

    @property
    def monthly_rates(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.target != 0, self.actual / np.where(self.target != 0, self.target, 1), np.nan)


@dataclass
class Completion:
    months: list[str]
    units: list[UnitCompletion]
    total: UnitCompletion
    time_progress: float  # working days passed / working days in the year
    days_passed: int
    days_total: int

    def behind_points(self, u: UnitCompletion | None = None) -> float:
        """Time progress − share of the year done, in percentage points (positive: behind)."""
        u = u or self.total
        return (self.time_progress - u.share_of_year) * 100

    def rows(self) -> list[dict[str, object]]:
        """One row per unit (total first) and month: actual, target, rate, cumulative values."""
        out: list[dict[str, object]] = []
        for u in [self.total, *self.units] if len(self.units) > 1 else [self.total]:
            ca, ct = np.cumsum(u.actual), np.cumsum(u.target)
            for i, m in enumerate(self.months):
                out.append({"period": m, "team": u.unit, "actual": float(u.actual[i]), "target": float(u.target[i]),
                            "rate": _ratio(u.actual[i], u.target[i]), "cumulative_actual": float(ca[i]),
                            "cumulative_target": float(ct[i]), "cumulative_rate": _ratio(ca[i], ct[i])})
        return out


def _ratio(a: float, b: float) -> float | None:
    return float(a / b) if b else None


def completion(data: TrackData) -> Completion:
    """Completion of the target per unit and in total, with the calendar's time progress."""
    t = data.target
    actual = data.actual[t].reshape(len(data.units), data.done)
    target = data.plan_done(t).reshape(len(data.units), data.done)
    annual = data.plan_values[t].reshape(len(data.units), -1).sum(axis=1)
    commit_done = data.target_commit[:, : data.done] * data.frac[None, :]
    units = [UnitCompletion(u, float(data.weights[i]), actual[i], target[i], float(annual[i]),
                            float(data.target_commit[i].sum()), float(commit_done[i].sum()))
             for i, u in enumerate(data.units)]
    total = UnitCompletion(TOTAL, 1.0, actual.sum(axis=0), target.sum(axis=0), float(annual.sum()),
                           float(data.target_commit.sum()), float(commit_done.sum()))
    days = working_days(data.year, data.country)
    passed = int(days.workday[days.dates <= data.as_of].sum())
    total_days = int(days.workday.sum())
    return Completion(data.labels[: data.done], units, total, passed / total_days, passed, total_days)
