"""The tracking workbook: 跟踪摘要, 月度完成, 差距归因, 诊断, 重新规划 and 假设 sheets (openpyxl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.files import write_with
from planner.report.units import PCT_FORMAT, display_width, excel_money_format
from planner.report.workbook import HEADER_FILL, HEADER_FONT, THIN


def write_track_workbook(path: str | Path, report: dict[str, Any]) -> None:
    """Write the tracking JSON dict (``Tracking.to_dict()``) as a workbook."""
    wb = Workbook()
    unit = report.get("unit")
    ws = wb.active
    ws.title = "跟踪摘要"
    _table(ws, ["问题 question", "回答 answer"], [[a["question"], a["answer"]] for a in report["answers"]])
    ws.column_dimensions["B"].width = 120
    for row in ws.iter_rows(min_row=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = report["completion"]
    body = [[r["period"], r["team"], r["actual"], r["target"], r["rate"], r["cumulative_actual"],
             r["cumulative_target"], r["cumulative_rate"]] for r in rows]
    money = excel_money_format([r["actual"] for r in rows], unit)
    _table(wb.create_sheet("月度完成"), ["月份", "团队", "实际", "目标", "完成率", "累计实际", "累计目标", "累计完成率"],
           body, {3: money, 4: money, 5: PCT_FORMAT, 6: money, 7: money, 8: PCT_FORMAT})
    a = report["attribution"]
    att = [["合计 gap", "", a["gap"]]] + [["驱动 driver", c["driver"], c["value"]] for c in a["contributions"]]
    att += [["驱动×产品", c["driver"], c["value"]] for c in a["by_driver_label"]]
    att += [["产品 product", c["product"], c["value"]] for c in a["by_product"]]
    att += [["团队 team", c["team"], c["value"]] for c in a["by_team"]]
    fmt = excel_money_format([r[2] for r in att], unit)
    _table(wb.create_sheet("差距归因"), ["汇总方式", "项目", "贡献"], att, {3: fmt})
    _table(wb.create_sheet("诊断"), ["标记 flag", "团队 team", "月份 months", "说明"],
           [[f["flag"], f.get("unit") or "", ", ".join(f.get("months") or []), f["sentence"]] for f in report["diagnosis"]])
    rp = report.get("replan") or {}
    rbody = [["状态 status", rp.get("status")], ["说明", rp.get("sentence")]]
    rbody += [[f"{x['name']}[{x['label']}]" if x.get("label") else x["name"], f"{x['planned']} → {x['replanned']}"]
              for x in rp.get("levers", [])]
    rbody += [["需要 need", n.get("sentence") or n.get("what")] for n in rp.get("needs", [])]
    _table(wb.create_sheet("重新规划"), ["项目", "内容"], rbody)
    _table(wb.create_sheet("假设"), ["标记", "指标", "说明"],
           [[n["flag"], n["name"], n["sentence"]] for n in report.get("assumptions", [])])
    write_with(path, lambda tmp: wb.save(tmp))


def _table(ws: Worksheet, headers: list[str], body: list[list[Any]], formats: dict[int, str] | None = None) -> None:
    formats = formats or {}
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(1, c, h)
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, THIN
    for r, row in enumerate(body, start=2):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(r, c, v)
            if c in formats:
                cell.number_format = formats[c]
    ws.freeze_panes = "A2"
    for c in range(1, len(headers) + 1):
        width = max([display_width(str(ws.cell(r, c).value or "")) for r in range(1, min(ws.max_row, 200) + 1)] + [8])
        ws.column_dimensions[get_column_letter(c)].width = min(width + 2, 60)
