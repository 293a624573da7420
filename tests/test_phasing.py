"""Phasing: working days × seasonality × ramp, exact period sums, margin, the `planner phase` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from phase_plans import CHAIN, DATA, make_plan

from planner.calendar import working_days
from planner.cli import main
from planner.errors import InputError
from planner.phasing import (
    Phasing,
    load_phasing,
    period_weights,
    phase_matrix,
    phase_plan,
    ramp_factor,
    read_seasonality,
)
from planner.result import Status

CN_2026 = [21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]  # hand-derived in test_calendar.py
SEASON = [1.3, 0.7, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 0.8, 1.1, 1.2]  # tests/data/chain.yaml


@pytest.fixture(scope="module")
def plan():
    return make_plan()


def test_flat_phasing_follows_working_days(plan) -> None:
    ph = phase_plan(plan, 2026, "month")
    t = ph.target
    assert t.planned == 7_920_000_000  # 3 × 24亿 × 1.1 margin, rounded to whole 元
    expected = np.array(CN_2026) / 248 * 7.92e9
    assert np.all(np.abs(np.array(t.values) - expected) <= 1.0)
    assert sum(t.values) == 7_920_000_000
    assert t.cumulative[-1] == 7_920_000_000 and t.cumulative[1] == t.values[0] + t.values[1]
    assert t.values[1] < t.values[0]  # February (Spring Festival, 16 days) < January (21)


def test_seasonality_from_the_scenario_weights_each_month(plan) -> None:
    season, source = read_seasonality(None, plan)
    assert season.tolist() == SEASON and str(CHAIN) in source
    t = phase_plan(plan, 2026, "month", seasonality=season).target
    w = np.array(CN_2026) * np.array(SEASON)
    assert np.all(np.abs(np.array(t.values) - w / w.sum() * 7.92e9) <= 1.0)
    assert sum(t.values) == 7_920_000_000


def test_margin_commitment_and_stretch_are_both_phased(plan) -> None:
    t = phase_plan(plan, 2026, "month", ramp=3).target
    assert t.commitment == 7_200_000_000 and t.planned == 7_920_000_000
    assert sum(t.commitment_values) == 7_200_000_000 and t.commitment_cumulative[-1] == 7_200_000_000
    assert all(s > c for s, c in zip(t.values, t.commitment_values, strict=True))


def test_ramp_moves_the_uplift_later_and_keeps_the_total(plan) -> None:
    flat = phase_plan(plan, 2026, "month").target.values
    ramped = phase_plan(plan, 2026, "month", ramp=6).target.values
    assert sum(ramped) == sum(flat) == 7_920_000_000
    assert ramped[0] < flat[0] and ramped[-1] > flat[-1]
    # Baseline part follows the calendar, uplift (5.52e9) the ramped calendar: January by hand.
    days = working_days(2026)
    g = ramp_factor(days, 6)
    jan = days.month == 1
    share = 21 / 248
    ramp_share = (days.workday * g)[jan].sum() / (days.workday * g).sum()
    assert abs(ramped[0] - (2.4e9 * share + 5.52e9 * ramp_share)) <= 1.0


def test_ramp_factor_is_linear_over_n_months() -> None:
    days = working_days(2026)
    g = ramp_factor(days, 2)
    assert g[0] == pytest.approx(0.5 / 31 / 2)  # mid 1 January
    assert g[31 + 13] == pytest.approx((1 + 13.5 / 28) / 2)  # 14 February
    assert np.all(g[59:] == 1.0)  # from 1 March on
    assert np.all(ramp_factor(days, 0) == 1.0)


def test_levers_that_are_rates_are_phased_as_levels(plan) -> None:
    ph = phase_plan(plan, 2026, "month", ramp=3)
    conv = ph.get("conversion[信托]")
    assert conv.kind == "level" and conv.cumulative is None
    assert 0.02 < conv.values[0] < conv.values[1] < conv.values[2] < 0.04
    assert conv.values[3:] == [pytest.approx(0.04)] * 9  # full rate once the 3-month ramp is over


def test_every_flow_node_and_input_is_phased_exactly(plan) -> None:
    ph = phase_plan(plan, 2026, "week", ramp=2)
    keys = {s.key for s in ph.series}
    assert {"total_sales", "sales[信托]", "sales[保险]", "reachable", "new_customers", "stock"} <= keys
    assert "total_sales" in keys and [s.key for s in ph.series].count("total_sales") == 1
    for s in ph.series:
        if s.cumulative is not None:
            assert sum(s.values) == s.planned
    assert len(ph.periods) == 53
    spring = ph.periods["period"].tolist().index("2026-W08")
    assert ph.target.values[spring] == 0  # no working day in the Spring Festival week


def test_rounding_to_wan_gives_whole_wan(plan) -> None:
    ph = phase_plan(plan, 2026, "week", quantum=10_000)
    assert all(v % 10_000 == 0 for v in ph.target.values)
    assert sum(ph.target.values) == 7_920_000_000
    sales = ph.get("sales[信托]")  # money the target adds up: whole 万 too
    assert sales.quantum == 10_000 and all(v % 10_000 == 0 for v in sales.values)
    reach = ph.get("reachable")  # customers: whole customers, not whole 万 customers
    assert reach.quantum == 1 and sum(reach.values) == 120_000 and any(v % 10_000 for v in reach.values)


def test_phase_matrix_many_series_sum_exactly() -> None:
    w = period_weights(working_days(2026), "week", np.array(SEASON), ramp=4)
    rng = np.random.default_rng(1)
    base = rng.uniform(1e3, 1e9, 500)
    planned = base * rng.uniform(0.5, 5, 500)
    units = phase_matrix(base, planned, w)
    assert units.shape == (500, 53)
    assert np.array_equal(units.sum(axis=1), np.rint(planned).astype(np.int64))


def test_phasing_json_round_trip(plan, tmp_path: Path) -> None:
    ph = phase_plan(plan, 2026, "month", ramp=3, quantum=100)
    (tmp_path / "p.json").write_text(ph.to_json(), encoding="utf-8")
    back = load_phasing(tmp_path / "p.json")
    assert back.target.values == ph.target.values and back.quantum == 100
    assert back.periods["working_days"].tolist() == CN_2026
    assert back.to_dict() == ph.to_dict()


@pytest.mark.parametrize(("spec", "jan", "feb"), [("1=2,2=0.5", 2.0, 0.5), ("none", 1.0, 1.0)])
def test_seasonality_given_inline(plan, spec: str, jan: float, feb: float) -> None:
    season, _ = read_seasonality(spec, plan)
    assert (season[0] if season is not None else 1.0) == jan
    assert (season[1] if season is not None else 1.0) == feb


def test_seasonality_files(plan, tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("month,index\n1,1.5\n12,0.5\n", encoding="utf-8")
    season, _ = read_seasonality(str(tmp_path / "s.csv"), plan)
    assert season[0] == 1.5 and season[11] == 0.5 and season[5] == 1.0
    (tmp_path / "s.yaml").write_text("seasonality:\n  monthly: {3: 0.25}\n", encoding="utf-8")
    assert read_seasonality(str(tmp_path / "s.yaml"), plan)[0][2] == 0.25


@pytest.mark.parametrize(("content", "match"), [
    ("month,index\n13,1.0\n", "bad seasonality entry 13"),
    ("month,index\n1,-2\n", "bad seasonality entry 1"),
    ("month,index\n1,high\n", "bad seasonality entry 1"),
    ("mon,idx\n1,1.0\n", "needs columns"),
])
def test_bad_seasonality_files(plan, tmp_path: Path, content: str, match: str) -> None:
    (tmp_path / "s.csv").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match) as err:
        read_seasonality(str(tmp_path / "s.csv"), plan)
    assert err.value.file == str(tmp_path / "s.csv")


def test_scenario_seasonality_required_when_asked() -> None:
    bare = make_plan(DATA / "pure_chain.yaml", {"customers": 200000.0})
    assert read_seasonality(None, bare) == (None, "flat")
    with pytest.raises(InputError, match="no monthly seasonality"):
        read_seasonality("scenario", bare)


def test_an_infeasible_plan_cannot_be_phased(plan) -> None:
    bad = make_plan()
    bad.status = Status.INFEASIBLE
    with pytest.raises(InputError, match="nothing to phase"):
        phase_plan(bad, 2026)


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def plan_file(plan, tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json(), encoding="utf-8")
    return path


def test_cli_phase_json_csv_and_table(plan_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "phase.json"
    res = runner.invoke(main, ["phase", str(plan_file), "--year", "2026", "--ramp", "3", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["seasonality"]["1"] == 1.3 and data["margin"] == 0.1
    assert sum(Phasing.from_dict(data).target.values) == 7_920_000_000
    res = runner.invoke(main, ["phase", str(plan_file), "--year", "2026", "--by", "week", "--seasonality", "none",
                               "-o", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    import pandas as pd

    frame = pd.read_csv(tmp_path / "p.csv")
    target = frame[frame["kind"] == "target"]
    assert len(target) == 53 and target["value"].sum() == 7_920_000_000
    res = runner.invoke(main, ["phase", str(plan_file), "--year", "2026"])
    assert res.exit_code == 0 and "2026-02" in res.output and "79.20亿" in res.output


@pytest.mark.parametrize(("args", "match"), [
    (["--country", "XX"], "--country: no holiday calendar"),
    (["--seasonality", "nosuch.csv"], "--seasonality: no such file"),
    (["--ramp", "-1"], "ramp must be between"),
    (["--round", "0"], "quantum must be positive"),
    (["-o", "OUT.txt"], "--output: cannot write .txt"),
])
def test_cli_phase_bad_options(plan_file: Path, tmp_path: Path, args: list[str], match: str) -> None:
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    res = CliRunner().invoke(main, ["phase", str(plan_file), "--year", "2026", *args, "-o", str(tmp_path / "o.json")]
                             if "-o" not in args else ["phase", str(plan_file), "--year", "2026", *args])
    assert res.exit_code == 1, res.output
    assert match in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "out.txt").exists()


def test_cli_phase_bad_plan_files(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["phase", str(tmp_path / "missing.json"), "--year", "2026"])
    assert res.exit_code == 1 and "missing.json: file not found" in res.output
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    res = runner.invoke(main, ["phase", str(tmp_path / "bad.json"), "--year", "2026", "-o", str(tmp_path / "o.json")])
    assert res.exit_code == 1 and "bad.json: not valid JSON" in res.output and "Hint:" in res.output
    assert not (tmp_path / "o.json").exists()
    res = runner.invoke(main, ["phase", str(tmp_path / "bad.json"), "--year", "2026", "--by", "quarter"])
    assert res.exit_code == 2  # click's usage error


def test_whole_month_index_is_not_counted_twice(plan, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("seasonality:\n  per_workday: false\n  monthly: {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, "
                    "8: 1, 9: 1, 10: 1, 11: 1, 12: 1}\n", encoding="utf-8")
    season, source = read_seasonality(str(path), plan, 2026)
    assert "÷ working days" in source
    values = phase_plan(plan, 2026, "month", seasonality=season).target.values
    assert all(abs(v - 660_000_000) <= 1 for v in values)  # equal months despite 16 days in February


def test_a_calibrate_recipe_without_an_index_means_flat(tmp_path: Path) -> None:
    text = (DATA / "chain.yaml").read_text(encoding="utf-8")
    head = text[:text.index("seasonality:")]
    path = tmp_path / "s.yaml"
    path.write_text(head + "seasonality:\n  history: {source: sales.csv, value: amount, date: day}\n"
                    "  per_workday: true\n", encoding="utf-8")
    bare = make_plan(path)
    assert read_seasonality(None, bare) == (None, "flat")
    with pytest.raises(InputError, match="has no `monthly:` index yet"):
        read_seasonality("scenario", bare)
