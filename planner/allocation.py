"""Split the annual and phased targets to teams, people or owners; every split adds up exactly.

Methods
-------
capacity    teams × seats × per-seat output (seat levels A/B/C): the target in proportion to capacity.
share       the target in proportion to last year's result of each team.
owner       the *uplift* (planned − baseline) to the owners of the inputs that moved, by the
            log-share rule through the tree (see ``planner.attribution``).
sequential  the uplift stage by stage in a declared owner order, then declared shares handed on
            (product/R&D takes 50% of operations' conversion gain, ...).
An owner whose inputs do not move the target becomes a cost centre with a cost-growth cap.
The margin travels along: every share has its stretch value (the plan) and its commitment.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner import attribution
from planner.errors import InputError
from planner.files import load_json_as
from planner.phasing import Phasing, phase_matrix, round_exact, to_units
from planner.result import Plan

EXTERNAL = "外部因素"  # non-levers that moved (an assumed change of a fixed or uncontrollable input)
UNOWNED = "未指定负责人"
DEFAULT_COST_CAP = 0.10
METHODS = ("capacity", "share", "owner", "sequential")


@dataclass
class Share:
    """What one team or owner is asked for: annual stretch and commitment, and per period."""

    name: str
    kind: str  # team | owner | cost_centre
    weight: float  # its share of what was split
    annual: float
    commitment: float
    periods: list[float] | None = None
    cumulative: list[float] | None = None
    commitment_periods: list[float] | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    cost_growth_cap: float | None = None
    basis: str = ""


@dataclass
class Allocation:
    method: str
    what: str  # "target" (team methods) or "uplift" (owner methods)
    total: float
    commitment: float
    baseline: float
    margin: float
    unit: str | None
    quantum: float
    shares: list[Share]
    period_labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_frame(self) -> pd.DataFrame:
        """One row per share and period (``period`` = ``annual`` for the year)."""
        rows = []
        for s in self.shares:
            rows.append({"name": s.name, "kind": s.kind, "period": "annual", "value": s.annual,
                         "commitment": s.commitment, "weight": s.weight})
            for i, p in enumerate(self.period_labels if s.periods else []):
                rows.append({"name": s.name, "kind": s.kind, "period": p, "value": s.periods[i],
                             "cumulative": s.cumulative[i], "commitment": s.commitment_periods[i],
                             "weight": s.weight})
        return pd.DataFrame(rows)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Allocation:
        try:
            return cls(**{**d, "shares": [Share(**s) for s in d["shares"]]})
        except (KeyError, TypeError) as exc:
            raise InputError(f"not a planner allocation: {exc}",
                             hint="give the JSON written by `planner allocate PLAN.json -o alloc.json`") from exc


def load_allocation(path: str | Path) -> Allocation:
    """Read an allocation JSON written by ``planner allocate``."""
    return load_json_as(path, Allocation.from_dict, written_by="planner allocate PLAN.json -o alloc.json")


# --- splitting -----------------------------------------------------------------------------------


def split_exact(total: float, weights: np.ndarray, quantum: float = 1.0) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` into multiples of ``quantum`` that add up exactly."""
    weights = np.asarray(weights, dtype=float)
    units = to_units(total, quantum)
    share = weights / weights.sum() if weights.sum() != 0 else np.full(len(weights), 1 / len(weights))
    return round_exact(share[None, :] * units, np.array([units]))[0] * quantum


def round_table(raw: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Round a (teams × periods) table to integers with the given row and column totals.

    Floor, then hand out the missing units row by row to the columns that still miss the most
    (Ryser's construction of a 0/1 matrix with given margins), ties to the largest fraction.
    """
    raw = np.asarray(raw, dtype=float)
    out = np.floor(raw).astype(np.int64)
    frac = raw - out
    need_r = np.asarray(rows, dtype=np.int64) - out.sum(axis=1)
    need_c = np.asarray(cols, dtype=np.int64) - out.sum(axis=0)
    for i in np.argsort(-need_r, kind="stable"):
        k = int(need_r[i])
        if k <= 0:
            continue
        pick = np.lexsort((-frac[i], -need_c))[:k]
        out[i, pick] += 1
        need_c[pick] -= 1
    _repair(out, np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))
    return out


def _repair(out: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
    """Move single units inside rows until the column totals hold too (rarely needed)."""
    for i in range(out.shape[0]):  # rows first: put any row residue on its largest cell
        out[i, np.argmax(np.abs(out[i]))] += rows[i] - out[i].sum()
    for _ in range(out.size * 4):
        gap = cols - out.sum(axis=0)
        if not gap.any():
            return
        low, high = int(np.argmax(gap)), int(np.argmin(gap))
        i = int(np.argmax(out[:, high]))
        out[i, high] -= 1
        out[i, low] += 1


def _periodise(shares: list[Share], column_units: np.ndarray, commit_units: np.ndarray,
               quantum: float) -> None:
    """Give each share its periods: a table whose rows are the annual shares and columns the periods."""
    annual = np.array([to_units(s.annual, quantum) for s in shares])
    commit = np.array([to_units(s.commitment, quantum) for s in shares])
    for attr, rows, cols in (("periods", annual, column_units), ("commitment_periods", commit, commit_units)):
        tot = cols.sum()
        raw = np.outer(rows / tot if tot else np.full(len(rows), 1 / len(rows)), cols)
        table = round_table(raw, rows, cols) * quantum
        for s, r in zip(shares, table, strict=True):
            setattr(s, attr, r.tolist())
    for s in shares:
        s.cumulative = np.cumsum(s.periods).tolist()


# --- teams ---------------------------------------------------------------------------------------


def read_teams(path: str | Path, method: str) -> pd.DataFrame:
    """Read a teams table (CSV): ``team,level,seats,per_seat`` for capacity, ``team,last_year`` for share."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)  # numbers parsed below, bad cells named
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), hint="check the path given to --teams") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the CSV: {exc}", file=str(path)) from None
    need = ["team", "seats", "per_seat"] if method == "capacity" else ["team", "last_year"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(f"missing column {missing[0]!r}", file=str(path), where=f"column {missing[0]}",
                         hint=f"a --by {method} teams file needs columns {', '.join(need)} "
                              f"(found: {', '.join(map(str, frame.columns))})")
    for col in need[1:]:
        values = pd.to_numeric(frame[col].str.strip(), errors="coerce")
        bad = frame.index[values.isna() | (values < 0)]
        if len(bad):
            rows = ", ".join(f"row {r + 2}: {frame[col].iat[r]!r}" for r in bad[:3])
            raise InputError(f"column {col!r} needs non-negative numbers ({rows})", file=str(path),
                             where=f"column {col}", hint="fix those cells; leave no blanks")
        frame[col] = values
    if (frame["team"].str.strip() == "").any():
        raise InputError("a row has no team name", file=str(path), where="column team")
    return frame


def allocate_teams(plan: Plan, teams: pd.DataFrame, method: str, *, phasing: Phasing | None = None,
                   quantum: float = 1.0) -> Allocation:
    """Split the target (stretch and commitment) between teams by capacity or last year's share."""
    quantum = phasing.quantum if phasing is not None else quantum
    if method == "capacity":
        weight = (teams["seats"] * teams["per_seat"]).groupby(teams["team"], sort=False).sum()
        basis = {t: _seat_basis(teams[teams["team"] == t]) for t in weight.index}
    else:
        weight = teams.groupby("team", sort=False)["last_year"].sum()
        from planner.report.units import format_money

        basis = {t: f"去年 {format_money(float(v), plan.target_unit)}" for t, v in weight.items()}
    if weight.sum() <= 0:
        raise InputError(f"the teams' {'capacity' if method == 'capacity' else 'last_year'} adds up to zero",
                         where="--teams", hint="give at least one team a positive value")
    t = plan.target
    stretch, commitment = _stretch(plan), _commitment(plan)
    w = weight.to_numpy(dtype=float)
    annual, commit = split_exact(stretch, w, quantum), split_exact(commitment, w, quantum)
    shares = [Share(name=str(n), kind="team", weight=float(w[i] / w.sum()), annual=float(annual[i]),
                    commitment=float(commit[i]), basis=basis[n]) for i, n in enumerate(weight.index)]
    alloc = Allocation(method, "target", float(annual.sum()), float(commit.sum()), t.baseline, t.margin,
                       plan.target_unit, quantum, shares)
    return with_periods(alloc, phasing) if phasing is not None else alloc


def with_periods(alloc: Allocation, phasing: Phasing) -> Allocation:
    """A copy of ``alloc`` whose shares are also split over ``phasing``'s periods, exactly both ways:
    each share's periods add up to its annual value, each period's shares to the period's target."""
    import copy

    out = copy.deepcopy(alloc)
    q = out.quantum
    if out.what == "target":
        target = phasing.target
        cols = to_units(np.array(target.values), q)
        ccols = to_units(np.array(target.commitment_values or target.values), q)
    else:
        from planner.phasing import weights_of

        wts = weights_of(phasing)
        cols = phase_matrix(np.zeros(1), np.array([out.total]), wts, q)[0]
        ccols = phase_matrix(np.zeros(1), np.array([out.commitment]), wts, q)[0]
    if cols.sum() * q != out.total or ccols.sum() * q != out.commitment:
        raise InputError(f"the phasing's target ({cols.sum() * q:,.0f}) does not match the allocation's "
                         f"({out.total:,.0f})", where="--phase",
                         hint="phase this plan again (same --round) and allocate again")
    _periodise(out.shares, cols, ccols, q)
    out.period_labels = phasing.periods["period"].tolist()
    for share in out.shares:
        for m in share.metrics:
            series = phasing.get(m["key"])
            m["periods"] = series.values if series else None
    return out


def _seat_basis(rows: pd.DataFrame) -> str:
    parts = [f"{r.get('level', '') or ''}{int(r['seats'])}席×{r['per_seat']:,.0f}" for _, r in rows.iterrows()]
    return " + ".join(parts)


def _stretch(plan: Plan) -> float:
    t = plan.target
    return float(t.required if t.required is not None else t.achieved)


def _commitment(plan: Plan) -> float:
    t = plan.target
    return float(t.commitment) if t.commitment is not None else _stretch(plan)


# --- owners --------------------------------------------------------------------------------------


def read_owners(path: str | Path | None) -> dict[str, Any]:
    """Read an owners file (YAML): ``sequence``, declared ``shares`` and ``cost_centres`` caps."""
    if path is None:
        return {}
    from planner.scenario import read_yaml

    data = read_yaml(path)
    unknown = set(data) - {"sequence", "shares", "cost_centres"}
    if unknown:
        raise InputError(f"unknown key {sorted(unknown)[0]!r}", file=str(path), where=sorted(unknown)[0],
                         hint="an owners file has sequence:, shares: and cost_centres:")
    for giver_map in (data.get("shares") or {}).values():
        for giver, frac in (giver_map or {}).items():
            if not isinstance(frac, int | float) or not 0 <= frac <= 1:
                raise InputError(f"share of {giver!r} must be a number between 0 and 1 (got {frac!r})",
                                 file=str(path), where="shares", hint="e.g. 产品研发部: {运营部: 0.5}")
    return data


def allocate_owners(plan: Plan, method: str = "owner", *, owners: dict[str, Any] | None = None,
                    phasing: Phasing | None = None, quantum: float = 1.0) -> Allocation:
    """Split the target's uplift to the owners of the inputs that moved (log-share or sequential)."""
    quantum = phasing.quantum if phasing is not None else quantum
    owners = owners or {}
    pl = attribution.players(plan)
    who = [_owner_of(i) for i in pl.inputs]
    names = _owner_order(plan, who, owners.get("sequence") or [])
    if method == "sequential":
        stages = [[p for p, w in enumerate(who) if w == n] for n in names]
        contrib = dict(zip(names, attribution.sequential(pl, stages), strict=True))
    else:
        per_player = attribution.log_path(pl)
        contrib = {n: float(sum(c for c, w in zip(per_player, who, strict=True) if w == n)) for n in names}
    contrib = _hand_on(contrib, owners.get("shares") or {})
    names += [n for n in contrib if n not in names]  # a taker of declared shares may own no lever
    if not names:
        raise InputError("nothing to allocate to owners: the plan has no levers and no input moved",
                         hint="use --by capacity or --by share with a --teams file")
    uplift, c_uplift = _stretch(plan) - plan.target.baseline, _commitment(plan) - plan.target.baseline
    w = np.array([contrib[n] for n in names])
    annual, commit = split_exact(uplift, w, quantum), split_exact(c_uplift, w, quantum)
    linked = attribution.tied(pl)
    shares = []
    for i, n in enumerate(names):
        centre = n != EXTERNAL and not any(t for t, o in zip(linked, who, strict=True) if o == n) \
            and abs(contrib[n]) <= 1e-9 * max(abs(uplift), 1.0)
        kind = "external" if n == EXTERNAL else "cost_centre" if centre else "owner"
        cap = _cost_cap(owners, n) if centre else None
        shares.append(Share(name=n, kind=kind, weight=float(w[i] / w.sum()) if w.sum() else 0.0,
                            annual=float(annual[i]), commitment=float(commit[i]),
                            metrics=_metrics(plan, n, phasing), cost_growth_cap=cap,
                            basis=_basis(kind, float(w[i] / w.sum()) if w.sum() else 0.0, cap)))
    notes = [f"attribution through the {pl.method}" + ("" if pl.method == "tree" else
             " (scenario file not found: target = baseline × Π uplift assumed)")]
    alloc = Allocation(method, "uplift", float(annual.sum()), float(commit.sum()), plan.target.baseline,
                       plan.target.margin, plan.target_unit, quantum, shares, notes=notes)
    return with_periods(alloc, phasing) if phasing is not None else alloc


def _cost_cap(owners: dict[str, Any], name: str) -> float:
    entry = (owners.get("cost_centres") or {}).get(name)
    cap = entry.get("cap") if isinstance(entry, dict) else entry
    return float(DEFAULT_COST_CAP if cap is None else cap)


def _basis(kind: str, weight: float, cap: float | None) -> str:
    if kind == "cost_centre":
        return f"成本中心：杠杆不影响目标，成本增长上限 {cap:.0%}"
    if kind == "external":
        return f"非杠杆输入的假设变化，贡献 {weight:.1%} 的增量"
    return f"贡献 {weight:.1%} 的增量" if weight else "杠杆保持基线，无增量任务"


def _owner_of(item: Any) -> str:
    if item.kind != "lever":
        return EXTERNAL
    return item.owner or UNOWNED


def _owner_order(plan: Plan, moved_owners: list[str], sequence: list[str]) -> list[str]:
    """Owners in the declared sequence, then the rest in plan order; external changes come first."""
    present = [EXTERNAL] if EXTERNAL in moved_owners else []
    plan_order = [_owner_of(i) for i in plan.inputs if i.kind == "lever"]
    for name in [*sequence, *plan_order]:
        if name not in present and name != EXTERNAL and (name in moved_owners or name in plan_order):
            present.append(name)
    return present


def _hand_on(contrib: dict[str, float], declared: dict[str, dict[str, float]]) -> dict[str, float]:
    """Apply declared shares: ``{产品研发部: {运营部: 0.5}}`` moves half of 运营部's gain to 产品研发部."""
    out = dict(contrib)
    for taker, givers in declared.items():
        for giver, frac in (givers or {}).items():
            if giver not in contrib:
                raise InputError(f"declared share from {giver!r}, who owns nothing that moved",
                                 where=f"shares.{taker}", hint=f"owners in this plan: {', '.join(contrib)}")
            moved = contrib[giver] * float(frac)
            out[giver] -= moved
            out[taker] = out.get(taker, 0.0) + moved
    return out


def _metrics(plan: Plan, owner: str, phasing: Phasing | None) -> list[dict[str, Any]]:
    rows = []
    for i in plan.inputs:
        if _owner_of(i) != owner:
            continue
        key = i.name if i.label is None else f"{i.name}[{i.label}]"
        series = phasing.get(key) if phasing is not None else None
        rows.append({"key": key, "name": i.name, "label": i.label, "baseline": i.baseline, "planned": i.planned,
                     "uplift": i.uplift, "effort": i.effort, "bound": i.bound, "flow": i.flow,
                     "periods": series.values if series else None})
    return rows


def render_allocation(alloc: Allocation, fmt: str) -> str:
    """The allocation as ``json``, ``csv`` (one row per share and period) or a ``table`` of annual shares."""
    if fmt == "json":
        return alloc.to_json() + "\n"
    if fmt == "csv":
        return alloc.to_frame().to_csv(index=False)
    from planner.report.units import format_money, format_pct, pad

    lines = [f"{alloc.method}: {alloc.what} {format_money(alloc.total, alloc.unit)} "
             f"(commitment {format_money(alloc.commitment, alloc.unit)}, margin {alloc.margin:.0%})",
             f"{'name':<16}{'kind':<12}{'share':>8}{'stretch':>14}{'commitment':>14}  basis"]
    for s in alloc.shares:
        lines.append(f"{pad(s.name, 16)}{s.kind:<12}{format_pct(s.weight):>8}{format_money(s.annual, alloc.unit):>14}"
                     f"{format_money(s.commitment, alloc.unit):>14}  {s.basis}")
    lines += [f"note: {n}" for n in alloc.notes]
    return "\n".join(lines) + "\n"
