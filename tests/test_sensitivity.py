"""Sensitivity on a pure product chain: tornado swings, shadow price and frontier derived by hand."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from whatif_chain import CAPS, CHAIN, greedy_effort, write_chain

from planner.cli import main
from planner.scenario import load_scenario, read_yaml
from planner.whatif.sensitivity import Sensitivity

CHAIN_30 = CHAIN.replace("multiple: 4", "multiple: 30")  # beyond the max reachable 2·3·4 = 24


@pytest.fixture(scope="module")
def sens(tmp_path_factory):  # noqa: ANN001, ANN201
    path = write_chain(tmp_path_factory.mktemp("chain"))
    return Sensitivity(load_scenario(path), read_yaml(path))


def test_base_is_the_greedy_optimum(sens) -> None:  # noqa: ANN001
    assert sens.base.effort == pytest.approx(3 * math.log(2), rel=1e-5)  # a full (ln 2), b gives ln 2 at weight 2


def test_tornado_swings_match_hand_derivation(sens) -> None:  # noqa: ANN001
    rows = {r.name: r for r in sens.tornado(0.10)}
    f = rows["f.assume"]
    assert f.low == pytest.approx(greedy_effort(4, f=0.9), rel=1e-5)
    assert f.high == pytest.approx(greedy_effort(4, f=1.1), rel=1e-5)
    a = rows["a.max_uplift"]  # a binds: its cap moves effort by (2 − 1)·ln(1.1) either way
    assert a.low == pytest.approx(greedy_effort(4, caps={**CAPS, "a": (1.8, 1.0)}), rel=1e-5)
    assert a.high == pytest.approx(greedy_effort(4, caps={**CAPS, "a": (2.2, 1.0)}), rel=1e-5)
    assert rows["c.max_uplift"].swing == pytest.approx(0.0, abs=1e-7)  # c is never used at 4×
    ordered = [r.swing for r in sens.tornado(0.10)]
    assert ordered == sorted(ordered, reverse=True)
    assert list(rows)[0] == "f.assume"  # f moves the need itself: the largest swing


def test_shadow_price_of_binding_cap(sens) -> None:  # noqa: ANN001
    prices = {p.what: p for p in sens.shadow_prices()}
    assert set(prices) == {"a.max_uplift"}  # b and c are not at their caps
    p = prices["a.max_uplift"]
    assert p.step == 0.1
    assert p.delta == pytest.approx(-(2.0 - 1.0) * math.log(2.1 / 2.0), rel=1e-4)
    assert "saves" in p.sentence and "a.max_uplift" in p.sentence


def test_frontier_is_greedy_fill(sens) -> None:  # noqa: ANN001
    pts = sens.frontier(upto=15, points=15)
    assert [round(p.multiple, 6) for p in pts] == [float(m) for m in range(1, 16)]
    for p in pts:
        assert p.effort == pytest.approx(greedy_effort(p.multiple), rel=1e-4, abs=1e-6)
    # a enters first and hits its cap at 2×; b enters after it; c only beyond 6×.
    assert "enters: a" in pts[1].events and "a (max_uplift)" in pts[1].events
    assert "b" in pts[2].events and "c" not in pts[2].events
    assert "enters: c" in pts[6].events


def test_frontier_stops_at_max_reachable(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    s = Sensitivity(load_scenario(path), read_yaml(path))
    pts = s.frontier(upto=40, points=5)
    assert [p.multiple for p in pts] == pytest.approx([1.0, 6.75, 12.5, 18.25, 24.0], rel=1e-5)  # to 2·3·4
    assert all(p.effort == pytest.approx(greedy_effort(p.multiple), rel=1e-4, abs=1e-6) for p in pts)


def test_cli_sensitivity_json_and_charts(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    tor, fr = tmp_path / "t.png", tmp_path / "f.svg"
    r = CliRunner().invoke(main, ["sensitivity", str(path), "--format", "json", "--samples", "2000",
                                  "--tornado-chart", str(tor), "--frontier-chart", str(fr), "--points", "4"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["metric"] == "effort"
    assert d["tornado"][0]["name"] == "f.assume"
    assert d["shadow_prices"][0]["what"] == "a.max_uplift"
    assert 0 < d["uncertainty"]["p_hit"] < 1
    assert tor.read_bytes()[:4] == b"\x89PNG" and fr.read_text().lstrip().startswith("<?xml")


def test_cli_sensitivity_table_and_xlsx(tmp_path) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    path = write_chain(tmp_path)
    r = CliRunner().invoke(main, ["sensitivity", str(path), "--only", "tornado", "--only", "shadow"])
    assert r.exit_code == 0, r.output
    assert "MILP duals are not" in r.stdout and "a.max_uplift" in r.stdout
    out = tmp_path / "s.xlsx"
    r = CliRunner().invoke(main, ["sensitivity", str(path), "--only", "frontier", "--points", "3", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert load_workbook(out).sheetnames == ["frontier"]


@pytest.mark.parametrize("args,where", [(["--pct", "1.5"], "--pct"), (["--tornado-chart", "x.pdf"], "x.pdf"),
                                        (["--samples", "5"], "--samples")])
def test_cli_sensitivity_bad_options(tmp_path, args, where) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    r = CliRunner().invoke(main, ["sensitivity", str(path), *args])
    assert r.exit_code == 1
    assert where in r.output and "Traceback" not in r.output


def test_cli_sensitivity_bad_file(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ninputs: {a: {baseline: 1}}\nnodes: {t: a * zz}\ntarget: {node: t, multiple: 2}\n",
                    encoding="utf-8")
    r = CliRunner().invoke(main, ["sensitivity", str(path)])
    assert r.exit_code == 1 and "zz" in r.output and "Hint" in r.output


def test_charts_draw_unreachable_sides_and_refuse_other_formats(tmp_path) -> None:  # noqa: ANN001
    from planner.errors import InputError
    from planner.report.charts import frontier_chart, tornado_chart

    rows = [{"name": "售后[信托].assume", "base": 3.0, "low": None, "high": 2.5},
            {"name": "b.max", "base": 3.0, "low": 3.4, "high": 2.9}]
    tornado_chart(rows, tmp_path / "t.svg")
    svg = (tmp_path / "t.svg").read_text(encoding="utf-8")
    assert "unreachable" in svg
    frontier_chart([{"multiple": None, "target": -5.0, "effort": 0.0, "events": ""},
                    {"multiple": None, "target": 5.0, "effort": 1.0, "events": "enters: a"}], tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    with pytest.raises(InputError, match="png or .svg"):
        tornado_chart(rows, tmp_path / "t.pdf")
    assert not (tmp_path / "t.pdf").exists()


def test_unreachable_base_prices_the_reach(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path, CHAIN_30)
    s = Sensitivity(load_scenario(path), read_yaml(path))
    assert s.metric == "max_reachable" and s.base.max_reachable == pytest.approx(24.0, rel=1e-6)
    prices = {p.what: p for p in s.shadow_prices()}
    # Every cap binds at the max; 0.1 more on a's cap reaches 2.1·3·4 = 25.2, i.e. +1.2.
    assert prices["a.max_uplift"].delta == pytest.approx(1.2, rel=1e-5)
    assert prices["c.max_uplift"].delta == pytest.approx(2 * 3 * 0.1, rel=1e-5)
    assert "raises the reachable target by" in prices["a.max_uplift"].sentence
    rows = {r.name: r for r in s.tornado(0.10)}
    assert rows["f.assume"].low == pytest.approx(24 * 0.9, rel=1e-6)
    assert rows["f.assume"].high == pytest.approx(24 * 1.1, rel=1e-6)  # 26.4: still short of 30
    near = Sensitivity(load_scenario(write_chain(tmp_path, CHAIN.replace("multiple: 4", "multiple: 25"))),
                       read_yaml(path))
    flip = {r.name: r for r in near.tornado(0.10)}["f.assume"]
    assert flip.high is None and "makes the target reachable" in flip.high_note and flip.swing == math.inf
