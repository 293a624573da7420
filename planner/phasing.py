"""Spread a plan's annual figures over months or ISO weeks: working days × seasonality × ramp.

Each day of the year gets a weight ``w = working day (0/1) × seasonal index of its month``. A flow
(sales, customers) with last year's value B and planned value P is split as

    value[p] = B · S[p] + (P − B) · R[p]

where ``S[p]`` is period p's share of the weights and ``R[p]`` its share of the *ramped* weights
``w · g`` (``g`` rises linearly from 0 at 1 January to 1 after ``ramp`` months): last year's run
rate follows the calendar, the uplift bites gradually, and the year's total is unchanged.
Rates and prices (non-flows) are phased as levels: ``B + (P − B) · mean g`` over the period.
Totals are rounded to the display quantum first, then split with largest-remainder rounding, so
the periods add up *exactly* to the annual figure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.calendar import Days, period_keys, period_table, working_days
from planner.errors import InputError
from planner.files import load_json_as
from planner.result import Plan

# --- rounding ------------------------------------------------------------------------------------


def round_exact(raw: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Round each row of ``raw`` (items × periods) to integers summing exactly to ``totals``.

    Largest-remainder (Hamilton) method, vectorised: floor everything, then give one extra unit to
    the cells with the largest fractional parts until the row total is reached. Any residue left
    by floating-point noise goes to the row's largest cell, so the sum is exact by construction.
    """
    raw = np.atleast_2d(np.asarray(raw, dtype=float))
    totals = np.asarray(totals, dtype=np.int64).reshape(-1)
    floor = np.floor(raw)
    frac = raw - floor
    out = floor.astype(np.int64)
    missing = np.clip(totals - out.sum(axis=1), 0, raw.shape[1])
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(raw.shape[1]), raw.shape), axis=1)
    out += rank < missing[:, None]
    residue = totals - out.sum(axis=1)
    if residue.any():
        rows = np.nonzero(residue)[0]
        out[rows, np.abs(raw[rows]).argmax(axis=1)] += residue[rows]
    return out


def to_units(values: np.ndarray, quantum: float) -> np.ndarray:
    """Annual figures as whole multiples of ``quantum`` (the display unit: 1 元, 1万 = 10000, ...)."""
    return np.rint(np.asarray(values, dtype=float) / quantum).astype(np.int64)


# --- weights -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """Per-period shares: ``share`` (working days × season) and ``ramp_share`` (× ramp)."""

    periods: pd.DataFrame
    share: np.ndarray
    ramp_share: np.ndarray
    ramp_level: np.ndarray  # mean ramp factor g over each period (for rates and prices)


def ramp_factor(days: Days, months: float) -> np.ndarray:
    """Per day: how far the uplift has bitten, rising linearly from 0 to 1 over ``months`` months."""
    if months <= 0:
        return np.ones(len(days.dates))
    elapsed = (days.month - 1) + (days.dates.day.to_numpy() - 0.5) / days.dates.days_in_month.to_numpy()
    return np.clip(elapsed / months, 0.0, 1.0)


def period_weights(days: Days, by: str, seasonality: np.ndarray | None = None, ramp: float = 0.0) -> Weights:
    """Shares of each month or ISO week (cut at the year boundary) in the year's weight."""
    season = np.ones(12) if seasonality is None else np.asarray(seasonality, dtype=float)
    base = days.workday * season[days.month - 1]
    if base.sum() <= 0:
        raise InputError(f"{days.year} has no working days with positive seasonality", where="--seasonality")
    g = ramp_factor(days, ramp)
    keys = period_keys(days, by)
    codes, uniques = pd.factorize(keys)  # in order of first appearance = calendar order
    n = len(uniques)
    w = np.bincount(codes, weights=base, minlength=n)
    wg = np.bincount(codes, weights=base * g, minlength=n)
    plain_g = np.bincount(codes, weights=g, minlength=n) / np.bincount(codes, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(w > 0, wg / np.where(w > 0, w, 1.0), plain_g)
    periods = period_table(days, by)
    periods["weight"] = w
    return Weights(periods, w / w.sum(), wg / wg.sum(), level)


def phase_matrix(baseline: np.ndarray, planned: np.ndarray, weights: Weights,
                 quantum: float | np.ndarray = 1.0) -> np.ndarray:
    """Phase many flows at once: (items,) baselines and plans → (items × periods) integers in quanta.

    Row sums equal ``round(planned / quantum)`` exactly.
    """
    baseline = np.asarray(baseline, dtype=float)
    planned = np.asarray(planned, dtype=float)
    q = np.broadcast_to(np.asarray(quantum, dtype=float), planned.shape)  # one quantum, or one per item
    raw = (baseline[:, None] * weights.share[None, :]
           + (planned - baseline)[:, None] * weights.ramp_share[None, :]) / q[:, None]
    return round_exact(raw, to_units(planned, q))


# --- the phased plan -----------------------------------------------------------------------------


@dataclass
class Series:
    """One phased quantity: the target, a flow node or input, or a rate/price (kind ``level``)."""

    key: str
    name: str
    label: str | None
    kind: str  # target | flow | level
    owner: str | None
    baseline: float
    planned: float
    values: list[float]
    cumulative: list[float] | None
    commitment: float | None = None
    commitment_values: list[float] | None = None
    commitment_cumulative: list[float] | None = None
    quantum: float = 1.0  # rounding unit of a flow: --round for money, 1 for counts


@dataclass
class Phasing:
    year: int
    by: str
    country: str
    quantum: float
    ramp_months: float
    seasonality: dict[int, float]
    seasonality_source: str
    periods: pd.DataFrame
    series: list[Series] = field(default_factory=list)
    unit: str | None = None
    margin: float = 0.0

    @property
    def target(self) -> Series:
        return next(s for s in self.series if s.kind == "target")

    def get(self, key: str) -> Series | None:
        return next((s for s in self.series if s.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        periods = [{"period": str(r.period), "start": r.start.date().isoformat(), "end": r.end.date().isoformat(),
                    "calendar_days": int(r.calendar_days), "working_days": int(r.working_days),
                    "weight": float(r.weight)} for r in self.periods.itertuples()]
        return {
            "year": self.year, "by": self.by, "country": self.country, "quantum": self.quantum,
            "ramp_months": self.ramp_months, "unit": self.unit, "margin": self.margin,
            "seasonality": {str(k): v for k, v in self.seasonality.items()},
            "seasonality_source": self.seasonality_source,
            "periods": periods,
            "series": [s.__dict__ for s in self.series],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per series and period, with the cumulative and commitment columns."""
        rows = []
        for s in self.series:
            for i, p in enumerate(self.periods["period"]):
                rows.append({
                    "key": s.key, "name": s.name, "label": s.label, "kind": s.kind, "owner": s.owner,
                    "period": p, "start": self.periods["start"].iat[i].date().isoformat(),
                    "end": self.periods["end"].iat[i].date().isoformat(),
                    "working_days": int(self.periods["working_days"].iat[i]), "value": s.values[i],
                    "cumulative": s.cumulative[i] if s.cumulative else None,
                    "commitment": s.commitment_values[i] if s.commitment_values else None,
                    "commitment_cumulative": s.commitment_cumulative[i] if s.commitment_cumulative else None,
                })
        return pd.DataFrame(rows)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Phasing:
        try:
            periods = pd.DataFrame(d["periods"])
            periods["start"] = pd.to_datetime(periods["start"])
            periods["end"] = pd.to_datetime(periods["end"])
            return cls(year=int(d["year"]), by=d["by"], country=d["country"], quantum=float(d["quantum"]),
                       ramp_months=float(d["ramp_months"]),
                       seasonality={int(k): float(v) for k, v in d["seasonality"].items()},
                       seasonality_source=d.get("seasonality_source", ""), periods=periods,
                       series=[Series(**s) for s in d["series"]], unit=d.get("unit"),
                       margin=float(d.get("margin", 0.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a planner phasing: {exc}",
                             hint="give the JSON written by `planner phase PLAN.json -o phase.json`") from exc


def load_phasing(path: str | Path) -> Phasing:
    """Read a phase JSON written by ``planner phase``."""
    return load_json_as(path, Phasing.from_dict, written_by="planner phase PLAN.json -o phase.json")


def phase_plan(plan: Plan, year: int, by: str = "month", *, country: str = "CN",
               seasonality: np.ndarray | None = None, seasonality_source: str = "flat",
               ramp: float = 0.0, quantum: float = 1.0) -> Phasing:
    """Phase the target, every flow node and input, and every lever of ``plan``.

    Parameters
    ----------
    seasonality : 12 monthly indices (January first); None = flat.
    ramp : months over which the uplift reaches its full run rate (0 = from 1 January).
    quantum : rounding unit of the target and the money flows it adds up (1 = whole 元,
        10000 = whole 万); other flows (customers, orders) are rounded to whole units.
    """
    if not plan.ok:
        raise InputError(f"the plan has status {plan.status}: there is nothing to phase",
                         hint="phase a plan that `planner solve` reported as optimal or feasible")
    if quantum <= 0:
        raise InputError(f"quantum must be positive (got {quantum})", where="--round")
    if ramp < 0 or ramp > 12:
        raise InputError(f"ramp must be between 0 and 12 months (got {ramp})", where="--ramp")
    days = working_days(year, country)
    weights = period_weights(days, by, seasonality, ramp)
    flows, levels = _items(plan)
    money = money_nodes(plan)
    for item in flows:  # the display unit is for money; customers and orders stay whole units
        item["quantum"] = float(quantum) if item["name"] in money else 1.0
    series = _phase_flows(flows, weights) + _phase_levels(levels, weights)
    season = np.ones(12) if seasonality is None else np.asarray(seasonality, dtype=float)
    return Phasing(year=int(year), by=by, country=days.country, quantum=float(quantum), ramp_months=float(ramp),
                   seasonality={m + 1: float(season[m]) for m in range(12)},
                   seasonality_source=seasonality_source, periods=weights.periods, series=series,
                   unit=plan.target_unit, margin=plan.target.margin)


def _items(plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    t = plan.target
    stretch = t.required if t.required is not None else t.achieved
    flows = [dict(key=t.node, name=t.node, label=None, kind="target", owner=None, baseline=t.baseline,
                  planned=stretch, commitment=t.commitment if t.commitment is not None else stretch)]
    levels = []
    seen = {t.node}
    for r in [*plan.nodes, *plan.inputs]:
        key = r.name if r.label is None else f"{r.name}[{r.label}]"
        if key in seen:
            continue
        seen.add(key)
        owner = getattr(r, "owner", None)
        item = dict(key=key, name=r.name, label=r.label, owner=owner, baseline=r.baseline, planned=r.planned)
        if r.flow:
            flows.append(item | {"kind": "flow"})
        elif getattr(r, "kind", None) == "lever":
            levels.append(item | {"kind": "level"})
    return flows, levels


def _phase_flows(items: list[dict[str, Any]], weights: Weights) -> list[Series]:
    base = np.array([i["baseline"] for i in items], dtype=float)
    plan = np.array([i["planned"] for i in items], dtype=float)
    q = np.array([i["quantum"] for i in items])
    units = phase_matrix(base, plan, weights, q)
    out = []
    for i, item in enumerate(items):
        values = units[i] * q[i]
        s = Series(**item | {"commitment": None}, values=values.tolist(), cumulative=np.cumsum(values).tolist())
        s.baseline, s.planned = float(s.baseline), float(to_units(s.planned, q[i]) * q[i])
        if item.get("commitment") is not None:
            c = phase_matrix(base[i:i + 1], np.array([item["commitment"]]), weights, q[i])[0] * q[i]
            s.commitment = float(to_units(item["commitment"], q[i]) * q[i])
            s.commitment_values, s.commitment_cumulative = c.tolist(), np.cumsum(c).tolist()
        out.append(s)
    return out


def money_nodes(plan: Plan) -> set[str]:
    """The target node and the flow nodes its formula adds up (total_sales = sum(sales)): money
    when the plan's unit is 元, shown in 亿 / 万 and rounded to the display unit."""
    names = {plan.target.node}
    formulas = {row.get("name"): str(row.get("formula") or "") for row in plan.tree}
    flows = {n.name for n in plan.nodes if n.flow}
    names |= {w for w in re.findall(r"[^\W\d]\w*", formulas.get(plan.target.node, "")) if w in flows}
    return names


def _phase_levels(items: list[dict[str, Any]], weights: Weights) -> list[Series]:
    out = []
    for item in items:
        b, p = float(item["baseline"]), float(item["planned"])
        out.append(Series(**item, values=(b + (p - b) * weights.ramp_level).tolist(), cumulative=None))
    return out


# --- seasonality ---------------------------------------------------------------------------------


def read_seasonality(spec: str | None, plan: Plan, year: int | None = None,
                     country: str = "CN") -> tuple[np.ndarray | None, str]:
    """Resolve ``--seasonality``: a file (YAML/JSON/CSV), inline ``1=1.3,2=0.9``, ``scenario`` or ``none``.

    The default (``None``) takes the scenario's ``seasonality: {monthly: {...}}`` when the plan's
    scenario file has one (``planner calibrate`` writes it), else a flat index. Months not given get
    index 1.0. The index is per working day; a block saying ``per_workday: false`` holds whole-month
    indices, which are divided by the month's working days in ``year`` so nothing is counted twice.
    """
    if spec in (None, "scenario"):
        found, why = _from_scenario(plan)
        if found is None and spec == "scenario":
            raise InputError(f"the plan's scenario file has no monthly seasonality ({why})", file=plan.source,
                             where="seasonality.monthly",
                             hint="run `planner calibrate` or give --seasonality FILE")
        if found is None:
            return None, "flat"
        block, monthly = found
        season, source = _monthly(monthly, plan.source or ""), f"scenario {plan.source}"
    elif spec == "none":
        return None, "flat"
    elif Path(spec).exists():
        block = _read_season_file(Path(spec))
        monthly = block.get("monthly", block) if isinstance(block, dict) else block
        season, source = _monthly(monthly, spec), spec
    elif "=" in spec:
        pairs = dict(part.split("=", 1) for part in spec.split(",") if part.strip())
        return _monthly(pairs, "--seasonality"), "--seasonality"
    else:
        raise InputError(f"no such file {spec!r}", where="--seasonality",
                         hint="give a YAML/JSON/CSV file, `1=1.3,2=0.9,...`, `scenario` or `none`")
    if isinstance(block, dict) and block.get("per_workday") is False:
        season = _per_workday(season, year, str(block.get("country", country)))
        source += " (whole-month index ÷ working days)"
    return season, source


def _per_workday(season: np.ndarray, year: int | None, country: str) -> np.ndarray:
    if year is None:
        raise InputError("a whole-month seasonality index needs the plan year", where="--year")
    days = working_days(year, country)
    counts = np.bincount(days.month[days.workday] - 1, minlength=12).astype(float)
    return np.where(counts > 0, season / np.where(counts > 0, counts, 1.0), 0.0) * counts.mean()


def _from_scenario(plan: Plan) -> tuple[tuple[Any, Any] | None, str]:
    from planner.scenario import read_yaml, resolve_extends

    if not plan.source or not Path(plan.source).exists():
        return None, "scenario file not found"
    raw = resolve_extends(Path(plan.source), read_yaml(plan.source))
    block = raw.get("seasonality")
    if not block:
        return None, "no `seasonality:` block"
    if isinstance(block, dict) and "monthly" in block:
        return (block, block["monthly"]), ""
    if isinstance(block, dict) and all(_is_month(k) for k in block):
        return (block, block), ""
    return None, "`seasonality:` has no `monthly:` index yet"


def _is_month(key: Any) -> bool:
    return str(key).strip().isdigit() and 1 <= int(str(key).strip()) <= 12


def _read_season_file(path: Path) -> Any:
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path)
        cols = {c.lower(): c for c in frame.columns}
        if "month" not in cols or not ({"index", "seasonality", "value"} & set(cols)):
            raise InputError("a seasonality CSV needs columns `month` and `index`", file=str(path),
                             where=", ".join(map(str, frame.columns)), hint="e.g. month,index / 1,1.3 / 2,0.9")
        value = cols.get("index") or cols.get("seasonality") or cols["value"]
        return dict(zip(frame[cols["month"]], frame[value], strict=True))
    from planner.scenario import read_yaml

    data = read_yaml(path)
    return data.get("seasonality", data)


def _monthly(block: Any, source: str) -> np.ndarray:
    if not isinstance(block, dict):
        raise InputError("seasonality must map month (1-12) to an index", file=source, where="seasonality.monthly",
                         hint="e.g. seasonality: {monthly: {1: 1.3, 2: 0.8, ...}}")
    season = np.ones(12)
    for key, value in block.items():
        try:
            month = int(str(key).strip().split("-")[-1])
            index = float(value)
        except ValueError:
            raise InputError(f"bad seasonality entry {key!r}: {value!r}", file=source,
                             where=f"seasonality.monthly.{key}", hint="months are 1-12, indices numbers") from None
        if not 1 <= month <= 12 or not index >= 0:
            raise InputError(f"bad seasonality entry {key!r}: {value!r}", file=source,
                             where=f"seasonality.monthly.{key}",
                             hint="months are 1-12 and indices are ≥ 0 (1.0 = an average month)")
        season[month - 1] = index
    return season


def weights_of(phasing: Phasing) -> Weights:
    """Rebuild the period weights a phasing was made with (its year, country, seasonality and ramp)."""
    season = np.array([phasing.seasonality.get(m, 1.0) for m in range(1, 13)])
    return period_weights(working_days(phasing.year, phasing.country), phasing.by, season, phasing.ramp_months)


def render_phasing(ph: Phasing, fmt: str) -> str:
    """The phasing as ``json``, ``csv`` (long: one row per series and period) or a ``table`` of the target."""
    if fmt == "json":
        return ph.to_json() + "\n"
    if fmt == "csv":
        return ph.to_frame().to_csv(index=False)
    from planner.report.units import format_money

    t = ph.target
    commit = t.commitment_values or t.values
    ccum = t.commitment_cumulative or t.cumulative
    lines = [f"{t.name} {ph.year} by {ph.by} ({ph.country}, seasonality: {ph.seasonality_source}, "
             f"ramp {ph.ramp_months:g} months, margin {ph.margin:.0%})",
             f"{'period':<10}{'days':>5}{'target':>14}{'cumulative':>14}{'commitment':>14}{'cumulative':>14}"]
    for i, p in enumerate(ph.periods["period"]):
        lines.append(f"{p:<10}{int(ph.periods['working_days'].iat[i]):>5}"
                     + "".join(f"{format_money(v, ph.unit):>14}"
                               for v in (t.values[i], t.cumulative[i], commit[i], ccum[i])))
    if ph.by == "week":
        lines.append("weeks are ISO weeks, cut at the year boundary (the first and last may be short)")
    return "\n".join(lines) + "\n"
