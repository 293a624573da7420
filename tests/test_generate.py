"""The benchmark generator (benchmarks/generate.py): deterministic, valid, solvable."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

# benchmarks/ is a folder of scripts beside the package, not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.anchors import solve_slsqp  # noqa: E402
from benchmarks.generate import generate, instance_name  # noqa: E402
from planner.compile.signomial import compile_signomial  # noqa: E402
from planner.optimise import SolveOptions, solve  # noqa: E402
from planner.optimise.search import effort_of  # noqa: E402
from planner.optimise.verify import baseline_results, check  # noqa: E402
from planner.scenario import scenario_from_dict  # noqa: E402
from planner.tree.graph import build_model  # noqa: E402


def _built(P: int, K: float, seed: int):  # noqa: ANN202
    model = build_model(scenario_from_dict(generate(P, K, seed)))
    return model, compile_signomial(model)


def test_same_seed_same_instance_other_seed_other_instance():
    assert generate(10, 5, 3) == generate(10, 5, 3)
    a, b = generate(10, 5, 3), generate(10, 5, 4)
    assert a["inputs"]["ticket"]["baseline"] != b["inputs"]["ticket"]["baseline"]


def test_target_multiple_changes_only_the_target():
    a, b = generate(30, 2, 1), generate(30, 10, 1)
    assert a["target"] == {"node": "total_sales", "multiple": 2.0}
    assert b["target"]["multiple"] == 10.0
    for key in ("inputs", "nodes", "constraints", "budget", "dimensions"):
        assert a[key] == b[key]


@pytest.mark.parametrize("P", [1, 3, 7, 30])
def test_instances_build_with_the_promised_levers_and_rows(P):
    model, sig = _built(P, 5, 0)
    groups = min(5, P)
    # 4 per product, 2 shared, channel reach and seats per group.
    assert len(sig.levers) == 4 * P + 2 + 2 * groups
    assert sum(lv.integer for lv in sig.levers) == groups
    assert len(sig.target.terms) == P  # one product of levers per product
    assert [r.name for r in sig.constraints] == ["team_capacity"] * groups
    assert sig.cost is not None and sig.cost_cap > 0
    # Every product belongs to exactly one group.
    member = model.inputs["member"].baseline
    assert member.shape == (groups, P)
    assert np.all(member.sum(axis=0) == 1) and np.all(member.sum(axis=1) >= 1)


def test_baseline_is_feasible_with_spare_capacity():
    model, sig = _built(10, 2, 5)
    chk = check(model, sig, np.zeros(len(sig.levers)), None)
    for row in chk.constraints:
        assert 0.75 * row.rhs * 0.999 <= row.lhs <= 0.9 * row.rhs * 1.001  # teams at 75–90% of capacity
    assert chk.achieved == pytest.approx(float(baseline_results(model)["total_sales"]))


def test_ten_times_is_within_the_caps():
    """Sales per product multiply seven levers; the caps leave room far beyond 10× before capacity."""
    _, sig = _built(30, 10, 2)
    xhi = np.array([lv.xhi for lv in sig.levers])
    assert sig.target.value(xhi) > 10 * sig.target.value(np.zeros_like(xhi))


def test_yaml_round_trip_and_chinese_labels():
    raw = generate(3, 2, 0)
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    assert "产品001" in text and "渠道1" in text
    again = yaml.safe_load(text)
    assert again == raw
    scenario_from_dict(again)


def test_instance_name():
    assert instance_name(300, 10.0, 2) == "P300_K10_s2"


def test_tiny_instance_solves_and_verifies():
    raw = generate(3, 2, 0)
    sc = scenario_from_dict(raw)
    plan = solve(sc, SolveOptions(needs=False))
    assert plan.status == "optimal"
    model = build_model(sc)
    sig = compile_signomial(model)
    planned = {(i.name, tuple((i.labels or {}).values())): i.planned for i in plan.inputs if i.kind == "lever"}
    x = np.array([math.log(planned[(lv.name, lv.label)] / lv.baseline) for lv in sig.levers])
    required = 2 * float(baseline_results(model)["total_sales"])
    chk = check(model, sig, x, required)
    assert chk.achieved >= required * (1 - 1e-6)
    assert plan.effort == pytest.approx(float(effort_of(sig, x).sum()), rel=1e-9)
    # No worse than the spreadsheet-style local solver (issue #2 §10: within 1% of the best known plan).
    local = solve_slsqp(sig, required, time_limit=60)
    check(model, sig, local.x, required)
    assert 0 < plan.effort <= local.effort * 1.01
    seats = [i for i in plan.inputs if i.name == "seats"]
    assert all(float(s.planned).is_integer() for s in seats)
