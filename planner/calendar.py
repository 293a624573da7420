"""Working days from the official calendar, per day, month and ISO week.

China uses ``chinese_calendar``: the State Council's public holidays *and* its make-up workdays
(调休), so a make-up Saturday counts as a working day. Other countries use ``holidays``
(Monday–Friday minus public holidays). Everything is one boolean per day of the year, so months
and weeks are plain group sums over the same array.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError


@dataclass(frozen=True)
class Days:
    """Every day of one year: date, month, ISO week label and whether it is a working day."""

    year: int
    country: str
    dates: pd.DatetimeIndex
    workday: np.ndarray  # bool per day

    @property
    def month(self) -> np.ndarray:
        return self.dates.month.to_numpy()

    @property
    def iso_week(self) -> np.ndarray:
        """ISO week label per day, e.g. ``2026-W01``. Days of the year that belong to an ISO week of
        the previous or next ISO year keep that week's label (``2026-W01`` for 2025-12-29..31)."""
        iso = self.dates.isocalendar()
        return np.array([f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)])


def working_days(year: int, country: str = "CN") -> Days:
    """Return the working-day flags of every day of ``year`` for ``country`` (ISO code, default China)."""
    if not 1900 < int(year) < 2200:
        raise InputError(f"year {year} is out of range", where="--year", hint="give a year like 2026")
    dates = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    country = country.upper()
    if country == "CN":
        flags = _china(dates)
    else:
        flags = _other(dates, country)
    return Days(int(year), country, dates, flags)


def _china(dates: pd.DatetimeIndex) -> np.ndarray:
    import chinese_calendar

    try:
        return np.array([chinese_calendar.is_workday(d.date()) for d in dates], dtype=bool)
    except NotImplementedError as exc:  # the package only knows years the State Council has published
        raise InputError(f"the Chinese holiday calendar for {dates[0].year} is not known: {exc}",
                         where="--year",
                         hint="upgrade it (`pip install -U chinesecalendar`) or use --country with a "
                              "rule-based calendar") from None


def _other(dates: pd.DatetimeIndex, country: str) -> np.ndarray:
    import holidays

    try:
        official = holidays.country_holidays(country, years=dates[0].year)
    except NotImplementedError:
        raise InputError(f"no holiday calendar for country {country!r}", where="--country",
                         hint="give an ISO 3166 code such as CN, US, DE, JP, HK, SG") from None
    weekday = dates.day_of_week.to_numpy() < 5
    off = np.array([d.date() in official for d in dates], dtype=bool)
    return weekday & ~off


def period_table(days: Days, by: str) -> pd.DataFrame:
    """One row per month (``2026-01``) or ISO week (``2026-W01``): start, end, calendar and working days.

    Weeks are cut at the year boundary: the first and last week of the year may be shorter than
    seven days (2026-W01 runs Thursday 1 January to Sunday 4 January).
    """
    keys = period_keys(days, by)
    frame = pd.DataFrame({"period": keys, "date": days.dates, "working_days": days.workday.astype(int)})
    out = frame.groupby("period", sort=False).agg(
        start=("date", "min"), end=("date", "max"), calendar_days=("date", "size"),
        working_days=("working_days", "sum"))
    return out.reset_index()


def period_keys(days: Days, by: str) -> np.ndarray:
    """The period label of each day (month ``2026-01`` or ISO week ``2026-W01``)."""
    if by == "month":
        return np.array([f"{days.year}-{m:02d}" for m in days.month])
    if by == "week":
        return days.iso_week
    raise InputError(f"unknown period {by!r}", where="--by", hint="use month or week")


def is_workday(day: dt.date, country: str = "CN") -> bool:
    """Whether one date is a working day (convenience for reports; vectorised code uses ``working_days``)."""
    days = working_days(day.year, country)
    return bool(days.workday[day.timetuple().tm_yday - 1])
