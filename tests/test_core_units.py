"""Parser, model resolution, evaluator and compiler: unit tests that need no solver."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.backends import get_backend
from planner.compile.approx import Objective, Resolution, Spec, build
from planner.compile.signomial import compile_signomial, effort_of
from planner.errors import FormulaError, InputError, UnsupportedError
from planner.scenario import scenario_from_dict
from planner.tree.evaluate import evaluate
from planner.tree.graph import build_model
from planner.tree.nodes import Bin, Num, Ref, Sum, to_text
from planner.tree.parse import parse_constraint, parse_formula


def model_of(d: dict):
    return build_model(scenario_from_dict(d))


TWO = {
    "dimensions": {"product": ["a", "b"]},
    "inputs": {
        "price": {"baseline": {"a": 100.0, "b": 50.0}, "fixed": True},
        "customers": {"baseline": 1000.0, "max": 3000.0},
        "conversion": {"baseline": {"a": 0.1, "b": 0.2}, "max_uplift": 2.0},
        "churn": {"baseline": 100.0, "direction": "down", "min": 50.0},
    },
    "nodes": {
        "reach": "customers - churn",
        "sales[product]": "reach * conversion[product] * price[product]",
        "total": "sum(sales)",
    },
    "target": {"node": "total", "multiple": 2},
}


def test_parse_precedence_and_round_trip():
    e = parse_formula("a - (b - c) * 2 / d")
    assert e == Bin("-", Ref("a"), Bin("/", Bin("*", Bin("-", Ref("b"), Ref("c")), Num(2.0)), Ref("d")))
    assert parse_formula(to_text(e)) == e
    assert parse_formula("sum(x, product)") == Sum(Ref("x"), "product")
    assert parse_formula("1_000 + 1e6") == Bin("+", Num(1000.0), Num(1e6))


def test_parse_constraint_senses():
    lhs, sense, rhs = parse_constraint("sum(b) <= seats * 250")
    assert sense == "<=" and lhs == Sum(Ref("b")) and rhs == Bin("*", Ref("seats"), Num(250.0))
    assert parse_constraint("x >= 0")[1] == ">="


@pytest.mark.parametrize("text", ["a.b", "__import__('os')", "open('f')", "lambda: 1", "a[1:2]", "'s'",
                                  "x if y else z", "f(x)", "sum(x, 1)", "min(a)"])
def test_parse_rejects_everything_else(text):
    with pytest.raises(FormulaError) as exc:
        parse_formula(text, where="nodes.x")
    assert "nodes.x" in str(exc.value) and "Hint:" in str(exc.value)


def test_parse_reports_character_column_for_chinese():
    with pytest.raises(FormulaError, match="column 8"):  # the dot, counted in characters
        parse_formula("销售额 + a.b")


def test_model_dims_bounds_and_flow():
    m = model_of(TWO)
    assert m.nodes["sales"].dims == ("product",) and m.nodes["total"].dims == ()
    conv = m.inputs["conversion"]
    np.testing.assert_allclose(conv.hi, [0.2, 0.4])
    assert list(conv.hi_src) == ["inputs.conversion.max_uplift"] * 2
    churn = m.inputs["churn"]
    assert churn.lo == pytest.approx(50.0) and churn.hi == pytest.approx(100.0)
    assert m.inputs["customers"].hi_src == "inputs.customers.max"


def test_two_dimensional_nested_baseline():
    d = {
        "dimensions": {"channel": ["x", "y"], "tier": ["t1", "t2"]},
        "inputs": {"c": {"baseline": {"x": {"t1": 1, "t2": 2}, "y": {"t1": 3, "t2": 4}}, "fixed": True}},
        "nodes": {"t": "sum(c)", "by_tier[tier]": "sum(c, channel)"},
        "target": {"node": "t", "multiple": 1},
    }
    m = model_of(d)
    assert m.inputs["c"].dims == ("channel", "tier")
    r = evaluate(m)
    assert r["t"] == pytest.approx(10.0)
    np.testing.assert_allclose(r["by_tier"], [4.0, 6.0])


def test_label_selection_in_formula():
    d = {**TWO, "nodes": {**TWO["nodes"], "a_only": "sales[a] * 2"}}
    r = evaluate(model_of(d))
    assert r["a_only"] == pytest.approx(2 * 900 * 0.1 * 100)


def test_evaluator_is_vectorised_over_samples():
    m = model_of(TWO)
    customers = np.array([1000.0, 2000.0, 3000.0])
    r = evaluate(m, {"customers": customers})
    expected = (customers - 100) * (0.1 * 100 + 0.2 * 50)
    np.testing.assert_allclose(r["total"], expected)
    assert r["sales"].shape == (3, 2)


def test_signomial_reproduces_evaluator_at_random_points():
    m = model_of(TWO)
    sig = compile_signomial(m)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.uniform([lv.xlo for lv in sig.levers], [lv.xhi for lv in sig.levers])
        planned = {name: inp.value.copy() for name, inp in m.inputs.items()}
        for lv in sig.levers:
            idx = tuple(m.dims[d].index(lab) for d, lab in zip(lv.dims, lv.label, strict=True))
            planned[lv.name][idx] = lv.baseline * math.exp(x[lv.index])
        assert sig.target.value(x) == pytest.approx(float(evaluate(m, planned)["total"]), rel=1e-12)


def test_unsupported_division_by_a_sum_of_levers():
    d = {**TWO, "nodes": {**TWO["nodes"], "ratio": "total / reach"}, "target": {"node": "ratio", "multiple": 2}}
    with pytest.raises(UnsupportedError, match="division by a sum"):
        compile_signomial(model_of(d))


def test_local_approximation_is_exact_at_its_point_and_conservative_elsewhere():
    """Rows of the local LP hold at the linearisation point; any LP-feasible x is truly feasible."""
    m = model_of(TWO)
    sig = compile_signomial(m)
    x0 = np.array([lv.xhi * 0.6 if lv.sign > 0 else lv.xlo * 0.6 for lv in sig.levers])
    req = sig.target.value(x0)
    prog, lay = build(sig, Spec(Objective("effort"), required=req, margin=0.0), "local", point=x0)
    sol = get_backend("highs").solve(prog)
    assert sol.has_x
    x = sol.x[lay.x]
    assert sig.target.value(x) >= req * (1 - 1e-7)  # conservative: truly feasible
    # Exact at its point: x0 is feasible for the LP, so the LP's plan needs no more effort than x0,
    # and strictly less here (x0 spreads effort that the LP concentrates).
    assert effort_of(sig, x).sum() < effort_of(sig, x0).sum() - 1e-3


def test_global_milp_size_respects_binary_budget():
    sig = compile_signomial(model_of(TWO))
    spec = Spec(Objective("effort"), required=sig.target.value(np.zeros(len(sig.levers))) * 2)
    prog, _ = build(sig, spec, "global", resolution=Resolution(step=0.01, max_segments=50, max_binaries=20))
    assert 0 < prog.n_integer <= 20


def test_bad_inputs_raise_input_errors():
    bad = {**TWO, "inputs": {**TWO["inputs"], "customers": {"baseline": 1000.0, "max": 500.0}}}
    with pytest.raises(InputError, match="outside its bounds"):
        model_of(bad)


def test_input_dims_in_another_order_than_declared():
    """Regression (found by the benchmark generator): `dims: [channel, product]` in a file that
    declares product first must not transpose the input. True visitors: a = 1, b = 1."""
    d = {"dimensions": {"product": ["a", "b"], "channel": ["x", "y", "z"]},
         "inputs": {"member": {"dims": ["channel", "product"], "fixed": True,
                               "baseline": {"x": {"a": 1, "b": 1}, "y": {"a": 0, "b": 0}, "z": {"a": 0, "b": 2}}},
                    "reach": {"baseline": {"x": 1.0, "y": 10.0, "z": 100.0}, "max_uplift": 3}},
         "nodes": {"visitors[product]": "sum(member * reach, channel)", "total": "sum(visitors)"},
         "target": {"node": "total", "multiple": 2}}
    m = model_of(d)
    assert m.inputs["member"].dims == ("product", "channel")
    r = evaluate(m)
    np.testing.assert_allclose(r["visitors"], [1.0, 201.0])
    sig = compile_signomial(m)
    assert sig.target.value(np.zeros(len(sig.levers))) == pytest.approx(202.0)


def test_division_by_a_constant_zero_is_a_clear_input_error():
    d = {"dimensions": {"p": ["a", "b"]},
         "inputs": {"price": {"baseline": {"a": 100, "b": 50}, "fixed": True}, "x": {"baseline": 10}},
         "nodes": {"total": "x * 1000 / (price[a] - 100)"}, "target": {"node": "total", "multiple": 1.5}}
    with pytest.raises(UnsupportedError, match="division by zero in total"):
        compile_signomial(model_of(d))
