"""A plan as text: the terminal table, CSV and JSON renderings of ``planner solve``."""

from __future__ import annotations

import csv
import io

from planner.report.units import format_money, format_uplift
from planner.result import Plan, Status


def plan_table(plan: Plan) -> str:
    """The target line, then one line per lever: baseline → planned, uplift, effort, owner, what binds it."""
    unit, money = plan.target_unit, plan.unit  # target values may be counts; cost is money
    lines = [f"{plan.name} — scenario {plan.scenario} — {plan.status}  ({plan.objective})"]
    t = plan.target
    if plan.status == Status.INFEASIBLE:
        lines.append(f"target {t.node}: required {format_money(t.required, unit)}; "
                     f"max reachable {format_money(plan.max_reachable, unit)}")
        lines.append(plan.message)
        for n in plan.needs:
            lines.append(f"  needs: {n.sentence}")
        return "\n".join(lines) + "\n"
    mult = (f" ({t.achieved / t.baseline:.2f}× last year)"
            if t.baseline and t.baseline > 0 and t.achieved is not None and t.achieved > 0 else "")
    req = f", required {format_money(t.required, unit)}" if t.required is not None else ""
    lines.append(f"target {t.node}: baseline {format_money(t.baseline, unit)} → achieved "
                 f"{format_money(t.achieved, unit)}{mult}{req}")
    if t.margin:
        lines.append(f"margin {t.margin:.0%}: commitment {format_money(t.commitment, unit)}, "
                     f"stretch plan {format_money(t.required, unit)}")
    budget = plan.budget or {}
    lines.append(f"effort {plan.effort:.4f}" + (f" / {budget['effort']:g}" if budget.get("effort") else "")
                 + f"   cost {format_money(plan.cost, money)}"
                 + (f" / {format_money(budget['cost'], money)}" if budget.get("cost") is not None else ""))
    rows = [("lever", "baseline", "planned", "uplift", "effort", "owner", "binds")]
    for i in plan.levers:
        name = f"{i.name}[{i.label}]" if i.label else i.name
        rows.append((name, _num(i.baseline), _num(i.planned), format_uplift(i.uplift), f"{i.effort:.4f}",
                     i.owner or "", i.bound or ""))
    lines.extend(align_columns(rows))
    binding = [c.name for c in plan.constraints if c.binding]
    if binding:
        lines.append(f"binding constraints: {', '.join(binding)}")
    if plan.solver:
        s = plan.solver
        gap = f", gap {s.gap:.2g}" if s.gap is not None else ""
        lines.append(f"solver {s.name}: {s.seconds:.2f}s{gap}")
    return "\n".join(lines) + "\n"


def _num(v: float) -> str:
    if abs(v) >= 1e3 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.4g}"


def _width(s: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def align_columns(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells as aligned text lines (CJK characters count two columns)."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def plan_csv(plan: Plan) -> str:
    """One row per input (levers, fixed, uncontrollable), then one per node."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["scenario", "status", "kind", "name", "label", "baseline", "planned", "uplift", "effort", "owner",
                "bound"])
    for i in plan.inputs:
        w.writerow([plan.scenario, plan.status, i.kind, i.name, i.label or "", i.baseline, i.planned,
                    "" if i.uplift is None else i.uplift, i.effort, i.owner or "", i.bound or ""])
    for n in plan.nodes:
        w.writerow([plan.scenario, plan.status, "node", n.name, n.label or "", n.baseline, n.planned, "", "", "", ""])
    return buf.getvalue()


def render_plan(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return plan.to_json() + "\n"
    if fmt == "csv":
        return plan_csv(plan)
    return plan_table(plan)
