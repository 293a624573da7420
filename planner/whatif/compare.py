"""Scenarios side by side: the base and its what-ifs (named ones, or other files that ``extends:`` it).

Each scenario is solved by the full pipeline (``solve``), so every number is what ``planner solve``
would print. Views: ``summary`` (status, effort, cost, target, max reachable) and ``levers`` (each
lever's planned value and uplift); every cell knows whether it differs from the base.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError, PlannerError
from planner.optimise import SolveOptions, solve
from planner.report.units import format_money, format_uplift
from planner.result import Plan, Status, TargetResult
from planner.scenario import load_scenario, read_yaml, resolve_extends


@dataclass
class Comparison:
    plans: list[Plan]
    labels: list[str]  # one per plan: "base", "悲观", "other.yaml"

    @property
    def base(self) -> Plan:
        return self.plans[0]

    def summary(self) -> list[dict[str, Any]]:
        """One row per scenario; ``d_effort`` / ``d_cost`` against the base."""
        out = []
        b = self.base
        for label, p in zip(self.labels, self.plans, strict=True):
            out.append({"scenario": label, "status": str(p.status), "effort": p.effort,
                        "d_effort": _diff(p.effort, b.effort), "cost": p.cost, "d_cost": _diff(p.cost, b.cost),
                        "required": p.target.required, "achieved": p.target.achieved,
                        "max_reachable": p.max_reachable, "message": p.message})
        return out

    def levers(self) -> list[dict[str, Any]]:
        """One row per lever and scenario: planned, uplift and the base's, and whether it differs."""
        base = {_key(i): i for i in self.base.levers}
        out = []
        for label, p in zip(self.labels, self.plans, strict=True):
            for i in p.levers:
                bi = base.get(_key(i))
                out.append({"lever": _key(i), "scenario": label, "planned": i.planned, "uplift": i.uplift,
                            "base_planned": bi.planned if bi else None, "base_uplift": bi.uplift if bi else None,
                            "differs": bi is None or _differs(i.planned, bi.planned), "bound": i.bound or ""})
        return out

    def to_dict(self) -> dict[str, Any]:
        plans = []
        for label, p in zip(self.labels, self.plans, strict=True):
            d = p.to_dict()
            d["scenario"] = label
            plans.append(d)
        return {"base": self.labels[0], "plans": plans, "summary": self.summary(), "levers": self.levers()}


def compare(files: list[str | Path], scenarios: list[str] | None = None, *, all_named: bool = False,
            options: SolveOptions | None = None) -> Comparison:
    """Solve the first file's base, its named what-ifs (``scenarios`` or all), and every other file's base."""
    if not files:
        raise InputError("give at least one scenario file", hint="planner compare scenarios/x.yaml --all")
    opts = options or SolveOptions(needs=True)
    first = Path(files[0])
    named = list(resolve_extends(first, read_yaml(first)).get("scenarios") or {})
    wanted = named if all_named else list(scenarios or [])
    for name in wanted:
        if name != "base" and name not in named:
            raise InputError(f"no scenario named {name!r}", file=str(first), where="scenarios",
                             hint=f"known: {', '.join(named) or 'none'}")
    for f in files[1:]:
        read_yaml(f)  # a missing or unreadable file is the user's error, before any solving
    todo: list[tuple[str, Path, str | None]] = [("base", first, None)]
    todo += [(s, first, s) for s in wanted if s != "base"]
    todo += [(Path(f).stem, Path(f), None) for f in files[1:]]
    if len(todo) == 1:
        raise InputError("nothing to compare with the base", file=str(first), where="--scenario",
                         hint=f"add --all, --scenario NAME (known: {', '.join(named) or 'none'}) or another file")
    plans = [solve(load_scenario(first), opts)]  # a broken base is the user's error
    plans += [_solve_or_error(path, name, opts, plans[0]) for _, path, name in todo[1:]]
    return Comparison(plans, [label for label, _, _ in todo])


def _solve_or_error(path: Path, name: str | None, opts: SolveOptions, base: Plan) -> Plan:
    """A broken what-if is a column with status ``error`` and the reason, not the end of the comparison."""
    try:
        return solve(load_scenario(path, name), opts)
    except PlannerError as exc:
        return Plan(name or path.stem, Status.ERROR, base.objective, None, None,
                    TargetResult(base.target.node, base.target.baseline, None, None, unit=base.target.unit),
                    name=base.name,
                    unit=base.unit, message=str(exc).replace("\n", " "))


def _key(i: Any) -> str:
    return f"{i.name}[{i.label}]" if i.label else i.name


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is not b
    # Below 1e-6 relative is solver tolerance (0.9 vs 0.8999999997), not a different plan.
    return abs(a - b) > 1e-6 * max(abs(a), abs(b), 1e-12)


# --- rendering ------------------------------------------------------------------------------------

def comparison_table(c: Comparison) -> str:
    """Terminal text: scenarios as columns; a value that differs from the base is marked with *."""
    unit, tunit = c.base.unit, c.base.target_unit  # cost is money; the target may be a count
    cols = c.labels
    rows: list[list[str]] = [["", *[f"{x}{' (base)' if k == 0 else ''}" for k, x in enumerate(cols)]]]
    summ = c.summary()

    def line(name: str, vals: list[Any], fmt: Any) -> None:
        # Marked where the reader sees a difference (tiny ones show in the JSON and workbook).
        shown = ["—" if v is None else fmt(v) for v in vals]
        rows.append([name, *[t + ("*" if k and t != shown[0] else "") for k, t in enumerate(shown)]])

    line("status", [s["status"] for s in summ], str)
    line("effort", [s["effort"] for s in summ], lambda v: f"{v:.4f}")
    line("cost", [s["cost"] for s in summ], lambda v: format_money(v, unit))
    line("target required", [s["required"] for s in summ], lambda v: format_money(v, tunit))
    line("achieved", [s["achieved"] for s in summ], lambda v: format_money(v, tunit))
    line("max reachable", [s["max_reachable"] for s in summ], lambda v: format_money(v, tunit))
    by = {(r["lever"], r["scenario"]): r for r in c.levers()}
    for lever in dict.fromkeys(r["lever"] for r in c.levers()):
        line(f"{lever} uplift", [by.get((lever, s), {}).get("uplift") for s in cols], format_uplift)
    from planner.report.table import align_columns  # the shared CJK-aware column alignment

    head = f"{c.base.name}: {len(cols)} scenarios (* differs from the base)"
    return "\n".join([head, *align_columns([tuple(r) for r in rows])]) + "\n" + _messages(c)


def _messages(c: Comparison) -> str:
    out = [f"{label}: {p.message}" for label, p in zip(c.labels, c.plans, strict=True) if p.message]
    return "".join(m + "\n" for m in out)


def _neq(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return _differs(float(a), float(b))
    return a != b


def comparison_csv(c: Comparison) -> str:
    """Long form: one row per (view, item, scenario) with the base's value and whether it differs."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["view", "item", "scenario", "value", "base", "differs"])
    summ = c.summary()
    for key in ("status", "effort", "cost", "required", "achieved", "max_reachable"):
        for s in summ:
            w.writerow(["summary", key, s["scenario"], _csv(s[key]), _csv(summ[0][key]), _neq(s[key], summ[0][key])])
    for r in c.levers():
        w.writerow(["levers", f"{r['lever']} uplift", r["scenario"], _csv(r["uplift"]), _csv(r["base_uplift"]),
                    r["differs"]])
    return buf.getvalue()


def _csv(v: Any) -> Any:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else v


def comparison_json(c: Comparison) -> str:
    return json.dumps(c.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"


def write_comparison_xlsx(c: Comparison, path: str | Path) -> None:
    """Sheets ``summary``, ``uplift`` and ``planned`` (levers × scenarios); cells that differ from the base are shaded."""
    from planner.whatif.workbook import write_workbook

    summ = c.summary()
    marks: dict[str, set[tuple[int, str]]] = {"summary": set(), "uplift": set(), "planned": set()}
    for i, s in enumerate(summ):
        for k in ("status", "effort", "cost", "achieved", "max_reachable", "required"):
            if i and _neq(s[k], summ[0][k]):
                marks["summary"].add((i, k))
    wide: dict[str, dict[str, dict[str, Any]]] = {"uplift": {}, "planned": {}}
    for r in c.levers():
        for view in wide:
            row = wide[view].setdefault(r["lever"], {"lever": r["lever"]})
            row[r["scenario"]] = r[view]
    for view, rows in wide.items():
        for i, row in enumerate(rows.values()):
            for label in c.labels[1:]:
                if label in row and _neq(row[label], row.get(c.labels[0])):
                    marks[view].add((i, label))
    write_workbook(path, {"summary": summ, "uplift": list(wide["uplift"].values()),
                          "planned": list(wide["planned"].values())}, marks)
