"""Bad history data is an error before anything is computed: it names the file, the column and the first rows.

One grouped pass counts every kind of problem on the selected rows (``where:`` applied) and, in the same
scan, each label's coverage (rows, active months, first/last date); only when a count is non-zero does a
second query fetch the first offending rows, numbered as in the file.
"""

from __future__ import annotations

from typing import Any

from planner.calibration.sources import Catalog, literal, quote
from planner.calibration.spec import Recipe
from planner.errors import InputError

SHOW = 5  # bad rows quoted in a message


Coverage = dict[tuple[Any, ...], tuple[Any, ...]]  # label → (rows, active months, first date, last date)


def check_rows(recipe: Recipe, catalog: Catalog) -> Coverage:
    """Raise InputError for text or empty cells in numeric columns, negatives, bad or out-of-period dates,
    empty labels and duplicate keys. The same pass returns each label's coverage (rows, active months,
    first and last date), so the data is scanned once for both."""
    problems = _problems(recipe)
    sel, grp = _labels(recipe)
    k = len(recipe.label_sql)
    d = recipe.date_sql
    # active months: from the first to the last month with rows (a product launched in October and sold
    # through December is active 3 months, however sparse its orders in between)
    dated = (f"date_diff('month', date_trunc('month', min({d})), max({d})) + 1, min({d}), max({d})"
             if d else "NULL, NULL, NULL")
    counts = "".join(f", count(*) FILTER (WHERE {cond})" for _, cond, _, _ in problems)
    sql = (f"SELECT {sel}count(*), {dated}{counts} FROM {recipe.table.sql} WHERE {recipe.where_sql}{grp}")
    rows = catalog.query(sql, recipe.table, recipe.key)
    for i, (col, cond, what, hint) in enumerate(problems):
        n = sum(row[k + 4 + i] for row in rows)
        if n:
            shown = _first_rows(recipe, catalog, cond)
            raise InputError(f"{n} row{'s' if n > 1 else ''} {what} (used by {recipe.key}): {shown}",
                             file=recipe.table.display, where=f"column {col!r}", hint=hint)
    if recipe.key_cols:
        _check_duplicates(recipe, catalog)
    return {tuple(row[:k]): tuple(row[k:k + 4]) for row in rows if row[k]}


def _labels(r: Recipe) -> tuple[str, str]:
    """SELECT prefix and GROUP BY suffix for the label columns (nothing for a scalar input)."""
    if not r.label_sql:
        return "", ""
    sel = "".join(f"{e} AS __l{i}, " for i, e in enumerate(r.label_sql))
    return sel, " GROUP BY " + ", ".join(f"__l{i}" for i in range(len(r.label_sql)))


def _problems(r: Recipe) -> list[tuple[str, str, str, str]]:
    """(column, SQL condition that marks a bad row, what is wrong, hint) in the order they are reported."""
    out: list[tuple[str, str, str, str]] = []
    for field, expr in r.numeric.items():
        col = _name(r, field)
        out.append((col, f"{expr} IS NULL", f"with an empty {col!r}",
                    f"fill the cells or leave these rows out with `where: {col} IS NOT NULL`"))
        if not _typed(r, col, NUMERIC):  # a numeric column cannot hold text: skip the cast
            out.append((col, f"{expr} IS NOT NULL AND TRY_CAST({expr} AS DOUBLE) IS NULL",
                        f"with text in the numeric column {col!r}",
                        "numbers only in this column (no units, no thousands separators); fix the cells"))
        if not r.spec.signed:
            out.append((col, f"TRY_CAST({expr} AS DOUBLE) < 0", f"with a negative {col!r}",
                        "counts and amounts cannot be negative: fix the rows, leave them out with `where:`, "
                        "or allow them with `signed: true` (e.g. refunds)"))
    for col, expr in zip(r.by_cols, r.label_sql, strict=True):
        out.append((col, f"{expr} IS NULL", f"with an empty label in {col!r}", "fill in the label"))
    if r.spec.date and r.date_sql:
        col = r.table.column(r.spec.date) or r.spec.date
        raw = quote(col)
        out.append((col, f"{raw} IS NULL", f"with an empty date in {col!r}", "fill in the dates"))
        if not _typed(r, col, ("DATE", "TIMESTAMP")):
            out.append((col, f"{raw} IS NOT NULL AND {r.date_sql} IS NULL", f"with a non-date in {col!r}",
                        "write dates as YYYY-MM-DD"))
        if r.period:
            p = r.period
            out.append((col, f"{r.date_sql} NOT BETWEEN DATE {literal(p.start)} AND DATE {literal(p.end)}",
                        f"dated outside the period {p}",
                        f"leave them out with `where:` (e.g. where: \"{col} >= '{p.start}'\") or widen `period:`"))
    return out


NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "DOUBLE", "DECIMAL")


def _typed(r: Recipe, col: str, kinds: tuple[str, ...]) -> bool:
    """True when ``col`` is a plain column whose declared type is one of ``kinds``."""
    return col in r.table.columns and r.table.columns[col].upper().startswith(kinds)


def _name(r: Recipe, field: str) -> str:
    text = getattr(r.spec, field)
    return r.table.column(text) or text


def _first_rows(r: Recipe, catalog: Catalog, cond: str) -> str:
    cols = r.columns_used()
    select = ", ".join(quote(c) for c in cols)
    sql = (f"SELECT __row, {select} FROM (SELECT row_number() OVER () AS __row, * FROM {r.table.sql}) "
           f"WHERE {r.where_sql} AND ({cond}) ORDER BY __row LIMIT {SHOW}")
    rows = catalog.query(sql, r.table, r.key)
    return "; ".join(_show_row(r, row[0], dict(zip(cols, row[1:], strict=True))) for row in rows)


def _show_row(r: Recipe, number: int, values: dict[str, Any]) -> str:
    where = f"line {number + 1}" if r.table.rows_are_lines else f"row {number}"
    cells = ", ".join(f"{k}={_cell(v)}" for k, v in values.items())
    return f"{where}: {cells}"


def _cell(v: Any) -> str:
    if v is None:
        return "(empty)"
    if isinstance(v, str):
        return repr(v)
    return str(v)


def _check_duplicates(r: Recipe, catalog: Catalog) -> None:
    keys = ", ".join(quote(c) for c in r.key_cols)
    # Screen by sorting and comparing neighbours: on millions of unique keys DuckDB sorts faster than it
    # builds a hash table of them. Only when something repeats does the grouped query below name it.
    tup = f"row({keys})"
    screen = (f"SELECT count(*) FROM (SELECT {tup} AS __k, lag({tup}) OVER (ORDER BY {keys}) AS __p "
              f"FROM {r.table.sql} WHERE {r.where_sql}) WHERE __k IS NOT DISTINCT FROM __p")
    if not catalog.query(screen, r.table, r.key)[0][0]:
        return
    sql = (f"SELECT {keys}, count(*) AS n, count(*) OVER () AS groups FROM {r.table.sql} WHERE {r.where_sql} "
           f"GROUP BY ALL HAVING count(*) > 1 ORDER BY n DESC, {keys} LIMIT {SHOW}")
    dups = catalog.query(sql, r.table, r.key)
    if not dups:
        return
    k = len(r.key_cols)
    shown = "; ".join(
        ", ".join(f"{c}={_cell(v)}" for c, v in zip(r.key_cols, row[:k], strict=True)) + f" ({row[k]} rows)"
        for row in dups)
    total = dups[0][k + 1]
    match = " AND ".join(f"{quote(c)} IS NOT DISTINCT FROM ?" for c in r.key_cols)
    sql = (f"SELECT __row FROM (SELECT row_number() OVER () AS __row, * FROM {r.table.sql}) "
           f"WHERE {r.where_sql} AND {match} ORDER BY __row LIMIT {SHOW}")
    try:
        numbers = [row[0] for row in catalog.con.execute(sql, list(dups[0][:k])).fetchall()]
    except Exception:  # noqa: BLE001 - the line numbers only decorate the message
        numbers = []
    unit = "lines" if r.table.rows_are_lines else "rows"
    at = f"; the first at {unit} {', '.join(str(n + r.table.rows_are_lines) for n in numbers)}" if numbers else ""
    raise InputError(f"{total} duplicate key{'s' if total > 1 else ''} in {', '.join(r.key_cols)} "
                     f"(used by {r.key}): {shown}{at}", file=r.table.display,
                     where=f"column {r.key_cols[0]!r}",
                     hint="each key must appear once: remove the repeated rows (an export run twice?)")
