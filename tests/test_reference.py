"""Reference problems whose optima are derived by hand (in each docstring), on every backend."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from planner.optimise import SolveOptions, solve
from planner.result import Status
from planner.scenario import scenario_from_dict
from planner.tree.evaluate import evaluate
from planner.tree.graph import build_model


def run(d: dict, backend: str = "highs", **kw) -> object:
    return solve(scenario_from_dict(d), SolveOptions(solver=backend, **kw))


def planned(plan, name, label=None):
    return next(i.planned for i in plan.inputs if i.name == name and i.label == label)


def chain(weights: dict[str, float], caps: dict[str, float], multiple: float, **extra) -> dict:
    inputs = {k: {"baseline": 1.0, "max_uplift": caps[k], "effort": w} for k, w in weights.items()}
    return {"inputs": inputs, "nodes": {"t": " * ".join(weights)},
            "target": {"node": "t", "multiple": multiple}, **extra}


def test_product_chain_greedy_fill(backend):
    """t = a·b·c, weights 1 < 2 < 3, caps 2, 2, 4, K = 6: ln 6 is filled cheapest first:
    a to its cap (ln 2, effort ln 2), b to its cap (ln 2, effort 2 ln 2), c by ln 1.5 (effort 3 ln 1.5).
    Optimum = 3 ln 2 + 3 ln 1.5 = 3.2958."""
    plan = run(chain({"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 2, "c": 4}, 6), backend)
    assert plan.status == Status.OPTIMAL
    assert plan.effort == pytest.approx(3 * math.log(2) + 3 * math.log(1.5), rel=1e-5)
    assert planned(plan, "a") == pytest.approx(2) and planned(plan, "b") == pytest.approx(2)
    assert planned(plan, "c") == pytest.approx(1.5, rel=1e-5)
    assert plan.target.achieved >= plan.target.required * (1 - 1e-6)


def test_two_products_share_a_lever(backend):
    """t = s·(c1 + c2), all baselines 1, weights 1, caps s ≤ 2, c ≤ 4, target 6 (3×).
    With c2 at baseline, c1 = 6/s − 1 and effort ln s + ln(6/s − 1) = ln(6 − s): decreasing in s,
    so s = 2 (its cap) and one c doubles. Optimum = 2 ln 2 = 1.3863."""
    d = {"inputs": {"s": {"baseline": 1, "max_uplift": 2}, "c1": {"baseline": 1, "max_uplift": 4},
                    "c2": {"baseline": 1, "max_uplift": 4}},
         "nodes": {"t": "s * c1 + s * c2"}, "target": {"node": "t", "at_least": 6}}
    plan = run(d, backend)
    assert plan.effort == pytest.approx(2 * math.log(2), rel=1e-5)
    assert planned(plan, "s") == pytest.approx(2)
    assert sorted([planned(plan, "c1"), planned(plan, "c2")]) == pytest.approx([1, 2], rel=1e-5)


def test_convex_effort_steps():
    """One lever, steps weight 1 up to 1.2×, 4 up to 1.5×, target 1.5×:
    effort = ln 1.2 + 4 (ln 1.5 − ln 1.2) = 1.0748."""
    d = {"inputs": {"a": {"baseline": 10, "effort": [{"upto": 1.2, "weight": 1}, {"upto": 1.5, "weight": 4}]}},
         "nodes": {"t": "a * 3"}, "target": {"node": "t", "multiple": 1.5}}
    plan = run(d)
    assert plan.effort == pytest.approx(math.log(1.2) + 4 * math.log(1.5 / 1.2), rel=1e-5)
    assert plan.levers[0].bound == "effort"  # the last step is also the cap


def test_cut_direction_down_and_profit_at_zero():
    """profit = 100 − cost, cost baseline 90 (a cut lever, min 50), profit ≥ 20 → cost ≤ 80:
    effort ln(90/80) = 0.11778; uplift is planned ÷ baseline = 0.888…"""
    d = {"inputs": {"revenue": {"baseline": 100, "fixed": True},
                    "cost": {"baseline": 90, "direction": "down", "min": 50}},
         "nodes": {"profit": "revenue - cost"}, "target": {"node": "profit", "at_least": 20}}
    plan = run(d)
    assert plan.effort == pytest.approx(math.log(90 / 80), rel=1e-5)
    assert plan.levers[0].uplift == pytest.approx(80 / 90, rel=1e-5)
    assert plan.target.achieved >= 20


def test_max_target_puts_every_useful_lever_at_its_cap(backend):
    d = chain({"a": 1, "b": 2}, {"a": 2, "b": 3}, 1) | {"objective": "max_target"}
    d["target"] = {"node": "t"}
    d["inputs"]["idle"] = {"baseline": 5, "max": 50}  # does not touch the target: must stay put
    plan = run(d, backend)
    assert plan.target.achieved == pytest.approx(6.0, rel=1e-5)
    assert plan.max_reachable == pytest.approx(6.0, rel=1e-5)
    assert planned(plan, "idle") == pytest.approx(5)


def test_min_max_effort_balances_levers():
    """t = a·b, weights 1 and 2, K = 4: equal efforts z with ln a + ln b = ln 4 = z/1 + z/2,
    so z = ln 4 / 1.5 = 0.9242 and total 2z = 1.8484 (min_effort alone would give ln 4 = 1.386)."""
    d = chain({"a": 1, "b": 2}, {"a": 4, "b": 4}, 4) | {"objective": "min_max_effort"}
    plan = run(d)
    z = math.log(4) / 1.5
    assert max(i.effort for i in plan.levers) == pytest.approx(z, rel=1e-5)
    assert plan.effort == pytest.approx(2 * z, rel=1e-5)


def test_unreachable_reports_max_reachable_and_needs(backend):
    """t = a·s, a ≤ 2× (max_uplift), s integer 5 ≤ 10 (max): max = 2 × 2 = 4× of 5 = 20.
    Target 30 (6×): seats alone would need 30/2 = 15; a alone would need 3×."""
    d = {"inputs": {"a": {"baseline": 1, "max_uplift": 2}, "s": {"baseline": 5, "max": 10, "integer": True}},
         "nodes": {"t": "a * s"}, "target": {"node": "t", "at_least": 30}}
    plan = run(d, backend)
    assert plan.status == Status.INFEASIBLE
    assert plan.max_reachable == pytest.approx(20, rel=1e-5)
    needs = {n.what: (n.source, n.to) for n in plan.needs}
    assert needs["inputs.s.max"] == (10, 15)
    assert needs["inputs.a.max_uplift"][0] == 2 and needs["inputs.a.max_uplift"][1] == pytest.approx(3, rel=1e-5)
    assert "out of reach" in plan.message


def test_cost_budget_need():
    """t = a, cost 10 per unit over baseline 100, budget 500 → a ≤ 150; target 200 needs 1000."""
    d = {"inputs": {"a": {"baseline": 100, "cost": 10, "max": 1000}}, "nodes": {"t": "a * 1"},
         "budget": {"cost": 500}, "target": {"node": "t", "at_least": 200}}
    plan = run(d)
    assert plan.max_reachable == pytest.approx(150, rel=1e-5)
    need = next(n for n in plan.needs if n.what == "budget.cost")
    assert need.source == 500 and need.to == pytest.approx(1000, rel=1e-5)


def test_target_exactly_at_max_reachable_is_reachable():
    d = chain({"a": 1, "b": 1}, {"a": 2, "b": 3}, 6)
    plan = run(d)
    assert plan.status == Status.OPTIMAL
    assert plan.effort == pytest.approx(math.log(6), rel=1e-5)


def test_integer_levers_come_out_integer_and_capacity_holds(backend):
    d = {"inputs": {"demand": {"baseline": 100, "max_uplift": 3},
                    "seats": {"baseline": 10, "max": 40, "integer": True, "effort": 0.1}},
         "nodes": {"sales": "demand * 1"}, "constraints": {"cap": "sales <= seats * 10.5"},
         "target": {"node": "sales", "at_least": 250}}
    plan = run(d, backend)
    seats = planned(plan, "seats")
    assert seats == int(seats) and seats * 10.5 >= 250  # 24 seats: the smallest integer that fits
    assert seats == 24


def test_ladder_is_exact_on_the_ladder():
    """Brute force over every ladder point (5% steps) gives the same least effort."""
    d = {"dimensions": {"p": ["x", "y"]},
         "inputs": {"u": {"baseline": {"x": 2.0, "y": 1.0}, "max_uplift": 1.5, "effort": 1.0},
                    "v": {"baseline": 1.0, "max_uplift": 1.4, "effort": [{"upto": 1.2, "weight": 1}, {"upto": 1.4, "weight": 3}]}},
         "nodes": {"t": "sum(u) * v"}, "target": {"node": "t", "multiple": 1.37}}
    plan = run(d, ladder=0.05)
    m = build_model(scenario_from_dict(d))
    base = float(evaluate(m)["t"])
    steps_u = [1 + 0.05 * k for k in range(11)]
    steps_v = [1 + 0.05 * k for k in range(9)]

    def effort_v(v):
        g = math.log(v)
        return min(g, math.log(1.2)) + 3 * max(g - math.log(1.2), 0)

    best = min(math.log(ux) + math.log(uy) + effort_v(v)
               for ux, uy, v in itertools.product(steps_u, steps_u, steps_v)
               if (2 * ux + uy) * v >= 1.37 * base * (1 - 1e-12))
    assert plan.effort == pytest.approx(best, abs=1e-9)
    for i in plan.levers:
        assert round((i.uplift - 1) / 0.05, 6) == pytest.approx(round((i.uplift - 1) / 0.05), abs=1e-6)


def test_higher_target_never_needs_less_effort():
    efforts = [run(chain({"a": 1, "b": 2, "c": 0.5}, {"a": 2, "b": 3, "c": 1.5}, k)).effort for k in (1.5, 2, 3, 5)]
    assert all(b >= a - 1e-9 for a, b in zip(efforts, efforts[1:], strict=False))


def test_effort_cap_budget_respected():
    d = chain({"a": 1, "b": 1}, {"a": 3, "b": 3}, 4) | {"budget": {"effort": 1.0}}
    plan = run(d)
    assert plan.status == Status.INFEASIBLE
    assert plan.max_reachable == pytest.approx(math.e, rel=1e-5)  # effort 1 = ln u_a + ln u_b
    need = next(n for n in plan.needs if n.what == "budget.effort")
    assert need.to == pytest.approx(math.log(4), rel=1e-5)


def test_time_limit_reports_a_verified_plan():
    d = chain({"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 2, "c": 4}, 6)
    plan = run(d, time_limit=5)
    assert plan.ok and plan.target.achieved >= plan.target.required * (1 - 1e-6)
    assert np.isfinite(plan.solver.seconds)


def test_shared_absolute_cap_need_is_the_least_common_value():
    """t = s[a] + s[b], baselines 10 and 40, one scalar max: 50 for both, target 130.
    Max reachable 100; lifting the shared max to M gives 2M ≥ 130, so M = 65 (both labels at 65),
    while a per-uplift minimisation would report a larger common cap."""
    d = {"dimensions": {"p": ["a", "b"]},
         "inputs": {"s": {"baseline": {"a": 10, "b": 40}, "max": 50}},
         "nodes": {"t": "sum(s)"}, "target": {"node": "t", "at_least": 130}}
    plan = run(d)
    assert plan.max_reachable == pytest.approx(100, rel=1e-5)
    need = next(n for n in plan.needs if n.what == "inputs.s.max")
    assert need.source == 50 and need.to == pytest.approx(65, rel=1e-5)
