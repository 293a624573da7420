"""The aggregation itself: one SQL query per input, grouped by dimension label, plus its provenance.

Method per ``agg``: sum, mean, median, ratio (= sum(numerator) / sum(denominator)), count (rows, or
distinct values of ``value``), last (total on the latest date). With ``per:`` the rows are first summed
per unit (e.g. per seat and week) and the aggregation runs over the units. ``annualise`` scales each
label's total by 12 / its active months; ``nominal`` replaces a computed mean and counts the rows that
disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from planner.calibration.sources import Catalog, literal
from planner.calibration.spec import Recipe, as_list
from planner.errors import InputError

Label = tuple[str, ...]
SPREAD_AGGS = ("mean", "median")


@dataclass
class LabelResult:
    """One label's baseline and how it came about."""

    label: Label
    value: float
    computed: float  # what the aggregation gave, before nominal / annualisation
    rows: int  # history rows used
    units: int | None = None  # groups aggregated when `per:` is set
    months: int | None = None
    first: date | None = None
    last: date | None = None
    factor: float | None = None  # annualisation factor (12 / active months), when applied
    spread: dict[str, float] | None = None  # n, mean, median, sd, cv, p10, p90, min, max
    numerator: float | None = None
    denominator: float | None = None
    disagree: int | None = None  # rows (or units) whose value differs from `nominal`
    below: int | None = None
    smallest: float | None = None


@dataclass
class InputResult:
    """A calibrated input: per-label results, provenance text and flags for the report."""

    name: str
    source: str
    period: str
    method: str
    rows: int
    dims: tuple[str, ...]
    labels: list[LabelResult]
    ignored: dict[str, int] = field(default_factory=dict)  # rows whose label is not a dimension label
    flags: list[str] = field(default_factory=list)

    def baseline(self) -> Any:
        """The value to write as ``baseline:``: a number, or {label: number} nested by dimension."""
        if not self.dims:
            return clean(self.labels[0].value)
        out: dict[str, Any] = {}
        for lr in self.labels:
            level = out
            for part in lr.label[:-1]:
                level = level.setdefault(part, {})
            level[lr.label[-1]] = clean(lr.value)
        return out


def clean(x: float) -> float | int:
    """Whole numbers as int, others to 12 significant digits (stable, readable YAML)."""
    if abs(x - round(x)) <= 1e-9 * max(1.0, abs(x)):
        return int(round(x))
    return float(f"{x:.12g}")


def num(x: float) -> str:
    """1,234,567 for large values, 6 significant digits for rates (messages and comments)."""
    return f"{round(x):,}" if abs(x) >= 1000 else f"{clean(x):.6g}"


def aggregate(r: Recipe, catalog: Catalog, cover: dict[Label, tuple[Any, ...]]) -> InputResult:
    """Run the aggregation for one recipe and assemble its provenance; ``cover`` is what ``check_rows``
    found per label (rows, active months, first and last date)."""
    wanted = _wanted_labels(r)
    missing = [lab for lab in wanted if lab not in cover]
    if missing:
        raise InputError(f"no history rows for label(s) {[' / '.join(m) for m in missing]}", file=r.table.display,
                         where=f"{r.key}.by",
                         hint="check `where:`, `period:` and the `labels:` mapping from data codes to labels "
                              f"(values found in the data: {', '.join(' / '.join(k) for k in list(cover)[:10])})")
    stats = _stats(r, catalog)
    results = [_label_result(r, lab, cover[lab], stats[lab]) for lab in wanted]
    ignored = {" / ".join(k): v[0] for k, v in cover.items() if k not in wanted}
    res = InputResult(r.name, r.table.display, _period_text(r, results), describe(r), sum(x.rows for x in results),
                      r.dims, results, ignored)
    res.flags = _flags(r, res)
    return res


def _wanted_labels(r: Recipe) -> list[Label]:
    import itertools

    return [tuple(x) for x in itertools.product(*r.labels)] if r.labels else [()]


def _lab_cols(r: Recipe) -> tuple[str, str]:
    """SELECT list and GROUP BY list for the label columns (empty grouping for a scalar input)."""
    sel = ", ".join(f"{e} AS __l{i}" for i, e in enumerate(r.label_sql))
    grp = ", ".join(f"__l{i}" for i in range(len(r.label_sql)))
    return sel, grp


def _stats(r: Recipe, catalog: Catalog) -> dict[Label, dict[str, Any]]:
    sel, grp = _lab_cols(r)
    k = len(r.label_sql)
    n = r.numeric
    cols = [sel] if sel else []
    if r.spec.agg == "ratio":
        cols += [f"CAST({n['numerator']} AS DOUBLE) AS __num", f"CAST({n['denominator']} AS DOUBLE) AS __den"]
    elif r.spec.agg == "count":
        cols.append(f"{_count_value(r)} AS __v")
    else:
        cols.append(f"CAST({n['value']} AS DOUBLE) AS __v")
    if r.date_sql:
        cols.append(f"{r.date_sql} AS __d")
    cols += [f"{e} AS __p{i}" for i, e in enumerate(r.per_sql)]
    base = f"SELECT {', '.join(cols)} FROM {r.table.sql} WHERE {r.where_sql}"
    if k:
        keep = " AND ".join(f"__l{i} IN ({', '.join(literal(x) for x in labs)})" for i, labs in enumerate(r.labels))
        base = f"SELECT * FROM ({base}) WHERE {keep}"
    if r.per_sql:
        per = ", ".join(f"__p{i}" for i in range(len(r.per_sql)))
        unit = "count(*)" if r.spec.agg == "count" else "sum(__v)"
        base = f"SELECT {grp + ', ' if grp else ''}{per}, {unit} AS __v FROM ({base}) GROUP BY ALL"
    measures = _measures(r)
    sql = (f"SELECT {grp + ', ' if grp else ''}{', '.join(m for _, m in measures)} FROM ({base})"
           f"{' GROUP BY ' + grp if grp else ''}")
    if r.spec.agg == "last":
        sql = (f"SELECT {grp + ', ' if grp else ''}count(*), sum(__v) FILTER (WHERE __d = __maxd) FROM "
               f"(SELECT *, max(__d) OVER ({'PARTITION BY ' + grp if grp else ''}) AS __maxd FROM ({base}))"
               f"{' GROUP BY ' + grp if grp else ''}")
        measures = [("n", ""), ("last", "")]
    rows = catalog.query(sql, r.table, r.key)
    out = {tuple(row[:k]): dict(zip([m for m, _ in measures], row[k:], strict=True)) for row in rows}
    for s in out.values():
        if s.get("q") is not None:
            s["p10"], s["median"], s["p90"] = s.pop("q")
    return out


def _count_value(r: Recipe) -> str:
    return r.distinct or "1"


def _measures(r: Recipe) -> list[tuple[str, str]]:
    agg = r.spec.agg
    if agg == "ratio":
        return [("n", "count(*)"), ("num", "sum(__num)"), ("den", "sum(__den)")]
    if agg == "count":
        what = "count(DISTINCT __v)" if r.spec.value and not r.per_sql else "count(*)"
        return [("n", "count(*)"), ("count", what)]
    out = [("n", "count(*)"), ("sum", "sum(__v)"), ("mean", "avg(__v)"), ("min", "min(__v)"), ("max", "max(__v)")]
    if agg in SPREAD_AGGS or r.per_sql:
        # one holistic aggregate for all three quantiles: DuckDB sorts each group once, not three times
        out += [("sd", "stddev_samp(__v)"), ("q", "quantile_cont(__v, [0.1, 0.5, 0.9])")]
    if r.spec.nominal is not None:
        nom = _nominal_sql(r)
        out += [("disagree", f"count(*) FILTER (WHERE abs(__v - {nom}) > 1e-9 * abs({nom}))"),
                ("below", f"count(*) FILTER (WHERE __v < {nom} - 1e-9 * abs({nom}))")]
    return out


def nominal_of(r: Recipe, label: Label) -> float | None:
    """The declared nominal value for one label: a number for all, or per label (labels left out keep
    their computed value, e.g. variable-ticket products beside fixed-ticket ones)."""
    v: Any = r.spec.nominal
    for part in label:
        if isinstance(v, dict):
            v = {str(k): x for k, x in v.items()}.get(part)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
        raise InputError(f"nominal must be a positive number, got {v!r}", where=f"{r.key}.nominal",
                         hint="write e.g. nominal: 1000000, or {信托: 1000000}")
    return float(v)


def _nominal_sql(r: Recipe) -> str:
    if not r.dims:
        return repr(nominal_of(r, ()))
    cases = " ".join(
        "WHEN " + " AND ".join(f"__l{i} = {literal(p)}" for i, p in enumerate(lab)) + f" THEN {nom!r}"
        for lab in _wanted_labels(r) if (nom := nominal_of(r, lab)) is not None)
    return f"(CASE {cases} ELSE NULL END)" if cases else "NULL"


def _label_result(r: Recipe, lab: Label, cover: tuple[Any, ...], s: dict[str, Any]) -> LabelResult:
    rows, months, first, last = cover
    agg = r.spec.agg
    lr = LabelResult(lab, 0.0, 0.0, int(rows), months=months, first=first, last=last)
    if r.per_sql:
        lr.units = int(s["n"])
    if agg == "ratio":
        lr.numerator, lr.denominator = float(s["num"] or 0), float(s["den"] or 0)
        if lr.denominator == 0:
            raise InputError(f"the denominator sums to 0 for {' / '.join(lab) or 'all rows'}", file=r.table.display,
                             where=f"{r.key}.denominator", hint="check `where:` and the denominator column")
        lr.computed = lr.numerator / lr.denominator
    elif agg == "count":
        lr.computed = float(s["count"])
    elif agg == "last":
        lr.computed = float(s["last"])
    else:
        lr.computed = float(s[agg])
    if agg in SPREAD_AGGS or r.per_sql:
        lr.spread = _spread(s)
    lr.value = lr.computed
    nominal = nominal_of(r, lab) if r.spec.nominal is not None else None
    if nominal is not None:
        lr.value = nominal
        lr.disagree, lr.below, lr.smallest = int(s["disagree"]), int(s["below"]), float(s["min"])
    if r.spec.annualise and months:
        lr.factor = 12 / months
        lr.value = lr.computed * lr.factor
    return lr


def _spread(s: dict[str, Any]) -> dict[str, float]:
    keys = ("n", "mean", "median", "sd", "p10", "p90", "min", "max")
    out = {k: float(s[k]) if s.get(k) is not None else 0.0 for k in keys}
    out["cv"] = out["sd"] / out["mean"] if out["mean"] else 0.0
    return out


def describe(r: Recipe) -> str:
    """The method in words, e.g. "mean of sum(amount) per seat_id, week, by level where status = 'paid'"."""
    s = r.spec
    what = {"ratio": f"sum({s.numerator}) / sum({s.denominator})",
            "count": f"count(distinct {s.value})" if s.value and not s.per else "count(rows)",
            "last": f"{s.value} on the latest {s.date}"}.get(s.agg, f"{s.agg}({s.value})")
    if s.per:
        unit = "count(rows)" if s.agg == "count" else f"sum({s.value})"
        what = f"{'count' if s.agg == 'count' else s.agg} of {unit} per {', '.join(as_list(s.per))}"
    if s.by:
        what += f" by {', '.join(as_list(s.by))}"
    if s.where:
        what += f" where {s.where}"
    if s.annualise:
        what += "; annualised by active months (× 12 / months)"
    if s.nominal is not None:
        what += "; nominal value overrides the computed one"
    return what


def _period_text(r: Recipe, results: list[LabelResult]) -> str:
    if r.period:
        return str(r.period)
    firsts = [x.first for x in results if x.first]
    lasts = [x.last for x in results if x.last]
    return f"{min(firsts)}..{max(lasts)} (from the data)" if firsts else "all rows (no date column)"


def _flags(r: Recipe, res: InputResult) -> list[str]:
    """Warnings a planner should read before trusting the numbers."""
    flags: list[str] = []
    full = r.period.months if r.period else 12
    for lr in res.labels:
        name = " / ".join(lr.label) or res.name
        if lr.months is not None and lr.months < full:
            if lr.factor is not None:
                flags.append(f"ANNUALISED {name}: sold in {lr.months} of {full} months "
                             f"({lr.first}..{lr.last}); total {num(lr.computed)} × {lr.factor:.4g}")
            elif r.spec.agg in ("sum", "count"):
                flags.append(f"PARTIAL YEAR {name}: active {lr.months} of {full} months, not annualised "
                             "(set annualise: true for a full-year run-rate)")
        if lr.disagree:
            flags.append(f"NOMINAL {name}: {num(lr.value)} used; {lr.disagree} of "
                         f"{lr.units or lr.rows} {'units' if lr.units else 'rows'} differ ({lr.below} smaller, "
                         f"smallest {num(lr.smallest or 0)}); computed {r.spec.agg} {num(lr.computed)}")
    spread = [lr for lr in res.labels if lr.spread]
    if len(spread) > 1:
        top = max(spread, key=lambda x: x.computed)
        widest = max(spread, key=lambda x: x.spread["cv"] if x.spread else 0.0)
        if top is widest and top.spread:
            flags.append(f"SPREAD {' / '.join(top.label)}: the highest label ({num(top.computed)}) also varies "
                         f"the most (cv {top.spread['cv']:.2f}, p10..p90 {num(top.spread['p10'])}.."
                         f"{num(top.spread['p90'])}): its baseline is the least certain")
    if res.ignored:
        n = sum(res.ignored.values())
        flags.append(f"IGNORED {n} rows whose {', '.join(r.by_cols)} is not a label of {list(r.dims)}: "
                     f"{', '.join(list(res.ignored)[:5])}")
    return flags
