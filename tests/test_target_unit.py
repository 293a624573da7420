"""A target that is not money (``target: {unit: 个}``) is shown as a count; money stays in 亿 / 万."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from planner.allocation import allocate_teams, render_allocation
from planner.optimise import solve
from planner.phasing import phase_plan, render_phasing
from planner.report.html import headline_numbers, render_report
from planner.report.table import plan_table
from planner.report.workbook import build_workbook
from planner.result import Plan, target_unit
from planner.scenario import load_scenario
from planner.whatif.compare import Comparison, comparison_table

AD_SALES = "scenarios/ad_sales_department.yaml"
TELESALES = "scenarios/telesales_500yi.yaml"
MONEY_WORDS = ("万元", "亿")


@pytest.fixture(scope="module")
def ad_plan() -> Plan:
    return solve(load_scenario(AD_SALES))


@pytest.fixture(scope="module")
def tele_plan() -> Plan:
    return solve(load_scenario(TELESALES))


def test_scenario_target_unit_reaches_the_plan(ad_plan: Plan) -> None:
    assert load_scenario(AD_SALES).target.unit == "个"
    assert ad_plan.unit == "元"  # money (costs, budget) keeps the scenario's unit
    assert ad_plan.target.unit == "个"
    assert ad_plan.target_unit == "个"
    again = Plan.from_dict(json.loads(ad_plan.to_json()))
    assert again.target.unit == "个" and again.target_unit == "个"


def test_target_unit_falls_back_to_the_money_unit(tele_plan: Plan) -> None:
    assert load_scenario(TELESALES).target.unit is None
    assert tele_plan.target.unit == tele_plan.unit == "元"
    # A plan JSON written before target.unit existed reads as before.
    d = json.loads(tele_plan.to_json())
    del d["target"]["unit"]
    old = Plan.from_dict(d)
    assert old.target.unit is None and old.target_unit == "元"
    assert target_unit(None, "元") == "元" and target_unit("个", "元") == "个"


def test_terminal_table_shows_the_target_as_a_count(ad_plan: Plan) -> None:
    text = plan_table(ad_plan)
    target_line = next(line for line in text.splitlines() if line.startswith("target new_signed"))
    assert "required 120,000个" in target_line
    assert f"baseline {ad_plan.target.baseline:,.0f}个" in target_line
    assert "万" not in target_line and "亿" not in target_line
    cost_line = next(line for line in text.splitlines() if line.startswith("effort"))
    assert "/ 300.00万" in cost_line  # the budget is still money


def test_telesales_table_keeps_money(tele_plan: Plan) -> None:
    text = plan_table(tele_plan)
    assert "required 500.00亿" in text


def test_html_headline_and_bridge_are_counts(ad_plan: Plan) -> None:
    nums = headline_numbers(ad_plan)
    assert nums["target"] == "120,000个"
    assert nums["baseline"] == f"{ad_plan.target.baseline:,.0f}个"
    assert nums["cost"].endswith("万")  # the budget used is money
    page = render_report(ad_plan)
    cards = re.search(r'<div class="cards">.*?</div></div></div>', page, re.S).group(0)
    hero = re.search(r'id="h-target">.*?<div class="v">([^<]*)</div>', cards).group(1)
    assert hero == "120,000个"
    figure = re.search(r'data-figure="fig-bridge">(.*?)</script>', page, re.S).group(1)
    axis = json.loads(figure)["layout"]["yaxis"]["title"]["text"]
    assert axis.endswith("个") and not any(w in axis for w in MONEY_WORDS)


def test_html_telesales_bridge_axis_is_money(tele_plan: Plan) -> None:
    assert headline_numbers(tele_plan)["target"] == "500.00亿"
    page = render_report(tele_plan)
    figure = re.search(r'data-figure="fig-bridge">(.*?)</script>', page, re.S).group(1)
    assert json.loads(figure)["layout"]["yaxis"]["title"]["text"] == "亿元"


def _summary_format(plan: Plan, label: str) -> str:
    ws = build_workbook(plan).worksheets[0]
    row = next(r for r in ws.iter_rows() if r[0].value == label)
    return row[1].number_format


def test_workbook_target_cells_use_a_count_format(ad_plan: Plan, tele_plan: Plan) -> None:
    for label in ("去年基线", "计划目标（含余量）", "预计达成"):
        assert _summary_format(ad_plan, label) == "#,##0"
        assert "亿" in _summary_format(tele_plan, label)
    assert "万" in _summary_format(ad_plan, "预算使用")  # money stays in 亿 / 万
    tree = build_workbook(ad_plan)["驱动树"]
    row = next(r for r in tree.iter_rows() if r[0].value == "new_signed")
    assert row[5].number_format == row[6].number_format == "#,##0"


def test_phasing_and_team_split_of_the_target_are_counts(ad_plan: Plan) -> None:
    import pandas as pd

    ph = phase_plan(ad_plan, 2025)
    assert ph.unit == "个"
    text = render_phasing(ph, "table")
    body = text.splitlines()[2:14]
    assert len(body) == 12 and all("个" in line for line in body)
    assert not any(w in text for w in ("万", "亿"))
    assert f"{sum(ph.target.values):,.0f}个" in text  # the cumulative in December is the year's target
    teams = pd.DataFrame({"team": ["华北", "华南"], "last_year": [50000.0, 37388.0]})
    alloc = allocate_teams(ad_plan, teams, "last_year")
    assert alloc.unit == "个"
    out = render_allocation(alloc, "table")
    assert "120,000个" in out and not any(w in out for w in ("万", "亿"))


def test_compare_table_target_rows_are_counts(ad_plan: Plan) -> None:
    other = replace(ad_plan, scenario="copy")
    text = comparison_table(Comparison([ad_plan, other], ["base", "copy"]))
    required = next(line for line in text.splitlines() if "target required" in line)
    assert "120,000个" in required and "万" not in required
    cost = next(line for line in text.splitlines() if line.strip().startswith("cost"))
    assert "万" in cost
