"""Read and check an actuals file (CSV or Parquet): one value per period, team, metric and label.

Long format (preferred): columns ``period`` (``2026-03``) or ``date`` (``2026-03-17``, summed into
its month), ``team`` (optional: without it the file is the whole plan), ``product`` (or ``label``:
the metric's label, e.g. ``信托``; ``A/信托`` for a metric with two dimensions), ``metric`` (a name
of the plan's tree: ``total_sales``, ``contacted``, ``conversion`` …) and ``value``.
Wide format: ``period``/``date``, ``team``, ``product`` and one column per metric.

Every problem is an :class:`InputError` naming the file, the column and the first bad rows (CSV
row numbers count the header as row 1); nothing is guessed silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError

KEYS = ("period", "team", "label")
ALL_UNITS = "全部"  # the single unit of a file without a team column


@dataclass
class Actuals:
    """Checked actuals: one row per (period, unit, name, label) with its value."""

    path: str
    frame: pd.DataFrame  # columns: row, period, unit, name, label, value
    units: list[str]
    has_team: bool

    @property
    def metrics(self) -> set[str]:
        return set(self.frame["name"])

    @property
    def periods(self) -> list[str]:
        return sorted(set(self.frame["period"]))


def read_table(path: str | Path) -> pd.DataFrame:
    """The raw table, every cell as text (numbers are parsed later so bad cells can be named)."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", file=str(p), where="--actuals", hint="check the path given to --actuals")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            raw = pd.read_parquet(p)
            frame = raw.astype(object).where(raw.notna(), "").map(str)  # blanks stay blank, not "nan"
        else:
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise InputError(f"cannot read the actuals: {exc}", file=str(p),
                         hint="give a UTF-8 CSV or a Parquet file with columns period, team, product, metric, value") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"product": "label", "month": "period"})
    frame.insert(0, "row", np.arange(len(frame)) + 2)
    return frame


def to_long(frame: pd.DataFrame, path: str) -> pd.DataFrame:
    """Long form with columns row, period-or-date, team, label, metric, value (wide files melted)."""
    if "period" not in frame.columns and "date" not in frame.columns:
        raise InputError("no `period` or `date` column", file=path, where="columns",
                         hint=f"add `period` (2026-03) or `date` (2026-03-17); found: {', '.join(frame.columns[1:])}")
    if "metric" in frame.columns:
        if "value" not in frame.columns:
            raise InputError("a `metric` column needs a `value` column", file=path, where="column value")
        return frame
    keys = [c for c in ("row", "period", "date", "team", "label") if c in frame.columns]
    metrics = [c for c in frame.columns if c not in keys]
    if not metrics:
        raise InputError("no metric columns", file=path, where="columns",
                         hint="give `metric,value` columns (long) or one column per metric (wide)")
    long = frame.melt(id_vars=keys, value_vars=metrics, var_name="metric", value_name="value")
    return long[long["value"].str.strip() != ""]  # a blank cell in a wide file: metric not reported


def _rows(frame: pd.DataFrame, mask: pd.Series | np.ndarray, col: str, n: int = 3) -> str:
    bad = frame[np.asarray(mask)]
    return ", ".join(f"row {int(r.row)}: {getattr(r, col)!r}" for r in bad.head(n).itertuples())


def _fail(frame: pd.DataFrame, mask: pd.Series | np.ndarray, col: str, path: str, what: str, hint: str) -> None:
    count = int(np.asarray(mask).sum())
    if count:
        raise InputError(f"{what} in {count} row{'s' * (count > 1)} ({_rows(frame, mask, col)})",
                         file=path, where=f"column {col}", hint=hint)


def check_values(long: pd.DataFrame, path: str) -> pd.DataFrame:
    """Parse the ``value`` column: every cell a finite number."""
    values = pd.to_numeric(long["value"].astype(str).str.strip().str.replace(",", ""), errors="coerce")
    _fail(long, values.isna() | ~np.isfinite(values.fillna(0)), "value", path, "not a number",
          "every value must be a number; leave out rows that were not measured")
    return long.assign(value=values.astype(float))


def check_periods(long: pd.DataFrame, path: str, year: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """``period`` (YYYY-MM) or ``date`` → month; inside the plan year and not after ``as_of``."""
    col = "period" if "period" in long.columns else "date"
    text = long[col].astype(str).str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="%Y-%m" if col == "period" else "mixed")
    _fail(long, parsed.isna(), col, path, "not a date",
          "write periods as 2026-03 (or dates as 2026-03-17 in a `date` column)")
    outside = parsed.dt.year != year
    _fail(long, outside, col, path, f"period outside the plan year {year}",
          f"the plan is for {year}; drop other years or give --year")
    late = parsed.dt.to_period("M").dt.start_time > as_of
    _fail(long, late, col, path, f"period after --as-of {as_of.date()}",
          "give a later --as-of, or drop the rows that are not final yet")
    return long.assign(period=parsed.dt.strftime("%Y-%m"))


def check_names(long: pd.DataFrame, path: str, name_dims: dict[str, tuple[str, ...]],
                dims: dict[str, list[str]]) -> pd.DataFrame:
    """Metrics must be names of the plan's tree; labels must be labels of the metric's dimensions."""
    metric = long["metric"].astype(str).str.strip()
    unknown = ~metric.isin(list(name_dims))
    if unknown.any():
        word = metric[unknown].iat[0]
        close = difflib.get_close_matches(word, list(name_dims), n=1)
        _fail(long, unknown, "metric", path, "unknown metric",
              (f"did you mean {close[0]!r}? " if close else "") + f"known: {', '.join(name_dims)}")
    label = long["label"].astype(str).str.strip() if "label" in long.columns else pd.Series("", index=long.index)
    pairs = pd.MultiIndex.from_arrays([metric, label])
    good = {}
    for m, lab in pairs.unique():  # each distinct (metric, label) once: fast on long files
        want = name_dims[m]
        parts = [x.strip() for x in lab.split("/")] if lab else []
        good[(m, lab)] = len(parts) == len(want) and all(x in dims[d] for x, d in zip(parts, want, strict=True))
    ok = np.array([good[k] for k in pairs.unique()])[pairs.unique().get_indexer(pairs)]
    if not ok.all():
        first = int(np.argmax(~ok))
        m = metric.iat[first]
        want = name_dims[m]
        hint = (f"{m} has no labels: leave `product` empty" if not want else
                f"{m} needs a `product` label from {' / '.join(d + ' ' + str(dims[d]) for d in want)}")
        col = "label" if "label" in long.columns else "metric"
        _fail(long.assign(label=label), ~ok, col, path, f"unknown or missing product label for {m}",
              hint)
    return long.assign(metric=metric, label=label.str.replace(" ", ""))


def check_units(long: pd.DataFrame, path: str, teams: list[str] | None) -> tuple[pd.DataFrame, list[str], bool]:
    """The ``team`` column against the teams the target was split to (``--teams``)."""
    if "team" not in long.columns:
        return long.assign(unit=ALL_UNITS), [ALL_UNITS], False
    unit = long["team"].astype(str).str.strip()
    _fail(long.assign(team=unit), unit == "", "team", path, "no team name", "fill the team of every row")
    seen = list(dict.fromkeys(unit))
    if teams is None:
        if len(seen) > 1:
            raise InputError(f"the actuals have {len(seen)} teams ({', '.join(seen[:5])}) but no team targets",
                             file=path, where="column team",
                             hint="give --teams (the teams CSV of `planner allocate --by capacity|share`, "
                                  "or its allocation JSON) so each team has a target")
        return long.assign(unit=unit), seen, True
    _fail(long.assign(team=unit), ~unit.isin(teams), "team", path, "unknown team",
          f"teams with a target (--teams): {', '.join(teams)}")
    present = set(unit)
    missing = [t for t in teams if t not in present]
    if missing:
        raise InputError(f"team {missing[0]!r} has a target but no actuals", file=path, where="column team",
                         hint="add its rows (a missing team would make the total look short)")
    return long.assign(unit=unit), list(teams), True


def check_duplicates(long: pd.DataFrame, path: str, flows: set[str]) -> pd.DataFrame:
    """One row per (period, unit, metric, label); daily flows are summed into their month."""
    key = ["period", "unit", "metric", "label"]
    dup = long.duplicated(key, keep=False)
    if "date" in long.columns:
        dup &= ~long["metric"].isin(list(flows))  # dates of a flow add up; a rate cannot be added
    _fail(long, dup, "metric", path, "the same metric, team and label appear twice in one period",
          "give one value per period (rates and prices cannot be added up: give the month's value)")
    agg = long.groupby(key, sort=False, as_index=False).agg(row=("row", "min"), value=("value", "sum"))
    return agg


def load_actuals(path: str | Path, *, name_dims: dict[str, tuple[str, ...]], dims: dict[str, list[str]],
                 flows: set[str], year: int, as_of: pd.Timestamp, teams: list[str] | None) -> Actuals:
    """Read and check an actuals file against the plan's tree, year, ``as_of`` and teams."""
    path = str(path)
    long = to_long(read_table(path), path)
    long = check_values(long, path)
    long = check_periods(long, path, year, as_of)
    long = check_names(long, path, name_dims, dims)
    long, units, has_team = check_units(long, path, teams)
    if long.empty:
        raise InputError("no rows", file=path, hint="the actuals file holds no values")
    agg = check_duplicates(long, path, flows)
    frame = agg.rename(columns={"metric": "name"})[["row", "period", "unit", "name", "label", "value"]]
    return Actuals(path=path, frame=frame.reset_index(drop=True), units=units, has_team=has_team)
