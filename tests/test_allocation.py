"""Allocation to teams and owners: exact splits, log-share, sequential, cost centres, margin, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from phase_plans import DATA, make_plan

from planner.allocation import (
    allocate_owners,
    allocate_teams,
    load_allocation,
    read_owners,
    read_teams,
    with_periods,
)
from planner.cli import main
from planner.errors import InputError
from planner.phasing import phase_plan

TEAMS = Path(__file__).parents[1] / "scenarios" / "teams" / "telesales_teams.csv"
PURE = DATA / "pure_chain.yaml"
# customers ×2, conversion ×1.5, ticket ×1.2: sales 2000万 → 7200万 (multiple 3.6, no margin).
PURE_PLANNED = {"customers": 200000.0, "conversion": 0.03, "ticket": 12000.0}


@pytest.fixture(scope="module")
def plan():
    return make_plan()


@pytest.fixture(scope="module")
def pure():
    return make_plan(PURE, PURE_PLANNED)


def _by_name(alloc):
    return {s.name: s for s in alloc.shares}


@pytest.mark.parametrize("with_source", [True, False])
def test_log_share_on_a_product_chain(with_source: bool) -> None:
    plan = make_plan(PURE, PURE_PLANNED, source=with_source)
    alloc = allocate_owners(plan, "owner")
    uplift = 72_000_000 - 20_000_000
    logs = {"市场部": math.log(2), "运营部": math.log(1.5), "产品部": math.log(1.2)}
    shares = _by_name(alloc)
    for owner, ln in logs.items():
        assert abs(shares[owner].annual - uplift * ln / sum(logs.values())) <= 1.0
    assert sum(s.annual for s in alloc.shares) == uplift == alloc.total
    assert shares["技术部"].kind == ("cost_centre" if with_source else "owner")
    assert alloc.notes[0].startswith("attribution through the " + ("tree" if with_source else "product chain"))


def test_log_path_through_a_shared_lever_adds_up(plan) -> None:
    alloc = allocate_owners(plan, "owner")
    shares = _by_name(alloc)
    assert sum(s.annual for s in alloc.shares) == 7_920_000_000 - 2_400_000_000
    assert sum(s.commitment for s in alloc.shares) == 7_200_000_000 - 2_400_000_000
    # conversion ×2 is the biggest log-uplift: operations carries the biggest share.
    assert shares["运营部"].annual > shares["产品部"].annual > shares["市场部"].annual > 0
    assert shares["技术部"].kind == "cost_centre" and shares["技术部"].annual == 0
    assert shares["技术部"].cost_growth_cap == 0.10


def test_sequential_stages_and_declared_shares(pure) -> None:
    owners = {"sequence": ["市场部", "运营部", "产品部"], "shares": {"产品研发部": {"运营部": 0.5}},
              "cost_centres": {"技术部": {"cap": 0.05}}}
    shares = _by_name(allocate_owners(pure, "sequential", owners=owners))
    # 2000万: market ×2 → +2000万; then operations ×1.5 → +2000万, half to R&D; product ×1.2 → +1200万.
    assert shares["市场部"].annual == 20_000_000
    assert shares["运营部"].annual == 10_000_000 and shares["产品研发部"].annual == 10_000_000
    assert shares["产品部"].annual == 12_000_000
    assert shares["技术部"].kind == "cost_centre" and shares["技术部"].cost_growth_cap == 0.05
    other = _by_name(allocate_owners(pure, "sequential", owners={"sequence": ["产品部", "市场部"]}))
    assert other["产品部"].annual == 4_000_000  # first in line: 2000万 × 0.2


def test_margin_travels_to_owner_periods(plan) -> None:
    ph = phase_plan(plan, 2026, "month", ramp=3)
    alloc = allocate_owners(plan, "owner", phasing=ph)
    assert alloc.period_labels[0] == "2026-01"
    periods = np.array([s.periods for s in alloc.shares])
    commit = np.array([s.commitment_periods for s in alloc.shares])
    assert [sum(s.periods) for s in alloc.shares] == [s.annual for s in alloc.shares]
    assert [sum(s.commitment_periods) for s in alloc.shares] == [s.commitment for s in alloc.shares]
    assert periods.sum() == 5_520_000_000 and commit.sum() == 4_800_000_000
    # the owners' monthly uplift adds up to the phased target minus its phased baseline part
    target, base_part = np.array(ph.target.values), 2.4e9 * np.array(ph.periods["weight"]) / ph.periods["weight"].sum()
    assert np.all(np.abs(periods.sum(axis=0) - (target - base_part)) <= 2.0)
    ops = _by_name(alloc)["运营部"]
    assert [m["key"] for m in ops.metrics] == ["conversion[信托]", "conversion[保险]"]
    assert ops.metrics[0]["periods"][5] == pytest.approx(0.04)


def test_capacity_split_by_seats_and_level(plan) -> None:
    alloc = allocate_teams(plan, read_teams(TEAMS, "capacity"), "capacity")
    # capacity: 一组 12×42万 + 8×26万 = 712万; 二组 6×42万 + 14×26万 + 5×15万 = 691万; 三组 10×26万 + 20×15万 = 560万
    cap = {"一组": 7_120_000, "二组": 6_910_000, "三组": 5_600_000}
    shares = _by_name(alloc)
    for team, c in cap.items():
        assert abs(shares[team].annual - 7.92e9 * c / 19_630_000) <= 1.0
        assert abs(shares[team].commitment - 7.2e9 * c / 19_630_000) <= 1.0
    assert sum(s.annual for s in alloc.shares) == 7_920_000_000
    assert sum(s.commitment for s in alloc.shares) == 7_200_000_000
    assert shares["一组"].basis.startswith("A12席")


def test_share_split_and_team_by_week_table(plan) -> None:
    weeks = phase_plan(plan, 2026, "week", ramp=2, quantum=10_000)
    alloc = allocate_teams(plan, read_teams(TEAMS, "share"), "share", phasing=weeks)
    shares = _by_name(alloc)
    assert abs(shares["一组"].annual - 7.92e9 * 1850 / 4000) <= 10_000
    table = np.array([s.periods for s in alloc.shares])
    assert np.array_equal(table.sum(axis=0), np.array(weeks.target.values))  # every week adds up
    assert table.sum(axis=1).tolist() == [s.annual for s in alloc.shares]  # every team adds up
    assert np.all(table % 10_000 == 0)
    monthly = with_periods(alloc, phase_plan(plan, 2026, "month", quantum=10_000))
    assert len(monthly.period_labels) == 12 and sum(monthly.shares[0].periods) == alloc.shares[0].annual


@pytest.mark.parametrize(("content", "method", "match", "where"), [
    ("team,seats\n一组,10\n", "capacity", "missing column 'per_seat'", "column per_seat"),
    ("team,seats,per_seat\n一组,ten,5\n", "capacity", "row 2: 'ten'", "column seats"),
    ("team,seats,per_seat\n一组,10,5\n二组,-3,5\n", "capacity", "row 3: '-3'", "column seats"),
    ("team,last_year\n一组,\n", "share", "needs non-negative numbers", "column last_year"),
])
def test_bad_teams_files(tmp_path: Path, content: str, method: str, match: str, where: str) -> None:
    path = tmp_path / "teams.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match) as err:
        read_teams(path, method)
    assert err.value.file == str(path) and err.value.where == where and err.value.hint


def test_zero_capacity_and_bad_owner_files(plan, tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    path.write_text("team,seats,per_seat\n一组,0,5\n", encoding="utf-8")
    with pytest.raises(InputError, match="adds up to zero"):
        allocate_teams(plan, read_teams(path, "capacity"), "capacity")
    owners = tmp_path / "owners.yaml"
    owners.write_text("shares: {产品研发部: {运营部: 1.5}}\n", encoding="utf-8")
    with pytest.raises(InputError, match="between 0 and 1"):
        read_owners(owners)
    owners.write_text("sequense: [市场部]\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key 'sequense'"):
        read_owners(owners)
    with pytest.raises(InputError, match="owns nothing that moved"):
        allocate_owners(plan, "owner", owners={"shares": {"研发": {"人事部": 0.5}}})


def test_a_changed_scenario_is_refused(tmp_path: Path) -> None:
    changed = tmp_path / "pure.yaml"
    changed.write_text(PURE.read_text(encoding="utf-8").replace("baseline: 0.02", "baseline: 0.025"),
                       encoding="utf-8")
    plan = make_plan(PURE, PURE_PLANNED)
    plan.source = str(changed)
    with pytest.raises(InputError, match="changed after the plan was solved"):
        allocate_owners(plan)


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def files(plan, tmp_path: Path) -> dict[str, Path]:
    p = tmp_path / "plan.json"
    p.write_text(plan.to_json(), encoding="utf-8")
    ph = tmp_path / "phase.json"
    ph.write_text(phase_plan(plan, 2026, "month", ramp=3).to_json(), encoding="utf-8")
    return {"plan": p, "phase": ph, "dir": tmp_path}


def test_cli_allocate_teams_and_owners(files: dict[str, Path]) -> None:
    runner = CliRunner()
    out = files["dir"] / "alloc.json"
    res = runner.invoke(main, ["allocate", str(files["plan"]), "--by", "capacity", "--teams", str(TEAMS),
                               "--phase", str(files["phase"]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    alloc = load_allocation(out)
    assert alloc.method == "capacity" and alloc.total == 7_920_000_000 and len(alloc.period_labels) == 12
    owners = files["dir"] / "owners.yaml"
    owners.write_text("sequence: [市场部, 运营部]\nshares: {产品研发部: {运营部: 0.5}}\n", encoding="utf-8")
    res = runner.invoke(main, ["allocate", str(files["plan"]), "--by", "sequential", "--owners", str(owners),
                               "-o", str(files["dir"] / "seq.csv")])
    assert res.exit_code == 0, res.output
    import pandas as pd

    frame = pd.read_csv(files["dir"] / "seq.csv")
    assert frame["value"].sum() == 5_520_000_000 and "产品研发部" in set(frame["name"])
    res = runner.invoke(main, ["allocate", str(files["plan"])])
    assert res.exit_code == 0 and "运营部" in res.output and "成本中心" in res.output
    assert json.loads(out.read_text(encoding="utf-8"))["margin"] == 0.1


def test_cli_allocate_bad_inputs(files: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "a.json"
    res = runner.invoke(main, ["allocate", str(files["plan"]), "--by", "capacity", "-o", str(out)])
    assert res.exit_code == 1 and "--teams: --by capacity needs a teams file" in res.output
    bad = tmp_path / "t.csv"
    bad.write_text("team,seats,per_seat\n一组,x,1\n", encoding="utf-8")
    res = runner.invoke(main, ["allocate", str(files["plan"]), "--by", "capacity", "--teams", str(bad), "-o", str(out)])
    assert res.exit_code == 1 and f"{bad}: column seats" in res.output and "Hint:" in res.output
    other = tmp_path / "other.json"
    other.write_text(phase_plan(make_plan(PURE, PURE_PLANNED), 2026).to_json(), encoding="utf-8")
    res = runner.invoke(main, ["allocate", str(files["plan"]), "--by", "share", "--teams", str(TEAMS),
                               "--phase", str(other), "-o", str(out)])
    assert res.exit_code == 1 and "does not match" in res.output
    assert "Traceback" not in res.output and not out.exists()
