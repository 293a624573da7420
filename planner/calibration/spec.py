"""An input's ``history:`` block resolved against its table: columns checked, SQL expressions built.

A ``Recipe`` is everything the checks and the aggregation need, so neither looks at the scenario.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from planner.calibration.sources import Catalog, Table, is_identifier, literal, quote
from planner.errors import InputError
from planner.scenario import History

GRAINS = ("day", "week", "month", "quarter", "year")  # `per:` tokens that cut the date column


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def months(self) -> int:
        """Calendar months the period touches (2025 → 12; Oct..Dec → 3)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


@dataclass
class Recipe:
    """One ``history:`` block, bound to its table and the input's dimension labels."""

    name: str  # the input (or "seasonality")
    key: str  # dotted path of the block, for messages: inputs.price.history
    spec: History
    table: Table
    dims: tuple[str, ...]
    labels: list[list[str]]  # dimension labels, per dim
    label_sql: list[str]  # SQL giving each row's label, per dim (codes mapped to labels)
    by_cols: list[str]
    date_sql: str | None
    period: Period | None
    numeric: dict[str, str] = field(default_factory=dict)  # field (value/numerator/...) → SQL expression
    per_sql: list[str] = field(default_factory=list)
    key_cols: list[str] = field(default_factory=list)
    distinct: str | None = None  # agg count with `value`: count the distinct values of this expression

    @property
    def where_sql(self) -> str:
        return f"({self.spec.where})" if self.spec.where else "TRUE"

    def columns_used(self) -> list[str]:
        """Plain columns the recipe reads (shown beside bad rows)."""
        cols = [*self.key_cols, *self.by_cols]
        if self.spec.date:
            cols.append(self.table.column(self.spec.date) or self.spec.date)
        for f in ("value", "numerator", "denominator"):
            text = getattr(self.spec, f)
            if text and is_identifier(text):
                cols.append(self.table.column(text) or text)
        return list(dict.fromkeys(cols))


def parse_period(value: Any, where: str) -> Period | None:
    """``2025`` → the year; ``"2025-10"`` → that month; ``[start, end]`` → inclusive (dates or YYYY-MM)."""
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) != 2:
            raise InputError(f"period needs [start, end], got {value!r}", where=where,
                             hint="write period: [2025-01-01, 2025-12-31], or period: 2025")
        start, end = _day(value[0], where, first=True), _day(value[1], where, first=False)
    else:
        start, end = _day(value, where, first=True), _day(value, where, first=False)
    if end < start:
        raise InputError(f"period ends ({end}) before it starts ({start})", where=where, hint="swap the dates")
    return Period(start, end)


def _day(v: Any, where: str, *, first: bool) -> date:
    if isinstance(v, date):
        return v
    text = str(v).strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if not m:
        raise InputError(f"cannot read {v!r} as a date", where=where, hint="write YYYY, YYYY-MM or YYYY-MM-DD")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d is not None:
            return date(y, int(mo), int(d))
        month = int(mo) if mo else (1 if first else 12)
        return date(y, month, 1 if first else calendar.monthrange(y, month)[1])
    except ValueError as exc:
        raise InputError(f"cannot read {v!r} as a date ({exc})", where=where) from None


def as_list(v: str | list[str] | None) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else [str(x) for x in v]


def build_recipe(name: str, key: str, spec: History, input_dims: tuple[str, ...],
                 dims: dict[str, list[str]], catalog: Catalog) -> Recipe:
    """Bind a history block to its table: resolve columns, map labels, build SQL fragments."""
    for f in ("where", "value", "numerator", "denominator"):
        text = getattr(spec, f)
        if text and ";" in text:  # one expression each: never a second statement
            raise InputError(f"`{f}:` must be one SQL expression without ';'", where=f"{key}.{f}",
                             hint="write a condition such as status = 'ok' AND amount > 0")
    table = catalog.resolve(spec.source, f"{key}.source")
    by = as_list(spec.by)
    if len(by) != len(input_dims):
        need = f"over {list(input_dims)}" if input_dims else "a single number"
        raise InputError(f"`by:` names {len(by)} column(s) but the input is {need}", where=f"{key}.by",
                         hint=f"give one `by` column per dimension, in order: {list(input_dims) or 'none'}")
    by_cols = [_column(table, c, f"{key}.by") for c in by]
    labels = [dims[d] for d in input_dims]
    mapping = _label_map(spec, labels, f"{key}.labels")
    label_sql = [_label_expr(c, mapping) for c in by_cols]
    date_sql = None
    if spec.date:
        date_sql = f"TRY_CAST({quote(_column(table, spec.date, f'{key}.date'))} AS DATE)"
    period = parse_period(spec.period, f"{key}.period")
    if period and not spec.date:
        raise InputError("`period:` needs a `date:` column to check the rows against", where=f"{key}.period",
                         hint="name the date column: date: order_date")
    if isinstance(spec.nominal, dict):
        known = set(labels[0]) if labels else set()
        extra = sorted(str(k) for k in spec.nominal if str(k) not in known)
        if extra:
            raise InputError(f"nominal names unknown label(s) {extra}", where=f"{key}.nominal",
                             hint=f"labels: {', '.join(known) or 'none (the input is a single number)'}")
    recipe = Recipe(name, key, spec, table, input_dims, labels, label_sql, by_cols, date_sql, period)
    for f in ("value", "numerator", "denominator"):
        text = getattr(spec, f)
        if text:
            recipe.numeric[f] = _column_or_expr(table, text, f"{key}.{f}")
    if spec.agg == "count" and "value" in recipe.numeric:
        recipe.numeric.pop("value")  # count distinct values: any type will do
        recipe.distinct = _column_or_expr(table, spec.value or "", f"{key}.value")
    recipe.per_sql = [_per_expr(table, p, date_sql, f"{key}.per") for p in as_list(spec.per)]
    recipe.key_cols = [_column(table, c, f"{key}.key") for c in as_list(spec.key)]
    return recipe


def _column(table: Table, name: str, where: str) -> str:
    real = table.column(name)
    if real is None:
        import difflib

        close = difflib.get_close_matches(name, list(table.columns), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(f"missing column {name!r} (named by {where})", file=table.display,
                         where=f"column {name!r}",
                         hint=f"{hint}columns in this table: {', '.join(table.columns)}")
    return real


def _column_or_expr(table: Table, text: str, where: str) -> str:
    return quote(_column(table, text, where)) if is_identifier(text) else f"({text})"


def _per_expr(table: Table, token: str, date_sql: str | None, where: str) -> str:
    if token in GRAINS:
        if date_sql is None:
            raise InputError(f"`per: {token}` needs a `date:` column", where=where, hint="name the date column")
        return f"date_trunc('{token}', {date_sql})"
    return quote(_column(table, token, where))


def _label_map(spec: History, labels: list[list[str]], where: str) -> dict[str, str]:
    """Codes in the data → dimension labels (``labels: {信托: TRUST}``); unmapped values pass unchanged."""
    if not spec.labels:
        return {}
    known = {lab for group in labels for lab in group}
    out: dict[str, str] = {}
    for lab, codes in spec.labels.items():
        if str(lab) not in known:
            raise InputError(f"{lab!r} is not a label of this input's dimensions", where=f"{where}.{lab}",
                             hint=f"labels: {', '.join(sorted(known))}")
        for code in as_list(codes):
            out[str(code)] = str(lab)
    return out


def _label_expr(col: str, mapping: dict[str, str]) -> str:
    text = f"CAST({quote(col)} AS VARCHAR)"
    if not mapping:
        return text
    cases = " ".join(f"WHEN {literal(code)} THEN {literal(lab)}" for code, lab in mapping.items())
    return f"(CASE {text} {cases} ELSE {text} END)"
