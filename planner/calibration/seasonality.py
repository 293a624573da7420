"""A monthly seasonality index (12 numbers, mean 1) from history, for the phasing step.

Phasing weighs a period by working days × seasonality, so by default the index is computed per
working day (official calendar: Chinese holidays and make-up workdays for CN): otherwise February's
Spring Festival would be counted twice, once in its few working days and again in its low total.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from planner.calibration.checks import check_rows
from planner.calibration.sources import Catalog
from planner.calibration.spec import build_recipe
from planner.errors import InputError
from planner.scenario import History

KEY = "seasonality"
_KNOWN = {"history", "per_workday", "country", "monthly", "basis", "source", "period", "rows", "note"}


def compute_seasonality(block: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """Return the ``seasonality:`` block with ``monthly: {1..12: index}`` and its provenance filled in."""
    unknown = sorted(set(block) - _KNOWN)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}", where=f"{KEY}.{unknown[0]}",
                         hint=f"known keys here: {', '.join(sorted(_KNOWN))}")
    try:
        spec = History.model_validate(block["history"])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(err["msg"].removeprefix("Value error, "), where=f"{KEY}.history{'.' + loc if loc else ''}",
                         hint="seasonality history: {source, value, date, period, where}") from None
    if spec.agg not in ("sum", "count") or not spec.date or spec.by or spec.per:
        raise InputError("the seasonality history must be agg: sum or count with a `date:` column, and no by/per",
                         where=f"{KEY}.history", hint="e.g. {source: sales, value: amount, date: order_date}")
    recipe = build_recipe(KEY, f"{KEY}.history", spec, (), {}, catalog)
    check_rows(recipe, catalog)
    measure = "count(*)" if spec.agg == "count" else f"sum(CAST({recipe.numeric['value']} AS DOUBLE))"
    sql = (f"SELECT year({recipe.date_sql}) AS y, month({recipe.date_sql}) AS m, {measure}, count(*) "
           f"FROM {recipe.table.sql} WHERE {recipe.where_sql} GROUP BY ALL ORDER BY y, m")
    rows = catalog.query(sql, recipe.table, recipe.key)
    per_workday = bool(block.get("per_workday", True))
    country = str(block.get("country", "CN"))
    index, note = monthly_index({(int(y), int(m)): float(v) for y, m, v, _ in rows}, per_workday, country,
                                recipe.table.display)
    out = {k: v for k, v in block.items() if k in ("history", "per_workday", "country")}
    out["monthly"] = index
    out["basis"] = f"per working day ({country} calendar)" if per_workday else "per calendar month"
    out["source"] = recipe.table.display
    out["period"] = str(recipe.period) if recipe.period else f"{rows[0][0]}-{rows[0][1]:02d}..{rows[-1][0]}-{rows[-1][1]:02d}"
    out["rows"] = int(sum(r[3] for r in rows))
    if note:
        out["note"] = note
    return out


def monthly_index(totals: dict[tuple[int, int], float], per_workday: bool, country: str,
                  display: str = "history") -> tuple[dict[int, float], str | None]:
    """Index per calendar month (1..12, mean 1) from {(year, month): total}; several years are pooled."""
    missing = [m for m in range(1, 13) if not any(mm == m for _, mm in totals)]
    if missing:
        raise InputError(f"seasonality needs history in all 12 months; none in month(s) {missing}",
                         file=display, where=f"{KEY}.history",
                         hint="give at least one full year of history, or write `seasonality.monthly` by hand")
    note = None
    level = {}
    for m in range(1, 13):
        keys = [k for k in totals if k[1] == m]
        if per_workday:
            days, note = _workdays_sum(keys, country)
        else:
            days = float(len(keys))
        level[m] = sum(totals[k] for k in keys) / days
    mean = sum(level.values()) / 12
    if mean <= 0:
        raise InputError("history totals are zero: no seasonality to compute", file=display, where=f"{KEY}.history")
    return {m: round(level[m] / mean, 6) for m in range(1, 13)}, note


def _workdays_sum(keys: list[tuple[int, int]], country: str) -> tuple[float, str | None]:
    total, note = 0, None
    for y, m in keys:
        n, why = workdays(y, m, country)
        total += n
        note = note or why
    return float(total), note


def workdays(year: int, month: int, country: str = "CN") -> tuple[int, str | None]:
    """Working days in a month by the official calendar; weekdays (with a note) where none is known."""
    days = [date(year, month, 1) + timedelta(d) for d in range(calendar.monthrange(year, month)[1])]
    if country.upper() == "CN":
        import chinese_calendar

        try:
            return sum(chinese_calendar.is_workday(d) for d in days), None
        except NotImplementedError:
            return sum(d.weekday() < 5 for d in days), f"no official CN calendar for {year}: weekdays used"
    import holidays

    try:
        off = holidays.country_holidays(country.upper(), years=year)
    except NotImplementedError:
        raise InputError(f"unknown country {country!r}", where=f"{KEY}.country",
                         hint="an ISO code such as CN, US, DE") from None
    return sum(d.weekday() < 5 and d not in off for d in days), None
