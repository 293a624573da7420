"""Properties of generated driver trees (issue #2 §9).

print → parse round trip; zero uplift reproduces the baseline (reference evaluator, planner's
evaluator and the compiled signomial agree); every solved plan meets its target on the true
formulas; a higher target never needs less effort. Failing examples print their scenario YAML.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import TreeCase, formulas, tree_scenarios, with_target

from planner.compile.signomial import compile_signomial
from planner.optimise import SolveOptions, solve
from planner.result import Plan, Status
from planner.scenario import scenario_from_dict
from planner.tree.evaluate import evaluate
from planner.tree.graph import Model, build_model
from planner.tree.nodes import to_text
from planner.tree.parse import parse_formula

REL = 1e-6
PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _yaml(raw: dict[str, Any]) -> str:
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def _model(raw: dict[str, Any]) -> Model:
    return build_model(scenario_from_dict(raw))


@settings(max_examples=200, deadline=None)
@given(formulas)
def test_print_then_parse_gives_the_same_tree(expr):
    text = to_text(expr)
    assert parse_formula(text) == expr, text


@settings(PROPS, max_examples=100)
@given(tree_scenarios())
def test_zero_uplift_reproduces_the_baseline(case: TreeCase):
    raw = with_target(case, 1.0)
    model = _model(raw)
    expected = case.value(case.at_baseline())
    evaluated = float(evaluate(model)["total"])
    sig = compile_signomial(model)
    compiled = sig.target.value(np.zeros(len(sig.levers)))
    note = _yaml(raw)
    assert evaluated == pytest.approx(expected, rel=1e-9), note
    assert compiled == pytest.approx(evaluated, rel=1e-9), note


def _planned_values(model: Model, plan: Plan) -> dict[str, np.ndarray]:
    """The plan's lever values as arrays shaped by each input's dimensions."""
    values = {n: i.value.copy() for n, i in model.inputs.items()}
    for r in plan.inputs:
        if r.kind != "lever":
            continue
        inp = model.inputs[r.name]
        lab = tuple((r.labels or {})[d] for d in inp.dims)
        values[r.name][np.unravel_index(model.labels(inp.dims).index(lab), inp.value.shape)] = r.planned
    return values


def _required(case: TreeCase, frac: float) -> float:
    """A target between the zero-uplift value (frac 0) and the most the levers can reach (frac 1)."""
    low, high = case.value(case.at_baseline()), case.value(case.at_best())
    return low + frac * (high - low)


def _solve(raw: dict[str, Any]) -> Plan:
    return solve(scenario_from_dict(raw), SolveOptions())


@PROPS
@given(tree_scenarios(), st.one_of(st.just(1.0), st.floats(0.0, 1.0)))
def test_every_solved_plan_meets_its_target_on_the_true_formulas(case: TreeCase, frac: float):
    raw = with_target(case, _required(case, frac))
    note = _yaml(raw)
    plan = _solve(raw)
    # The target lies within the reachable range by construction, so there must be a plan.
    assert plan.status in (Status.OPTIMAL, Status.FEASIBLE), f"{plan.status}: {plan.message}\n{note}"
    model = _model(raw)
    values = _planned_values(model, plan)
    required = raw["target"]["at_least"]
    achieved = float(evaluate(model, values)["total"])
    assert achieved >= required * (1 - REL), note
    assert plan.target.achieved == pytest.approx(achieved, rel=1e-9), note
    for name, inp in model.inputs.items():
        if inp.kind == "lever":  # every lever stays within its bounds
            assert np.all(values[name] >= inp.lo * (1 - 1e-9)) and np.all(values[name] <= inp.hi * (1 + 1e-9)), note


@PROPS
@given(tree_scenarios(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_higher_target_never_needs_less_effort(case: TreeCase, f1: float, f2: float):
    lo, hi = sorted((f1, f2))
    raw1, raw2 = with_target(case, _required(case, lo)), with_target(case, _required(case, hi))
    p1, p2 = _solve(raw1), _solve(raw2)
    assert p1.ok and p2.ok, f"{p1.status} / {p2.status}\n{_yaml(raw2)}"
    scale = max(1.0, abs(p1.effort), abs(p2.effort))
    assert p2.effort >= p1.effort - 1e-6 * scale, (
        f"target {raw1['target']['at_least']!r} needs effort {p1.effort!r}, "
        f"the higher {raw2['target']['at_least']!r} only {p2.effort!r}\n{_yaml(raw2)}")


# --- minimal cases the properties found (kept as plain regression tests) ---------------------------

def test_zero_uplift_with_a_sum_inside_an_indexed_node():
    # sum(x) inside y[p] sums over every label of p, not only the label being computed:
    # total = Σ_p x[p] · Σ_q x[q] = (1 + 2)² = 9.
    raw = {"name": "sum-inside", "dimensions": {"p": ["a", "b"]},
           "inputs": {"x": {"baseline": {"a": 1.0, "b": 2.0}, "max_uplift": 2}},
           "nodes": {"y[p]": "x * sum(x)", "total": "sum(y)"}, "target": {"node": "total", "at_least": 9}}
    model = _model(raw)
    sig = compile_signomial(model)
    assert float(evaluate(model)["total"]) == pytest.approx(9.0)
    assert sig.target.value(np.zeros(len(sig.levers))) == pytest.approx(9.0)


def test_labels_nine_orders_of_magnitude_apart():
    # total = x[a]² + x[b]² with x = (1, 20000): reaching 1e9 takes x[b] = √(1e9 − 1) alone.
    raw = {"name": "spread", "dimensions": {"p": ["a", "b"]},
           "inputs": {"x": {"baseline": {"a": 1.0, "b": 20000.0}, "max_uplift": 2}},
           "nodes": {"sq[p]": "x * x", "total": "sum(sq)"}, "target": {"node": "total", "at_least": 1e9}}
    plan = _solve(raw)
    assert plan.ok, plan.message
    assert plan.effort == pytest.approx(np.log(np.sqrt(1e9 - 1) / 20000), rel=0.01)


def test_target_exactly_at_the_maximum_with_a_tiny_additive_term():
    # At the caps: a: (15 + 10·3) / 50 = 0.9, b: (15 + 10·3e6) / 0.5 = 60,000,030 → 60,000,030.9.
    raw = {"name": "at-max", "dimensions": {"p": ["a", "b"]},
           "inputs": {"x0": {"baseline": 5.0, "max_uplift": 2.0},
                      "x1": {"baseline": {"a": 1.0, "b": 1e6}, "max_uplift": 3.0},
                      "x3": {"baseline": 5.0, "max_uplift": 3.0},
                      "d0": {"baseline": {"a": 100.0, "b": 1.0}, "direction": "down", "max_uplift": 2.0}},
           "nodes": {"n0[p]": "x0 * x1", "n1[p]": "x3 + n0", "n2[p]": "n1 / d0", "total": "sum(n2)"},
           "target": {"node": "total", "at_least": 60000030.9}}
    plan = _solve(raw)
    assert plan.ok, plan.message
    assert plan.target.achieved >= 60000030.9 * (1 - REL)
