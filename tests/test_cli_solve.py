"""`planner solve` through click's CliRunner: formats, output files, exit codes 0/1/3/4."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from planner.backends.base import Backend, Solution, SolveStatus
from planner.cli import main

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_solve_table_shows_target_and_levers():
    r = invoke("solve", str(SCEN / "telesales_500yi.yaml"))
    assert r.exit_code == 0, r.output
    assert "500.00亿" in r.output and "new_customers" in r.output and "optimal" in r.output


def test_solve_json_contract(tmp_path):
    out = tmp_path / "plan.json"
    r = invoke("solve", str(SCEN / "ad_sales_department.yaml"), "--format", "json", "-o", str(out))
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert {"scenario", "status", "objective", "effort", "cost", "target", "inputs", "nodes", "constraints",
            "max_reachable", "needs", "solver"} <= set(d)
    assert d["target"]["achieved"] >= d["target"]["required"] * (1 - 1e-6)
    lever = next(i for i in d["inputs"] if i["kind"] == "lever")
    assert {"name", "label", "baseline", "planned", "uplift", "effort", "owner", "bound"} <= set(lever)
    assert lever["uplift"] == lever["planned"] / lever["baseline"]
    assert {"name", "lhs", "rhs", "binding"} <= set(d["constraints"][0])
    assert set(d["solver"]) >= {"name", "seconds", "gap"}


def test_unreachable_exit_3_with_needs(tmp_path):
    r = invoke("solve", str(SCEN / "telesales_500yi.yaml"), "-s", "目标600亿", "--format", "json")
    assert r.exit_code == 0  # 600亿 is reachable; 5000亿 is not:
    f = tmp_path / "s.yaml"
    f.write_text((SCEN / "telesales_500yi.yaml").read_text(encoding="utf-8").replace(
        "at_least: 50000000000", "at_least: 500000000000"), encoding="utf-8")
    r = invoke("solve", str(f), "--format", "json")
    assert r.exit_code == 3
    d = json.loads(r.output)
    assert d["status"] == "infeasible" and d["max_reachable"] > 0 and d["needs"]
    assert all({"what", "from", "to"} <= set(n) for n in d["needs"])


class _Broken(Backend):
    name = "broken"

    def solve(self, program, **kw):  # noqa: ANN001, ANN003, ANN201
        return Solution(SolveStatus.NO_SOLUTION, None, None)


def test_solver_failure_exit_4(monkeypatch, tmp_path):
    monkeypatch.setattr("planner.optimise.pipeline.get_backend", lambda name: _Broken())
    out = tmp_path / "plan.json"
    r = invoke("solve", str(SCEN / "paid_membership.yaml"), "-o", str(out))
    assert r.exit_code == 4, r.output
    assert "Traceback" not in r.output and not out.exists()


def test_csv_has_one_row_per_input_and_node():
    r = invoke("solve", str(SCEN / "paid_membership.yaml"), "--format", "csv")
    assert r.exit_code == 0
    rows = r.output.strip().splitlines()
    assert rows[0].startswith("scenario,status,kind")
    assert sum(1 for x in rows if ",lever," in x) == 10 + 5 + 1  # conversion, traffic_mix, staff
    assert np.isfinite(float(rows[1].split(",")[6]))
