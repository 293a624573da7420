"""Working days from the official calendars (2025 and 2026), months and ISO weeks.

The expected counts are derived by hand from the State Council notices (国务院办公厅关于2025年 /
2026年部分节假日安排的通知), never computed with chinese_calendar: weekdays of the month, minus
the holidays that fall on weekdays, plus the make-up working days (调休) on weekends.
"""

from __future__ import annotations

import datetime as dt

import pytest

from planner.calendar import is_workday, period_table, working_days
from planner.errors import InputError

# 2025 (国办发明电〔2024〕12号): 元旦 1/1; 春节 1/28–2/4, work Sun 1/26 and Sat 2/8; 清明 4/4–4/6;
# 劳动节 5/1–5/5, work Sun 4/27; 端午 5/31–6/2; 国庆+中秋 10/1–10/8, work Sun 9/28 and Sat 10/11.
# Jan: 23 weekdays − 1/1 − 1/28..1/31 (4) + 1/26 = 19; Feb: 20 − 2/3, 2/4 + 2/8 = 19; Mar 21;
# Apr: 22 − 4/4 + 4/27 = 22; May: 22 − 5/1, 5/2, 5/5 = 19; Jun: 21 − 6/2 = 20; Jul 23; Aug 21;
# Sep: 22 + 9/28 = 23; Oct: 23 − 10/1,2,3,6,7,8 + 10/11 = 18; Nov 20; Dec 23.
CN_2025 = [19, 19, 21, 22, 19, 20, 23, 21, 23, 18, 20, 23]
# 2026 (notice of 2025-11-04): 元旦 1/1–1/3, work Sun 1/4; 春节 2/15–2/23, work Sat 2/14 and Sat 2/28;
# 清明 4/4–4/6; 劳动节 5/1–5/5, work Sat 5/9; 端午 6/19–6/21; 中秋 9/25–9/27;
# 国庆 10/1–10/7, work Sun 9/20 and Sat 10/10.
# Jan: 22 − 1/1, 1/2 + 1/4 = 21; Feb: 20 − 2/16..2/20, 2/23 (6) + 2/14, 2/28 = 16; Mar 22;
# Apr: 22 − 4/6 = 21; May: 21 − 5/1, 5/4, 5/5 + 5/9 = 19; Jun: 22 − 6/19 = 21; Jul 23; Aug 21;
# Sep: 22 − 9/25 + 9/20 = 22; Oct: 22 − 10/1, 2, 5, 6, 7 + 10/10 = 18; Nov 21; Dec 23.
CN_2026 = [21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]
# United States 2026 (federal holidays, Independence Day observed Fri 3 July): weekdays minus
# 1/1, 1/19, 2/16, 5/25, 6/19, 7/3, 9/7, 10/12, 11/11, 11/26, 12/25.
US_2026 = [20, 19, 22, 22, 20, 21, 22, 21, 21, 21, 19, 22]


@pytest.mark.parametrize(("year", "expected"), [(2025, CN_2025), (2026, CN_2026)])
def test_china_working_days_per_month(year: int, expected: list[int]) -> None:
    table = period_table(working_days(year, "CN"), "month")
    assert table["working_days"].tolist() == expected
    assert table["period"].tolist() == [f"{year}-{m:02d}" for m in range(1, 13)]
    assert sum(expected) == 248


@pytest.mark.parametrize("day", ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
                                 "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                                 "2026-10-10"])
def test_make_up_weekend_days_are_working_days(day: str) -> None:
    d = dt.date.fromisoformat(day)
    assert d.weekday() >= 5
    assert is_workday(d, "CN")


@pytest.mark.parametrize("day", ["2025-01-28", "2025-02-04", "2025-04-04", "2025-05-05", "2025-06-02",
                                 "2025-10-08", "2026-01-02", "2026-02-23", "2026-04-06", "2026-05-05",
                                 "2026-06-19", "2026-09-25", "2026-10-07"])
def test_weekday_holidays_are_days_off(day: str) -> None:
    d = dt.date.fromisoformat(day)
    assert d.weekday() < 5
    assert not is_workday(d, "CN")


def test_iso_weeks_2026_are_cut_at_the_year_boundary() -> None:
    weeks = period_table(working_days(2026), "week")
    assert len(weeks) == 53  # 2026 starts on a Thursday: 53 ISO weeks
    first, last = weeks.iloc[0], weeks.iloc[-1]
    assert (first["period"], str(first["start"].date()), str(first["end"].date())) == ("2026-W01", "2026-01-01",
                                                                                       "2026-01-04")
    assert first["calendar_days"] == 4 and first["working_days"] == 1  # only the make-up Sunday 1/4
    assert (last["period"], str(last["end"].date()), last["calendar_days"]) == ("2026-W53", "2026-12-31", 4)
    spring = weeks.set_index("period").loc["2026-W08"]  # Mon 2/16 – Sun 2/22: all Spring Festival
    assert spring["working_days"] == 0
    assert weeks.set_index("period").loc["2026-W07", "working_days"] == 6  # + make-up Saturday 2/14
    assert weeks["working_days"].sum() == 248 and weeks["calendar_days"].sum() == 365


def test_iso_weeks_2025_keep_the_next_years_label_for_the_last_days() -> None:
    weeks = period_table(working_days(2025), "week")
    assert weeks.iloc[0]["period"] == "2025-W01" and weeks.iloc[0]["calendar_days"] == 5  # 1/1 – 1/5
    last = weeks.iloc[-1]  # Mon 12/29 – Wed 12/31 2025 belong to ISO week 2026-W01
    assert (last["period"], last["calendar_days"], last["working_days"]) == ("2026-W01", 3, 3)


def test_other_countries_use_the_holidays_package() -> None:
    assert period_table(working_days(2026, "us"), "month")["working_days"].tolist() == US_2026


def test_unknown_country_and_year_are_input_errors() -> None:
    with pytest.raises(InputError, match="no holiday calendar") as err:
        working_days(2026, "XX")
    assert err.value.where == "--country"
    with pytest.raises(InputError, match="not known") as err:
        working_days(2045, "CN")
    assert "chinesecalendar" in (err.value.hint or "")
    with pytest.raises(InputError, match="unknown period"):
        period_table(working_days(2026), "quarter")
