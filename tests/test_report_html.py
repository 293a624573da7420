"""planner report: the HTML page, its bridge, tree, optional sections and the CLI (no browser needed)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.report import html as report_html
from planner.report.html import headline_numbers, render_report
from planner.report.html_bridge import MAX_SHAPLEY, by_owner, compute_bridge, model_from_tree
from planner.report.html_sections import tornado_rows
from planner.result import InputResult, Plan, Status, TargetResult, load_plan
from report_fixture import FIXTURE, build_plan

EVIL = "<script>alert(1)</script>"
EVIL_OWNER = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan()


@pytest.fixture(scope="module")
def page(plan: Plan) -> str:
    return render_report(plan)


def figures(page: str) -> dict[str, dict]:
    """Every embedded figure, as the browser's JSON.parse would read it."""
    found = re.findall(r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>', page, re.S)
    return {k: json.loads(v) for k, v in found}


def evil_plan(tmp_path: Path) -> Plan:
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("信托", f'"{EVIL}"').replace("渠道组", f"'{EVIL_OWNER}'")
    text = text.replace("name: 电销中心 2026 年度目标", 'name: "</script><script>window.__pwned=2</script>"')
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    return build_plan(path)


def chain_plan(u_a: float, u_b: float, *, tree: bool = True) -> Plan:
    """target = a × b with a = b = 1 last year: the reference for the bridge split."""
    inputs = [InputResult("a", None, 1.0, u_a, u_a, math.log(u_a), "甲", None),
              InputResult("b", None, 1.0, u_b, u_b, math.log(u_b), "乙", None)]
    entries = [{"name": "a", "dims": [], "formula": None, "kind": "lever"},
               {"name": "b", "dims": [], "formula": None, "kind": "lever"},
               {"name": "t", "dims": [], "formula": "a * b", "kind": "node"}]
    return Plan("base", Status.OPTIMAL, "min_effort", 1.0, 0.0, TargetResult("t", 1.0, u_a * u_b, u_a * u_b),
                inputs=inputs, tree=entries if tree else [], name="chain", unit="元")


# --- the page -----------------------------------------------------------------------------------

def test_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", page, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js itself is inlined


def test_headline_numbers_from_the_plan(plan: Plan, page: str) -> None:
    nums = headline_numbers(plan)
    t = plan.target
    assert nums["target"] == f"{t.required / 1e8:,.2f}亿"
    assert nums["baseline"] == f"{t.baseline / 1e8:,.2f}亿"
    assert nums["multiple"] == f"×{t.required / t.baseline:.1f}"
    assert nums["margin"] == "10%"
    assert nums["effort"] == f"{plan.effort:.2f}"
    for key in ("target", "baseline", "multiple", "achieved", "effort", "cost", "margin"):
        assert nums[key] in page
    assert "可达成 Reachable" in page


def test_unreachable_plan_shows_max_and_needs() -> None:
    plan = build_plan(required_scale=1.2)
    assert plan.status == Status.INFEASIBLE
    page = render_report(plan)
    assert "目标不可达 Out of reach" in page
    assert f"{plan.max_reachable / 1e8:,.2f}亿" in page
    for need in plan.needs:
        assert need.sentence in page
    bars = figures(page)["fig-bridge"]["data"][0]
    scale = figures(page)["fig-bridge"]["layout"]["meta"]["scale"]
    assert bars["y"][-1] * scale == pytest.approx(plan.max_reachable, rel=1e-12)


# --- the bridge ---------------------------------------------------------------------------------

def test_shapley_of_a_product_chain_by_hand() -> None:
    # a: 1 → 2, b: 1 → 3, t = a·b: 1 → 6. Shapley: a = ½[(2−1) + (6−3)] = 2, b = ½[(3−1) + (6−2)] = 3.
    bridge = compute_bridge(chain_plan(2.0, 3.0))
    assert bridge.method == "shapley"
    got = {c.name: c.value for c in bridge.parts}
    assert got == pytest.approx({"a": 2.0, "b": 3.0}, rel=1e-12)


def test_log_share_fallback_without_formulas() -> None:
    bridge = compute_bridge(chain_plan(2.0, 3.0, tree=False))
    assert bridge.method == "log-share" and "log-share" in bridge.note
    got = {c.name: c.value for c in bridge.parts}
    assert got["a"] == pytest.approx(5.0 * math.log(2) / math.log(6), rel=1e-12)
    assert got["b"] == pytest.approx(5.0 * math.log(3) / math.log(6), rel=1e-12)


def test_bridge_bars_sum_exactly_to_the_change(plan: Plan) -> None:
    bridge = compute_bridge(plan)
    assert bridge.method == "shapley"
    total = plan.target.achieved - plan.target.baseline
    assert math.fsum(c.value for c in bridge.parts) == pytest.approx(total, rel=1e-13, abs=0)
    got = {c.name: c for c in bridge.parts}
    # seats only feed the capacity row: no effect on the target; every other mover adds to it
    assert got["seats"].value == pytest.approx(0.0, abs=1e-6 * total)
    assert set(got) == {"new_customers", "base_conversion", "repurchase", "months_on_sale", "churn", "seats"}
    assert all(c.value > 0 for c in bridge.parts if c.name != "seats")
    assert got["months_on_sale"].kind == "fixed"  # an assumption, not a lever
    owners = dict(by_owner(bridge))
    assert math.fsum(owners.values()) == pytest.approx(total, rel=1e-13)
    assert owners["运营组"] == pytest.approx(got["repurchase"].value + got["churn"].value, rel=1e-12)


def test_bridge_from_tree_equals_bridge_from_scenario_file(plan: Plan) -> None:
    from planner.scenario import load_scenario
    from planner.tree.graph import build_model

    from_file = compute_bridge(plan, build_model(load_scenario(FIXTURE)))
    assert model_from_tree(plan) is not None
    from_tree = compute_bridge(plan)
    assert [c.name for c in from_tree.parts] == [c.name for c in from_file.parts]
    for a, b in zip(from_tree.parts, from_file.parts, strict=True):
        assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-3)


def test_bridge_figure_data_is_the_split(plan: Plan, page: str) -> None:
    fig = figures(page)["fig-bridge"]
    trace, meta = fig["data"][0], fig["layout"]["meta"]
    bridge = compute_bridge(plan)
    moved = [c for c in bridge.parts if c.value != 0]
    assert trace["type"] == "waterfall"
    assert trace["measure"] == ["absolute"] + ["relative"] * len(moved) + ["total"]
    assert trace["x"][1:-1] == [c.name for c in moved]
    scale = meta["scale"]
    assert scale == 1e8 and meta["method"] == "shapley"
    assert trace["y"][0] * scale == pytest.approx(plan.target.baseline, rel=1e-12)
    assert trace["y"][-1] * scale == pytest.approx(plan.target.achieved, rel=1e-12)
    assert math.fsum(trace["y"][:-1]) == pytest.approx(trace["y"][-1], rel=1e-12)
    assert trace["text"][1] == f"+{moved[0].value / 1e8:,.2f}亿"


def test_too_many_drivers_fall_back_to_log_share() -> None:
    n = MAX_SHAPLEY + 1
    names = [f"x{i}" for i in range(n)]
    inputs = [InputResult(k, None, 1.0, 1.1, 1.1, 0.1, None, None) for k in names]
    tree = [{"name": k, "dims": [], "formula": None, "kind": "lever"} for k in names]
    tree.append({"name": "t", "dims": [], "formula": " * ".join(names), "kind": "node"})
    total = 1.1**n
    plan = Plan("base", Status.OPTIMAL, "min_effort", 1.0, 0.0, TargetResult("t", 1.0, total, total),
                inputs=inputs, tree=tree)
    bridge = compute_bridge(plan)
    assert bridge.method == "log-share"
    assert [c.value for c in bridge.parts] == pytest.approx([(total - 1) / n] * n, rel=1e-12)


# --- the tree -----------------------------------------------------------------------------------

def test_tree_draws_every_entry_with_its_kind(plan: Plan, page: str) -> None:
    drawn = {n: k for k, n in re.findall(r'<g class="box ([a-z]+)(?: root)?" data-name="([^"]+)"', page)}
    # total_sales = sum(sales) is drawn as one box; every other entry has its own
    expected = {e["name"] for e in plan.tree} - {"sales"}
    assert set(drawn) == expected
    assert drawn["new_customers"] == "lever" and drawn["price"] == "fixed"
    assert drawn["sufficiency"] == "uncontrollable" and drawn["buyers"] == "node"
    assert '<g class="box node root" data-name="total_sales"' in page
    # levers are coloured by owner: same owner same colour, different owners different colours
    colours = dict(re.findall(r'data-name="([^"]+)" style="--owner:(#[0-9a-f]{6})"', page))
    assert colours["churn"] == colours["repurchase"]  # both 运营组
    assert len({colours["new_customers"], colours["base_conversion"], colours["churn"], colours["seats"]}) == 4
    assert "new_customers — 杠杆 lever · 渠道组" in page  # the hover tooltip
    assert "2.00万 → <tspan class=\"planned\">19.09万</tspan>" in page


# --- escaping -----------------------------------------------------------------------------------

def test_labels_are_escaped_in_html_svg_and_plotly_json(tmp_path: Path) -> None:
    page = render_report(evil_plan(tmp_path))
    assert EVIL not in page and EVIL_OWNER not in page
    assert "window.__pwned=2</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text in tables and the tree
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page
    # only our own script tags: plotly.js, one per figure, and the drawing script
    assert len(re.findall(r"<script", page)) == 2 + len(figures(page))
    # inside figure JSON no '<' survives; plotly gets the entity-escaped text, which it shows literally
    for fig in re.findall(r'data-figure="[^"]+">(.*?)</script>', page, re.S):
        assert "<" not in fig and ">" not in fig
    hover = " ".join(figures(page)["fig-bridge"]["data"][0]["customdata"])
    assert '&lt;img src=x onerror="window.__pwned=1"&gt;' in hover


# --- optional sections --------------------------------------------------------------------------

def test_compare_section_marks_differences(plan: Plan) -> None:
    other = build_plan(scenario="悲观")
    data = {"base": "base", "scenarios": [plan.to_dict(), other.to_dict()]}
    page = render_report(plan, compare=data)
    table = re.search(r'<table id="compare-table">(.*?)</table>', page, re.S).group(1)
    assert "悲观" in table and "base (base)" in table
    effort_row = re.search(r"努力 effort</td>(.*?)</tr>", table).group(1)
    assert f"{plan.effort:.2f}" in effort_row and f'class="diff">{other.effort:.2f}' in effort_row
    fig = figures(page)["fig-compare"]
    scale = 1e8
    assert [y * scale for y in fig["data"][0]["y"]] == pytest.approx(
        [plan.target.achieved, other.target.achieved], rel=1e-12)


def test_sensitivity_section_reads_tornado_frontier_and_probability(plan: Plan) -> None:
    sens = {"metric": "effort",
            "tornado": [{"name": "sufficiency", "low": 14.0, "high": 11.5, "base": 12.3},
                        {"name": "price", "swing_low": -0.2, "swing_high": 0.1}],
            "frontier": [{"multiple": m, "target": m * 5e9, "effort": 0.5 * m} for m in (1, 5, 10)],
            "uncertainty": {"p_hit": 0.62, "p10": 4.1e10, "p50": 5.2e10, "p90": 6.0e10, "samples": 100000},
            "shadow_prices": [{"what": "inputs.seats.max", "sentence": "one more seat saves 0.03 effort"}]}
    page = render_report(plan, sensitivity=sens)
    assert '<div class="card hero" id="p-hit"><div class="k">达成概率 P(hit target)</div><div class="v">62%' in page
    assert "520.00亿" in page and "one more seat saves 0.03 effort" in page
    tor = figures(page)["fig-tornado"]["data"]
    assert tor[0]["y"] == ["price", "sufficiency"]  # largest swing drawn last (on top)
    assert tor[0]["x"] == pytest.approx([-0.2, 14.0 - 12.3]) and tor[1]["x"] == pytest.approx([0.1, 11.5 - 12.3])
    front = figures(page)["fig-frontier"]["data"][0]
    assert front["x"] == pytest.approx([50.0, 250.0, 500.0]) and front["y"] == pytest.approx([0.5, 2.5, 5.0])


def test_tornado_rows_tolerate_missing_keys() -> None:
    rows = tornado_rows([{"name": "x"}, "junk", {"low": 1.0, "high": 2.0}, None,
                         {"name": "cap", "base": 3.0, "low": None, "high": 2.5, "low_note": "unreachable"}])
    assert [r[:3] for r in rows] == [("cap", 0.0, -0.5), ("?", 1.0, 2.0)]
    assert rows[0][3] == "cap −: — (unreachable)"
    assert tornado_rows(None) == []


def test_phasing_section_from_phase_and_allocation_json(plan: Plan) -> None:
    from planner.allocation import allocate_owners
    from planner.phasing import phase_plan

    phase = phase_plan(plan, 2026, "month")
    alloc = allocate_owners(plan, phasing=phase)
    docs = [json.loads(phase.to_json()), json.loads(alloc.to_json())]
    page = render_report(plan, phasing=docs)
    figs = figures(page)
    bars = figs["fig-phase-0"]["data"][0]
    assert len(bars["x"]) == 12 and bars["x"][0] == phase.to_dict()["periods"][0]["period"]
    assert math.fsum(bars["y"]) * 1e8 == pytest.approx(phase.target.planned, rel=1e-9)
    stacked = figs["fig-alloc-1"]["data"]
    assert [t["name"] for t in stacked] == [s.name for s in alloc.shares]
    assert math.fsum(math.fsum(t["y"]) for t in stacked) * 1e8 == pytest.approx(alloc.total, rel=1e-9)


def test_tracking_section(plan: Plan) -> None:
    track = {"as_of": "2026-06-30",
             "completion": [{"period": f"2026-0{m}", "team": "一组", "actual": 4e9, "target": 4.5e9} for m in (1, 2, 3)],
             "forecast": {"year_end": 5.1e10, "low": 4.8e10, "high": 5.4e10, "verdict": "年底差 4.9亿"},
             "diagnosis": ["一组 persistently behind (3 of the last 3 months)"],
             "attribution": {"gap": -1.5e9, "contributions": [{"driver": "conversion", "value": -1.1e9},
                                                              {"driver": "traffic", "value": -0.4e9}]}}
    page = render_report(plan, tracking=track)
    figs = figures(page)
    actual = figs["fig-track"]["data"][0]
    assert actual["y"] == pytest.approx([40.0, 80.0, 120.0])  # cumulative, in 亿
    wf = figs["fig-attribution"]["data"][0]
    assert wf["x"] == ["conversion", "traffic", "差距 gap"] and wf["y"] == pytest.approx([-11.0, -4.0, -15.0])
    assert "persistently behind" in page and "510.00亿" in page


@pytest.mark.parametrize("junk", [{}, [], {"tornado": "x", "frontier": [None]}, {"series": None, "shares": 3}])
def test_odd_optional_json_never_crashes(plan: Plan, junk: object) -> None:
    page = render_report(plan, compare=junk, sensitivity=junk, phasing=junk, tracking=junk)
    assert page.count("nothing to show") == 4


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_writes_the_report(tmp_path: Path, plan: Plan) -> None:
    src = tmp_path / "plan.json"
    src.write_text(plan.to_json(), encoding="utf-8")
    sens = tmp_path / "sens.json"
    sens.write_text(json.dumps({"uncertainty": {"p_hit": 0.7}}), encoding="utf-8")
    out = tmp_path / "out" / "report.html"
    res = CliRunner().invoke(main, ["report", str(src), "--sensitivity", str(sens), "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert headline_numbers(load_plan(src))["target"] in page and "70%" in page
    default = CliRunner().invoke(main, ["report", str(src)])
    assert default.exit_code == 0 and (tmp_path / "plan.html").exists()


@pytest.mark.parametrize("case", ["missing", "not-json", "not-a-plan", "bad-compare", "missing-tracking", "scalar"])
def test_cli_bad_input(tmp_path: Path, plan: Plan, case: str) -> None:
    src = tmp_path / "plan.json"
    src.write_text(plan.to_json(), encoding="utf-8")
    extra: list[str] = []
    expect = str(src)
    if case == "missing":
        src.unlink()
    elif case == "not-json":
        src.write_text("{oops", encoding="utf-8")
    elif case == "not-a-plan":
        src.write_text(json.dumps({"status": "optimal"}), encoding="utf-8")
    elif case == "bad-compare":
        bad = tmp_path / "cmp.json"
        bad.write_text("[1, 2", encoding="utf-8")
        extra, expect = ["--compare", str(bad)], "--compare"
    elif case == "missing-tracking":
        extra, expect = ["--tracking", str(tmp_path / "nope.json")], "nope.json"
    else:
        bad = tmp_path / "sens.json"
        bad.write_text("42", encoding="utf-8")
        extra, expect = ["--sensitivity", str(bad)], "expected a JSON object or list"
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", str(src), *extra, "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert expect in res.output and "Traceback" not in res.output
    assert not out.exists()
    assert not list(tmp_path.glob(".r.*"))  # no temp file left behind


def test_cli_pdf_without_chromium_writes_nothing(tmp_path: Path, plan: Plan, monkeypatch) -> None:
    monkeypatch.setattr(report_html, "chromium_path", lambda: None)
    src = tmp_path / "plan.json"
    src.write_text(plan.to_json(), encoding="utf-8")
    out, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    res = CliRunner().invoke(main, ["report", str(src), "-o", str(out), "--pdf", str(pdf)])
    assert res.exit_code == 1
    assert "no Chromium browser was found" in res.output and "apt-get install chromium" in res.output
    assert not out.exists() and not pdf.exists()
