"""planner report: the HTML page, its bridge, tree, optional sections and the CLI (no browser needed)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixture import FIXTURE, build_plan

from planner.cli import main
from planner.report import html as report_html
from planner.report.html import headline_numbers, render_report
from planner.report.html_bridge import by_owner, compute_bridge, model_from_tree
from planner.report.html_sections import tornado_rows
from planner.result import InputResult, Plan, Status, TargetResult, load_plan

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


def toy_plan(formula: str, uplifts: dict[str, float], achieved: float, *, tree: bool = True) -> Plan:
    """target = ``formula`` over levers that were all 1 last year, each owned by its own team."""
    inputs = [InputResult(k, None, 1.0, u, u, math.log(u), f"{k}组", None) for k, u in uplifts.items()]
    entries = [{"name": k, "dims": [], "formula": None, "kind": "lever"} for k in uplifts]
    entries.append({"name": "t", "dims": [], "formula": formula, "kind": "node"})
    baseline = float(eval(formula, {}, dict.fromkeys(uplifts, 1.0)))  # noqa: S307 - the test's own formula
    return Plan("base", Status.OPTIMAL, "min_effort", 1.0, 0.0, TargetResult("t", baseline, achieved, achieved),
                inputs=inputs, tree=entries if tree else [], name="toy", unit="元")


def chain_plan(u_a: float, u_b: float, *, tree: bool = True) -> Plan:
    """target = a × b with a = b = 1 last year: the reference for the bridge split."""
    return toy_plan("a * b", {"a": u_a, "b": u_b}, u_a * u_b, tree=tree)


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
    bridge = compute_bridge(plan)
    assert bridge.method == "tree"  # the formulas reproduce the max-reachable point: the exact split
    assert math.fsum(c.value for c in bridge.parts) == pytest.approx(plan.max_reachable - plan.target.baseline,
                                                                     rel=1e-13, abs=0)


# --- the bridge ---------------------------------------------------------------------------------

def test_log_share_of_a_product_chain_by_hand() -> None:
    # a: 1 → 2, b: 1 → 3, t = a·b: 1 → 6. Along t = a·b the log-share rule gives a ln2/ln6 and b ln3/ln6
    # of the change 5 (Shapley would give 2 and 3).
    bridge = compute_bridge(chain_plan(2.0, 3.0))
    assert bridge.method == "tree" and "log-share" in bridge.note
    got = {c.name: c.value for c in bridge.parts}
    assert got == pytest.approx({"a": 5 * math.log(2) / math.log(6), "b": 5 * math.log(3) / math.log(6)}, rel=1e-9)
    assert dict(by_owner(bridge)) == pytest.approx({"a组": got["a"], "b组": got["b"]}, rel=1e-15)


def test_log_share_goes_through_the_tree_term_by_term() -> None:
    # t = s·a + s·b + c, all 1 last year; s: 1 → 2, a: 1 → 3, b stays, c: 1 → 4. t: 3 → 6 + 2 + 4 = 12.
    # Term s·a (1 → 6): s ln2/ln6 and a ln3/ln6 of 5; term s·b (1 → 2): all of 1 to s; term c: 3 to c.
    plan = toy_plan("s * a + s * b + c", {"s": 2.0, "a": 3.0, "b": 1.0, "c": 4.0}, 12.0)
    bridge = compute_bridge(plan)
    assert bridge.method == "tree"
    got = {c.name: c.value for c in bridge.parts}
    ln6 = math.log(6)
    assert got == pytest.approx({"s": 5 * math.log(2) / ln6 + 1, "a": 5 * math.log(3) / ln6, "c": 3.0}, rel=1e-9)
    assert math.fsum(got.values()) == 9.0  # exactly planned − baseline
    # b did not move: no bar, but its owner is listed (with nothing), as in `planner allocate --by owner`
    owners = dict(by_owner(bridge))
    assert set(owners) == {"s组", "a组", "b组", "c组"} and owners["b组"] == 0.0
    # the plan-only fallback splits 9 by ln u alone (ln2 : ln3 : ln4): a different, product-chain answer
    alone = {c.name: c.value for c in compute_bridge(toy_plan("s * a + s * b + c", {"s": 2.0, "a": 3.0, "b": 1.0,
                                                                                      "c": 4.0}, 12.0,
                                                              tree=False)).parts}
    assert alone["c"] == pytest.approx(9 * math.log(4) / math.log(24), rel=1e-12)


def test_log_share_fallback_without_formulas() -> None:
    bridge = compute_bridge(chain_plan(2.0, 3.0, tree=False))
    assert bridge.method == "product chain" and "log-share" in bridge.note and "no formulas" in bridge.note
    got = {c.name: c.value for c in bridge.parts}
    assert got["a"] == pytest.approx(5.0 * math.log(2) / math.log(6), rel=1e-12)
    assert got["b"] == pytest.approx(5.0 * math.log(3) / math.log(6), rel=1e-12)


def test_formulas_that_disagree_with_the_plan_fall_back_and_say_so() -> None:
    plan = chain_plan(2.0, 3.0)
    plan.target.achieved = plan.target.required = 7.0  # edited by hand: a·b gives 6, not 7
    bridge = compute_bridge(plan)
    assert bridge.method == "product chain" and "no longer reproduce the plan" in bridge.note
    got = {c.name: c.value for c in bridge.parts}
    assert got == pytest.approx({"a": 6 * math.log(2) / math.log(6), "b": 6 * math.log(3) / math.log(6)}, rel=1e-12)
    assert "no longer reproduce the plan" in render_report(plan)  # the page says which split it shows


def test_bridge_bars_sum_exactly_to_the_change(plan: Plan) -> None:
    bridge = compute_bridge(plan)
    assert bridge.method == "tree"
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
    assert owners["外部因素"] == pytest.approx(got["months_on_sale"].value, rel=1e-12)  # the assumption that moved


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
    assert scale == 1e8 and meta["method"] == "tree"
    assert trace["y"][0] * scale == pytest.approx(plan.target.baseline, rel=1e-12)
    assert trace["y"][-1] * scale == pytest.approx(plan.target.achieved, rel=1e-12)
    assert math.fsum(trace["y"][:-1]) == pytest.approx(trace["y"][-1], rel=1e-12)
    assert trace["text"][1] == f"+{moved[0].value / 1e8:,.2f}亿"


def test_many_drivers_still_split_through_the_tree() -> None:
    # 30 levers, each 1 → 1.1, t = their product: equal ln u, so each gets 1/30 of the change
    n = 30
    plan = toy_plan(" * ".join(f"x{i}" for i in range(n)), {f"x{i}": 1.1 for i in range(n)}, 1.1**n)
    bridge = compute_bridge(plan)
    assert bridge.method == "tree"
    assert [c.value for c in bridge.parts] == pytest.approx([(1.1**n - 1) / n] * n, rel=1e-9)


def test_owner_table_shows_the_numbers_of_planner_allocate_by_owner(tmp_path: Path) -> None:
    from planner.optimise import solve
    from planner.report.html_values import fmt_signed_money
    from planner.scenario import load_scenario

    plan = solve(load_scenario(Path(__file__).parent.parent / "scenarios" / "telesales_500yi.yaml"))
    src = tmp_path / "plan.json"
    src.write_text(plan.to_json(), encoding="utf-8")
    res = CliRunner().invoke(main, ["allocate", str(src), "--by", "owner", "-o", str(tmp_path / "alloc.json")])
    assert res.exit_code == 0, res.output
    shares = {s["name"]: s["annual"] for s in json.loads((tmp_path / "alloc.json").read_text("utf-8"))["shares"]}
    res = CliRunner().invoke(main, ["report", str(src), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    table = re.search(r'<table id="owner-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    shown = dict(re.findall(r'<tr><td class="t">([^<]*)</td><td>([^<]*)</td>', table))
    assert shown == {n: fmt_signed_money(v, plan.unit) if v else "— (no direct effect)" for n, v in shares.items()}
    assert len([v for v in shares.values() if v > 0]) >= 3  # several owners really share the uplift
    # allocate hands out the required uplift (the bridge: the achieved one) in the same proportions, in whole 元
    t = plan.target
    scale = (t.required - t.baseline) / (t.achieved - t.baseline)
    owners = dict(by_owner(compute_bridge(load_plan(src))))
    assert {n: v * scale for n, v in owners.items()} == pytest.approx(shares, rel=0, abs=1.0)


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


# --- negative values and the shipped scenarios --------------------------------------------------

def test_loss_to_profit_reads_as_a_change_not_a_multiple() -> None:
    # profit = revenue − cost: −70万 last year, 0 this year; revenue is the only mover
    inputs = [InputResult("revenue", None, 1.0e6, 1.7e6, 1.7, math.log(1.7), "市场部", None),
              InputResult("cost", None, 1.7e6, 1.7e6, None, 0.0, None, None, kind="fixed")]
    tree = [{"name": "revenue", "dims": [], "formula": None, "kind": "lever"},
            {"name": "cost", "dims": [], "formula": None, "kind": "fixed"},
            {"name": "profit", "dims": [], "formula": "revenue - cost", "kind": "node"}]
    plan = Plan("base", Status.OPTIMAL, "min_effort", 0.53, 0.0, TargetResult("profit", -7e5, 0.0, 0.0),
                inputs=inputs, tree=tree, unit="元")
    nums = headline_numbers(plan)
    assert nums["multiple"] == "+70.00万"
    page = render_report(plan)
    assert '<div class="k">变化 Change</div><div class="v">+70.00万</div>' in page
    bridge = compute_bridge(plan)
    assert [(c.name, c.value) for c in bridge.parts] == [("revenue", pytest.approx(7e5, rel=1e-12))]
    assert "×-" not in page  # no negative "multiples" anywhere


@pytest.mark.parametrize("scenario", sorted(p.stem for p in (Path(__file__).parent.parent / "scenarios").glob("*.yaml")
                                            if "calibrate" not in p.stem))
def test_shipped_scenarios_render(scenario: str) -> None:
    from planner.optimise import solve_file

    path = Path(__file__).parent.parent / "scenarios" / f"{scenario}.yaml"
    plan = Plan.from_dict(json.loads(solve_file(path).to_json()))  # through the JSON contract
    page = render_report(plan)
    assert headline_numbers(plan)["target"] in page
    bridge = compute_bridge(plan)
    assert bridge.method == "tree"
    end = plan.target.achieved if plan.target.achieved is not None else plan.max_reachable
    assert math.fsum(c.value for c in bridge.parts) == pytest.approx(end - plan.target.baseline, rel=1e-12, abs=1e-6)
    assert f'<g class="box node root" data-name="{plan.target.node}"' in page
