"""The plan workbook: one .xlsx for the meeting where the departments accept the plan.

Sheets: 摘要 (target, baseline, multiple, margin, effort, budget, every lever), 驱动树 (every
input and node, baseline → planned), 月度目标 / 周目标 (period and cumulative targets, the
commitment beside the stretch, per team when an allocation is given), 分解明细 (every phased
series by month) and one 负责人-<name> sheet per owner (metrics, uplift share, monthly phasing).
Cells hold exact values in 元; number formats show 亿 / 万 and percentages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.allocation import Allocation, with_periods
from planner.files import write_with
from planner.phasing import Phasing, money_nodes
from planner.report.units import PCT_FORMAT, display_width, excel_money_format
from planner.result import Plan

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
TITLE_FONT = Font(name="Calibri", bold=True, size=14)
BOLD = Font(name="Calibri", bold=True)
THIN = Border(bottom=Side(style="thin", color="999999"))
KIND = {"lever": "杠杆", "fixed": "固定", "uncontrollable": "不可控", "node": "节点", "target": "目标",
        "flow": "流量", "level": "水平值", "team": "团队", "owner": "负责人", "cost_centre": "成本中心",
        "external": "外部因素"}
BY = {"month": "月度目标", "week": "周目标"}


def write_workbook(path: str | Path, plan: Plan, phasings: Sequence[Phasing] = (),
                   allocations: Sequence[Allocation] = ()) -> None:
    """Build the workbook and write it atomically to ``path``."""
    wb = build_workbook(plan, phasings, allocations)
    write_with(path, wb.save)


def build_workbook(plan: Plan, phasings: Sequence[Phasing] = (), allocations: Sequence[Allocation] = ()) -> Workbook:
    """The plan workbook as an openpyxl ``Workbook`` (not yet saved)."""
    wb = Workbook()
    _summary(wb.active, plan)
    _tree(wb.create_sheet("驱动树"), plan)
    teams = next((a for a in allocations if a.what == "target"), None)
    for ph in phasings:
        _periods(wb.create_sheet(_unique(wb, BY.get(ph.by, ph.by))), plan, ph,
                 with_periods(teams, ph) if teams else None)
    monthly = next((p for p in phasings if p.by == "month"), None)
    if monthly is not None:
        _details(wb.create_sheet("分解明细"), plan, monthly)
    owners = next((a for a in allocations if a.what == "uplift"), None)
    if owners is not None:
        if monthly is not None:
            owners = with_periods(owners, monthly)
        for share in owners.shares:
            _owner(wb.create_sheet(_unique(wb, _sheet_name(f"负责人-{share.name}"))), plan, owners, share,
                   monthly)
    for ws in wb.worksheets:
        _print_setup(ws)
    return wb


# --- sheets --------------------------------------------------------------------------------------


def _summary(ws: Worksheet, plan: Plan) -> None:
    ws.title = "摘要"
    t = plan.target
    money = excel_money_format([t.baseline, t.required or 0.0], plan.target_unit)  # a count target: #,##0
    stretch = t.required if t.required is not None else t.achieved
    ws["A1"] = plan.name or plan.scenario
    ws["A1"].font = TITLE_FONT
    rows: list[tuple[str, Any, str | None]] = [
        ("情景", plan.scenario, None), ("状态", str(plan.status), None), ("目标节点", t.node, None),
        ("去年基线", t.baseline, money), ("承诺目标", t.commitment if t.commitment is not None else stretch, money),
        ("余量", t.margin, PCT_FORMAT), ("计划目标（含余量）", stretch, money), ("预计达成", t.achieved, money),
        ("倍数（计划 ÷ 基线）", (stretch / t.baseline) if t.baseline else None, '0.00"倍"'),
        ("总努力", plan.effort, "0.000"), ("努力上限", plan.budget.get("effort"), "0.000"),
        ("预算使用", plan.cost, excel_money_format([plan.cost or 0.0], plan.unit)),
        ("预算上限", plan.budget.get("cost"), excel_money_format([plan.budget.get("cost") or 0.0], plan.unit)),
    ]
    top = _write_pairs(ws, rows)
    headers = ["杠杆", "标签", "负责人", "基线", "计划", "提升", "努力", "约束"]
    body = [[i.name, i.label or "", i.owner or "", i.baseline, i.planned,
              (i.uplift - 1) if i.uplift is not None else None, i.effort, i.bound or ""] for i in plan.levers]
    _table(ws, top, headers, body, {6: PCT_FORMAT, 7: "0.000"}, value_cols=(4, 5))
    _widths(ws, minimum={1: 18, 2: 16})
    ws.freeze_panes = ws.cell(top + 1, 1)


def _tree(ws: Worksheet, plan: Plan) -> None:
    formulas = {row.get("name"): row.get("formula") or "" for row in plan.tree}
    headers = ["名称", "标签", "类型", "公式", "负责人", "基线", "计划", "变化"]
    body = []
    for r in [*plan.inputs, *plan.nodes]:
        kind = getattr(r, "kind", "node")
        change = (r.planned / r.baseline - 1) if r.baseline else None
        body.append([r.name, r.label or "", KIND.get(kind, kind), formulas.get(r.name, ""),
                     getattr(r, "owner", None) or "", r.baseline, r.planned, change])
    _table(ws, 1, headers, body, {8: PCT_FORMAT}, value_cols=(6, 7))
    _money_rows(ws, plan, body, key_col=1, cols=(6, 7))
    ws.freeze_panes = "C2"
    _widths(ws)


def _periods(ws: Worksheet, plan: Plan, ph: Phasing, teams: Allocation | None) -> None:
    t = ph.target
    money = excel_money_format([t.planned], ph.unit)
    headers = ["期间", "开始", "结束", "工作日", "目标（含余量）", "累计目标", "承诺", "累计承诺"]
    cols = [t.values, t.cumulative, t.commitment_values or t.values, t.commitment_cumulative or t.cumulative]
    if teams is not None:
        for s in teams.shares:
            headers += [s.name, f"{s.name}累计", f"{s.name}承诺"]
            cols += [s.periods, s.cumulative, s.commitment_periods]
    body = []
    for i, row in ph.periods.iterrows():
        body.append([row["period"], row["start"].date(), row["end"].date(), int(row["working_days"]),
                     *(c[i] for c in cols)])
    body.append(["全年", None, None, int(ph.periods["working_days"].sum()),
                 *(None if _is_cumulative(j) else sum(c) for j, c in enumerate(cols))])
    fmt = {j: money for j in range(5, 5 + len(cols))}
    fmt.update({2: "yyyy-mm-dd", 3: "yyyy-mm-dd"})
    _table(ws, 1, headers, body, fmt)
    for c in range(1, len(headers) + 1):
        ws.cell(len(body) + 1, c).font = BOLD
    ws.freeze_panes = "B2"
    _widths(ws, minimum={1: 10, 2: 11, 3: 11})
    note = ("周为 ISO 周，跨年的周在年界处截断（首末周可能不足 7 天）。" if ph.by == "week" else "")
    ws.cell(len(body) + 3, 1, f"日历：{ph.country}；季节性：{ph.seasonality_source}；爬坡 {ph.ramp_months:g} 个月；"
                              f"取整单位 {ph.quantum:g}。{note}")


def _is_cumulative(j: int) -> bool:
    """Columns: target, cumulative, commitment, cumulative; then per team: period, cumulative, commitment."""
    return j in (1, 3) or (j >= 4 and (j - 4) % 3 == 1)


def _details(ws: Worksheet, plan: Plan, ph: Phasing) -> None:
    headers = ["项目", "类型", "负责人", "基线", "计划", *ph.periods["period"].tolist()]
    body = [[s.key, KIND.get(s.kind, s.kind), s.owner or "", s.baseline, s.planned, *s.values] for s in ph.series]
    _table(ws, 1, headers, body, {}, value_cols=tuple(range(4, len(headers) + 1)))
    _money_rows(ws, plan, body, key_col=1, cols=tuple(range(4, len(headers) + 1)))
    ws.freeze_panes = "B2"
    _widths(ws, minimum={1: 18})


def _owner(ws: Worksheet, plan: Plan, alloc: Allocation, share: Any, ph: Phasing | None) -> None:
    money = excel_money_format([alloc.total], alloc.unit)
    ws["A1"] = f"{share.name} 的 KPI"
    ws["A1"].font = TITLE_FONT
    head = [("类型", KIND.get(share.kind, share.kind), None), ("分摊方法", alloc.method, None),
            ("承担目标增量（含余量）", share.annual, money), ("承担承诺增量", share.commitment, money),
            ("占增量比例", share.weight, PCT_FORMAT), ("说明", share.basis, None)]
    if share.cost_growth_cap is not None:
        head.append(("成本增长上限", share.cost_growth_cap, PCT_FORMAT))
    top = _write_pairs(ws, head)
    months = ph.periods["period"].tolist() if ph is not None else []
    headers = ["指标", "标签", "基线", "目标", "提升", "努力", *months]
    body = [[m["name"], m["label"] or "", m["baseline"], m["planned"],
             (m["uplift"] - 1) if m["uplift"] is not None else None, m["effort"],
             *(m["periods"] or [None] * len(months))] for m in share.metrics]
    if share.periods:
        body.append(["目标增量（含余量）", "", None, share.annual, None, None, *share.periods])
        body.append(["承诺增量", "", None, share.commitment, None, None, *share.commitment_periods])
    _table(ws, top, headers, body, {5: PCT_FORMAT, 6: "0.000"}, value_cols=(3, 4, *range(7, 7 + len(months))))
    for r in range(len(share.metrics), len(body)):
        for c in [4, *range(7, 7 + len(months))]:
            ws.cell(top + 1 + r, c).number_format = money
    ws.freeze_panes = ws.cell(top + 1, 2)
    _widths(ws, minimum={1: 22})


# --- helpers -------------------------------------------------------------------------------------


def _table(ws: Worksheet, top: int, headers: list[str], body: list[list[Any]], formats: dict[int, str],
           value_cols: tuple[int, ...] = ()) -> None:
    """Write a header row and a body; ``formats`` by column (1-based); value columns by magnitude."""
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(top, c, h)
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, THIN
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(body, start=top + 1):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(r, c, v)
            if c in formats:
                cell.number_format = formats[c]
            elif c in value_cols and isinstance(v, int | float):
                cell.number_format = _plain_format(v)


def _plain_format(v: float) -> str:
    a = abs(v)
    if a == 0 or a >= 100:
        return "#,##0" if float(v).is_integer() or a >= 1e4 else "#,##0.00"
    return "0.0000" if a < 1 else "#,##0.00"


def _money_rows(ws: Worksheet, plan: Plan, body: list[list[Any]], key_col: int, cols: tuple[int, ...]) -> None:
    """Rows of the target and of nodes that add up to it get the target's format (亿 / 万 when money)."""
    money_names = money_nodes(plan)
    for r, row in enumerate(body, start=2):
        name = str(row[key_col - 1]).split("[")[0]
        if name in money_names:
            values = [row[c - 1] for c in cols if isinstance(row[c - 1], int | float)]
            fmt = excel_money_format(values, plan.target_unit)
            for c in cols:
                ws.cell(r, c).number_format = fmt


def _widths(ws: Worksheet, minimum: dict[int, int] | None = None) -> None:
    """Column widths from the longest header or text cell (CJK characters count double)."""
    minimum = minimum or {}
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or (cell.row <= 2 and cell.column == 1 and ws.title in ("摘要",)):
                continue
            text = cell.value if isinstance(cell.value, str) else ""
            size = display_width(text) if text else 12
            widths[cell.column] = max(widths.get(cell.column, 8), min(size + 2, 48))
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(w, minimum.get(col, 0))


def _print_setup(ws: Worksheet) -> None:
    """Landscape, one page wide, header row repeated: the workbook prints (and converts to PDF) readably."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.freeze_panes:
        ws.print_title_rows = f"1:{ws[ws.freeze_panes].row - 1}"


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def _unique(wb: Workbook, name: str) -> str:
    base, n = name, 2
    while name in wb.sheetnames:
        name = f"{base[:28]}-{n}"
        n += 1
    return name


def _write_pairs(ws: Any, rows: list[tuple[str, Any, str | None]], start: int = 3) -> int:
    """A bold label and a formatted value per row from ``start``; returns the row after a blank line."""
    for i, (label, value, fmt) in enumerate(rows, start=start):
        ws.cell(i, 1, label).font = BOLD
        cell = ws.cell(i, 2, value)
        if fmt:
            cell.number_format = fmt
    return start + len(rows) + 1
