"""What-if results as an xlsx workbook: one sheet per view, changed cells highlighted (openpyxl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.files import write_with

HIGHLIGHT = "FFF2CC"  # pale amber: differs from the base


def write_workbook(path: str | Path, sheets: dict[str, list[dict[str, Any]]],
                   highlight: dict[str, set[tuple[int, str]]] | None = None) -> None:
    """Write ``{sheet name: rows}`` atomically; ``highlight[sheet]`` holds (row index, column) cells to mark."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", start_color=HIGHLIGHT, end_color=HIGHLIGHT)
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name[:31])
        cols = list(dict.fromkeys(k for r in rows for k in r))
        ws.append(cols)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        marks = (highlight or {}).get(name, set())
        for i, r in enumerate(rows):
            ws.append([_cell(r.get(c)) for c in cols])
            for j, c in enumerate(cols):
                if (i, c) in marks:
                    ws.cell(row=i + 2, column=j + 1).fill = fill
        for j, c in enumerate(cols):
            ws.column_dimensions[ws.cell(row=1, column=j + 1).column_letter].width = max(10, min(40, len(str(c)) + 4))
        ws.freeze_panes = "B2"
    write_with(path, wb.save)


def _cell(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)
