"""The plan workbook: cells read back with openpyxl, formats, frozen headers; LibreOffice renders it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from phase_plans import make_plan

from planner.allocation import allocate_owners, allocate_teams, read_teams
from planner.cli import main
from planner.phasing import phase_plan, read_seasonality
from planner.report.units import excel_money_format, format_money, format_pct, format_uplift
from planner.report.workbook import write_workbook

ROOT = Path(__file__).parents[1]
TEAMS = ROOT / "scenarios" / "teams" / "telesales_teams.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    plan = make_plan()
    season, source = read_seasonality(None, plan)
    month = phase_plan(plan, 2026, "month", seasonality=season, seasonality_source=source, ramp=3)
    week = phase_plan(plan, 2026, "week", seasonality=season, seasonality_source=source, ramp=3)
    teams = allocate_teams(plan, read_teams(TEAMS, "capacity"), "capacity", phasing=month)
    owners = allocate_owners(plan, "owner")
    path = tmp_path_factory.mktemp("wb") / "plan.xlsx"
    write_workbook(path, plan, [month, week], [teams, owners])
    return {"path": path, "plan": plan, "month": month, "week": week, "teams": teams, "owners": owners}


def _labelled(ws, label: str):
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == label:
            return row[1]
    raise AssertionError(f"no row {label!r}")


def test_units_formatting() -> None:
    assert format_money(5e10) == "500.00亿"
    assert format_money(123456) == "12.35万"
    assert format_money(850) == "850元"
    assert format_money(-2.5e8) == "-2.50亿"
    assert format_money(1234.6, "人") == "1,235人" and format_money(0.25, "") == "0.25"
    assert format_money(0.01177, None) == "0.01177" and format_money(12.5, "单") == "12.5单"
    assert format_money(None) == "—"
    assert format_pct(0.123) == "12.3%" and format_pct(0.05, signed=True) == "+5.0%"
    assert format_uplift(1.5) == "+50.0%" and format_uplift(0.8) == "-20.0%"
    assert excel_money_format([5e10]) == '0\\.00,,"亿"'
    assert excel_money_format([3e5]) == '0\\.0,"万"'
    assert excel_money_format([30.0]) == '#,##0"元"'
    assert excel_money_format([5e10], "人") == "#,##0"


def test_summary_sheet_reads_back(built) -> None:
    wb = load_workbook(built["path"])
    assert wb.sheetnames[:5] == ["摘要", "驱动树", "月度目标", "周目标", "分解明细"]
    ws = wb["摘要"]
    assert ws["A1"].value == "测试电销"
    assert _labelled(ws, "去年基线").value == 2_400_000_000
    assert _labelled(ws, "承诺目标").value == 7_200_000_000
    stretch = _labelled(ws, "计划目标（含余量）")
    assert stretch.value == pytest.approx(7.92e9) and "亿" in stretch.number_format
    margin = _labelled(ws, "余量")
    assert margin.value == 0.1 and margin.number_format == "0.0%"
    assert _labelled(ws, "倍数（计划 ÷ 基线）").value == pytest.approx(3.3)
    levers = [r for r in ws.iter_rows(values_only=True) if r[0] == "conversion"]
    assert levers[0][1:6] == ("信托", "运营部", 0.02, 0.04, pytest.approx(1.0))
    assert ws.freeze_panes is not None and ws.column_dimensions["A"].width >= 18


def test_tree_sheet_has_formulas_and_values(built) -> None:
    ws = load_workbook(built["path"])["驱动树"]
    assert [c.value for c in ws[1]] == ["名称", "标签", "类型", "公式", "负责人", "基线", "计划", "变化"]
    rows = {(r[0], r[1]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[("total_sales", None)][3] == "sum(sales)"
    assert rows[("total_sales", None)][5:7] == (2.4e9, 7.92e9)
    assert rows[("buyers", "信托")][3] == "reachable * conversion[product] * sufficiency"
    assert rows[("sufficiency", None)][2] == "不可控"
    total_row = next(i for i, r in enumerate(ws.iter_rows(min_row=1, values_only=True), 1) if r[0] == "total_sales")
    assert "亿" in ws.cell(total_row, 6).number_format
    assert ws.freeze_panes == "C2"


def test_monthly_and_weekly_targets_per_team(built) -> None:
    wb = load_workbook(built["path"])
    ws = wb["月度目标"]
    header = [c.value for c in ws[1]]
    assert header[:8] == ["期间", "开始", "结束", "工作日", "目标（含余量）", "累计目标", "承诺", "累计承诺"]
    assert header[8:11] == ["一组", "一组累计", "一组承诺"]
    month = built["month"].target
    for i in range(12):
        row = [c.value for c in ws[i + 2]]
        assert row[0] == f"2026-{i + 1:02d}"
        assert row[4] == month.values[i] and row[5] == month.cumulative[i] and row[6] == month.commitment_values[i]
    assert [ws.cell(r, 4).value for r in range(2, 14)] == [21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]
    total = [c.value for c in ws[14]]
    assert total[0] == "全年" and total[4] == 7_920_000_000 and total[6] == 7_200_000_000
    teams = sum(total[8 + 3 * k] for k in range(3))
    assert teams == 7_920_000_000 and total[8] == built["teams"].shares[0].annual
    for r in range(2, 14):  # every month: the teams add up to the month's target
        assert sum(ws.cell(r, 9 + 3 * k).value for k in range(3)) == ws.cell(r, 5).value
    assert ws.freeze_panes == "B2" and "亿" in ws.cell(2, 5).number_format
    weeks = wb["周目标"]
    assert weeks.max_row >= 55 and weeks.cell(2, 1).value == "2026-W01" and weeks.cell(54, 1).value == "2026-W53"
    assert weeks.cell(55, 5).value == 7_920_000_000
    for r in range(2, 55):
        assert sum(weeks.cell(r, 9 + 3 * k).value for k in range(3)) == weeks.cell(r, 5).value


def test_one_sheet_per_owner(built) -> None:
    wb = load_workbook(built["path"])
    names = [s.name for s in built["owners"].shares]
    assert [f"负责人-{n}" for n in names] == wb.sheetnames[5:]
    ws = wb["负责人-运营部"]
    share = next(s for s in built["owners"].shares if s.name == "运营部")
    assert ws["A1"].value == "运营部 的 KPI"
    assert _labelled(ws, "承担目标增量（含余量）").value == share.annual
    assert _labelled(ws, "承担承诺增量").value == share.commitment
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] in ("conversion", "目标增量（含余量）", "承诺增量")]
    assert rows[0][1:4] == ("信托", 0.02, 0.04) and rows[0][9] == pytest.approx(0.04)  # April, after the ramp
    assert sum(rows[2][6:18]) == share.annual and sum(rows[3][6:18]) == share.commitment
    centre = wb["负责人-技术部"]
    assert _labelled(centre, "类型").value == "成本中心" and _labelled(centre, "成本增长上限").value == 0.1


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="LibreOffice not installed")
def test_libreoffice_opens_and_renders_the_workbook(built, tmp_path: Path) -> None:
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(built["path"])],
                          capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "plan.pdf"
    assert pdf.exists(), done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "79.20亿" in text and "72.00亿" in text and "24.00亿" in text  # the 亿 formats render
    assert "运营部 的 KPI" in text and "2026-W53" in text and "10.0%" in text


# --- the command ---------------------------------------------------------------------------------


def test_cli_export_with_phase_and_alloc(built, tmp_path: Path) -> None:
    plan_path, month_path, team_path = tmp_path / "plan.json", tmp_path / "m.json", tmp_path / "t.json"
    plan_path.write_text(built["plan"].to_json(), encoding="utf-8")
    month_path.write_text(built["month"].to_json(), encoding="utf-8")
    team_path.write_text(built["teams"].to_json(), encoding="utf-8")
    out = tmp_path / "out.xlsx"
    res = CliRunner().invoke(main, ["export", str(plan_path), "--xlsx", str(out), "--phase", str(month_path),
                                    "--alloc", str(team_path)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    assert "月度目标" in wb.sheetnames and "周目标" not in wb.sheetnames and "负责人-市场部" in wb.sheetnames
    assert wb["月度目标"].cell(14, 9).value == built["teams"].shares[0].annual
    res = CliRunner().invoke(main, ["export", str(plan_path), "--xlsx", str(tmp_path / "y.xlsx"), "--year", "2025"])
    assert res.exit_code == 0, res.output
    wb = load_workbook(tmp_path / "y.xlsx")
    assert wb["月度目标"].cell(2, 4).value == 19 and wb["周目标"].cell(2, 1).value == "2025-W01"


def test_cli_export_bad_inputs(built, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(built["plan"].to_json(), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["export", str(plan_path), "--xlsx", str(tmp_path / "p.xls")])
    assert res.exit_code == 1 and "--xlsx: the workbook must be an .xlsx file" in res.output
    res = runner.invoke(main, ["export", str(plan_path), "--xlsx", str(tmp_path / "p.xlsx"),
                               "--phase", str(tmp_path / "none.json")])
    assert res.exit_code == 1 and "none.json: file not found" in res.output
    (tmp_path / "wrong.json").write_text('{"year": 2026}', encoding="utf-8")
    res = runner.invoke(main, ["export", str(plan_path), "--xlsx", str(tmp_path / "p.xlsx"),
                               "--phase", str(tmp_path / "wrong.json")])
    assert res.exit_code == 1 and "wrong.json: not a planner phasing" in res.output and "Hint:" in res.output
    res = runner.invoke(main, ["export", str(plan_path), "--xlsx", str(tmp_path / "p.xlsx"),
                               "--alloc", str(plan_path)])
    assert res.exit_code == 1 and "not a planner allocation" in res.output
    assert not (tmp_path / "p.xlsx").exists() and not list(tmp_path.glob(".p.*"))
    assert "Traceback" not in res.output


def test_real_plan_from_solve_to_workbook(tmp_path: Path) -> None:
    """The shipped telesales scenario, end to end: solve → phase → allocate → export."""
    runner = CliRunner()
    plan = tmp_path / "plan.json"
    res = runner.invoke(main, ["solve", str(ROOT / "scenarios" / "telesales_500yi.yaml"), "--format", "json",
                               "-o", str(plan)])
    assert res.exit_code == 0, res.output
    from planner.result import load_plan

    solved = load_plan(plan)
    month, week, teams = tmp_path / "m.json", tmp_path / "w.json", tmp_path / "t.json"
    for args in (["phase", str(plan), "--year", "2026", "--ramp", "3", "--round", "10000", "-o", str(month)],
                 ["phase", str(plan), "--year", "2026", "--by", "week", "--round", "10000", "-o", str(week)],
                 ["allocate", str(plan), "--by", "capacity", "--teams", str(TEAMS), "--phase", str(month),
                  "-o", str(teams)],
                 ["allocate", str(plan), "--by", "sequential", "--owners",
                  str(ROOT / "scenarios" / "teams" / "owners.yaml"), "-o", str(tmp_path / "seq.json")],
                 ["export", str(plan), "--xlsx", str(tmp_path / "plan.xlsx"), "--phase", str(month),
                  "--phase", str(week), "--alloc", str(teams)]):
        res = runner.invoke(main, args)
        assert res.exit_code == 0, (args[0], res.output)
    wb = load_workbook(tmp_path / "plan.xlsx")
    annual = round(solved.target.required / 10_000) * 10_000
    assert wb["月度目标"].cell(14, 5).value == annual
    assert sum(wb["月度目标"].cell(r, 5).value for r in range(2, 14)) == annual
    assert sum(wb["周目标"].cell(r, 5).value for r in range(2, 55)) == annual
    from planner.allocation import load_allocation

    seq = load_allocation(tmp_path / "seq.json")
    assert sum(s.annual for s in seq.shares) == round(solved.target.required - solved.target.baseline)
    assert "产品研发部" in {s.name for s in seq.shares}
    owners = {i.owner for i in solved.levers if i.owner}
    assert {f"负责人-{o}" for o in owners} <= set(wb.sheetnames)
