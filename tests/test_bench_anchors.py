"""The benchmark's anchors (benchmarks/anchors.py) on reference problems with hand-derived optima."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

# benchmarks/ is a folder of scripts beside the package, not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.anchors import solve_scip, solve_slsqp  # noqa: E402
from planner.compile.signomial import compile_signomial  # noqa: E402
from planner.optimise.verify import check  # noqa: E402
from planner.scenario import scenario_from_dict  # noqa: E402
from planner.tree.graph import build_model  # noqa: E402


def _chain(multiple: float) -> dict:
    """sales = a · b · c: weights 1, 2, 3; caps 1.5×, 2×, 3×. Greedy fill by weight is optimal."""
    return {
        "inputs": {
            "a": {"baseline": 10.0, "max_uplift": 1.5, "effort": 1.0},
            "b": {"baseline": 0.02, "max_uplift": 2.0, "effort": 2.0},
            "c": {"baseline": 5e6, "max_uplift": 3.0, "effort": 3.0},
        },
        "nodes": {"sales": "a * b * c"},
        "target": {"node": "sales", "multiple": multiple},
    }


def _seats(multiple: float) -> dict:
    """sales = buyers · price with buyers ≤ 10 · seats (integer), seats cost against a budget."""
    return {
        "inputs": {
            "buyers": {"baseline": 95.0, "max_uplift": 3.0, "effort": 1.0},
            "price": {"baseline": 100.0, "max_uplift": 1.2, "effort": 5.0},
            "seats": {"baseline": 10, "max": 40, "integer": True, "effort": 0.0, "cost": 1.0},
        },
        "nodes": {"sales": "buyers * price"},
        "constraints": {"capacity": "buyers <= seats * 10"},
        "budget": {"cost": 5},
        "target": {"node": "sales", "multiple": multiple},
    }


def _setup(raw: dict, multiple: float):  # noqa: ANN202
    model = build_model(scenario_from_dict(raw))
    sig = compile_signomial(model)
    required = multiple * sig.target.value(np.zeros(len(sig.levers)))
    return model, sig, required


# 4×: a to its cap (1.5× at weight 1), b to its cap (2× at weight 2), c (weight 3) the rest: 4 / 3.
CHAIN_OPT = math.log(1.5) + 2 * math.log(2.0) + 3 * math.log(4 / 3)
# The budget buys 5 seats: buyers ≤ 150 → ×150/95 at weight 1, then price (weight 5) ×1.8/(150/95) ≤ 1.2.
SEATS_MULT = 1.8
SEATS_OPT = math.log(150 / 95) + 5 * math.log(SEATS_MULT / (150 / 95))


def test_slsqp_finds_the_greedy_optimum_of_a_chain():
    model, sig, req = _setup(_chain(4), 4)
    res = solve_slsqp(sig, req, time_limit=60)
    assert res.effort == pytest.approx(CHAIN_OPT, rel=1e-4)
    check(model, sig, res.x, req)


def test_slsqp_rounds_seats_up_and_reports_the_rounded_plan():
    model, sig, req = _setup(_seats(SEATS_MULT), SEATS_MULT)
    res = solve_slsqp(sig, req, time_limit=60)
    seats = 10 * math.exp(res.x[2])
    assert seats == pytest.approx(round(seats), abs=1e-9)
    assert res.effort == pytest.approx(SEATS_OPT, rel=1e-3)
    check(model, sig, res.x, req)


def test_scip_certifies_the_chain_optimum():
    pytest.importorskip("pyscipopt")
    model, sig, req = _setup(_chain(4), 4)
    res = solve_scip(sig, req, time_limit=60)
    assert res.status == "optimal"
    assert res.effort == pytest.approx(CHAIN_OPT, rel=1e-5)
    assert res.bound == pytest.approx(CHAIN_OPT, rel=1e-4)
    check(model, sig, res.x, req)


def test_scip_keeps_seats_integer_and_respects_the_budget():
    pytest.importorskip("pyscipopt")
    model, sig, req = _setup(_seats(SEATS_MULT), SEATS_MULT)
    res = solve_scip(sig, req, time_limit=60)
    assert res.status == "optimal"
    assert 10 * math.exp(res.x[2]) == pytest.approx(15, abs=1e-6)
    assert res.effort == pytest.approx(SEATS_OPT, rel=1e-5)
    check(model, sig, res.x, req)


def test_unreachable_target_scip_says_infeasible():
    pytest.importorskip("pyscipopt")
    _, sig, req = _setup(_chain(10), 10)  # caps allow only 1.5 · 2 · 3 = 9×
    res = solve_scip(sig, req, time_limit=60)
    assert res.status == "infeasible" and res.x is None and res.effort is None
