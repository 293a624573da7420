"""planner compare: base, named what-ifs and extending files side by side, with numbers."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from whatif_chain import CAPS, greedy_effort, write_chain

from planner.cli import main
from planner.whatif.compare import compare


def test_compare_named_and_extending_file(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    other = tmp_path / "cheap_c.yaml"
    other.write_text("extends: chain.yaml\ninputs:\n  c: {effort: 0.5}\n", encoding="utf-8")
    c = compare([path, other], ["more_b"])
    assert c.labels == ["base", "more_b", "cheap_c"]
    summ = {s["scenario"]: s for s in c.summary()}
    assert summ["base"]["effort"] == pytest.approx(3 * math.log(2), rel=1e-5)
    assert summ["more_b"]["effort"] == pytest.approx(greedy_effort(4, caps={**CAPS, "b": (5.0, 2.0)}), rel=1e-5)
    # c at weight 0.5 becomes the cheapest: all of ln 4 from c (cap ln 4).
    assert summ["cheap_c"]["effort"] == pytest.approx(0.5 * math.log(4), rel=1e-5)
    assert summ["cheap_c"]["d_effort"] == pytest.approx(0.5 * math.log(4) - 3 * math.log(2), rel=1e-5)
    lev = {(r["lever"], r["scenario"]): r for r in c.levers()}
    assert lev[("c", "cheap_c")]["uplift"] == pytest.approx(4.0, rel=1e-5) and lev[("c", "cheap_c")]["differs"]
    assert not lev[("a", "more_b")]["differs"]  # a stays at its cap 2× in both


def test_cli_compare_table_marks_differences(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    r = CliRunner().invoke(main, ["compare", str(path), "--scenario", "more_b"])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("effort"))
    assert line.count("*") == 0  # more_b does not change effort: b is not at its cap at 4×
    b_line = next(x for x in r.stdout.splitlines() if x.strip().startswith("b uplift"))
    assert "+100.0%" in b_line


def test_cli_compare_json_csv_xlsx(tmp_path) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    path = write_chain(tmp_path)
    r = CliRunner().invoke(main, ["compare", str(path), "--all", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["base"] == "base" and [p["scenario"] for p in d["plans"]] == ["base", "more_b", "bad"]
    assert d["summary"][2]["status"] == "error" and "max_uplift" in d["summary"][2]["message"]
    r = CliRunner().invoke(main, ["compare", str(path), "-s", "more_b", "--format", "csv"])
    assert r.stdout.splitlines()[0] == "view,item,scenario,value,base,differs"
    out = tmp_path / "c.xlsx"
    r = CliRunner().invoke(main, ["compare", str(path), "-s", "more_b", "-o", str(out)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["summary", "uplift", "planned"]
    ws = wb["uplift"]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    assert rows["a"][1].value == pytest.approx(2.0, rel=1e-5)


@pytest.mark.parametrize("args,text", [([], "nothing to compare"), (["-s", "nope"], "nope"),
                                       (["missing.yaml"], "not found")])
def test_cli_compare_bad_inputs(tmp_path, args, text) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    out = tmp_path / "c.xlsx"
    r = CliRunner().invoke(main, ["compare", str(path), *args, "-o", str(out)])
    assert r.exit_code == 1, r.output
    assert text in r.output and "Traceback" not in r.output and not out.exists()
