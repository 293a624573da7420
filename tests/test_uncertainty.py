"""Monte Carlo odds, the robust plan and Sobol indices on the product chain (f uncertain)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from whatif_chain import CHAIN, write_chain

from planner.errors import InputError
from planner.scenario import load_scenario
from planner.whatif.resolve import Resolver
from planner.whatif.uncertainty import risk, robust, sobol_indices


@pytest.fixture(scope="module")
def res(tmp_path_factory):  # noqa: ANN001, ANN201
    return Resolver(load_scenario(write_chain(tmp_path_factory.mktemp("u"))))


def test_p_hit_matches_the_distribution(res) -> None:  # noqa: ANN001
    # The plan meets the target exactly at f = 1, so P(hit) = P(f ≥ 1) for triangular(0.7, 1.0, 1.2).
    r = risk(res, res.base, n=100_000, seed=1)
    tri = stats.triang((1.0 - 0.7) / 0.5, loc=0.7, scale=0.5)
    assert r.samples == 100_000
    assert r.p_hit == pytest.approx(tri.sf(1.0 - 1e-6), abs=0.01)
    assert r.p50 == pytest.approx(4 * tri.ppf(0.5), rel=0.01)
    assert r.p10 < r.p50 < r.p90


def test_robust_plan_in_sample_at_least_level(res) -> None:  # noqa: ANN001
    rb = robust(res, 0.8, in_samples=2000, out_samples=50_000, seed=2)
    assert rb.outcome is not None
    assert rb.in_sample >= 0.8
    assert rb.out_of_sample == pytest.approx(0.8, abs=0.03)
    # One multiplicative factor: the plan must cover 4 / q20(f).
    tri = stats.triang((1.0 - 0.7) / 0.5, loc=0.7, scale=0.5)
    assert rb.scale == pytest.approx(1 / tri.ppf(0.2), rel=0.02)
    assert rb.outcome.effort > res.base.effort


def test_robust_level_out_of_reach(tmp_path) -> None:  # noqa: ANN001
    text = CHAIN.replace("low: 0.7, mode: 1.0, high: 1.2", "low: 0.1, mode: 0.2, high: 0.3")
    r = Resolver(load_scenario(write_chain(tmp_path, text)))
    rb = robust(r, 0.9, in_samples=500, out_samples=1000)
    assert rb.outcome is None and "no plan" in rb.message


def test_sobol_single_input_and_two_inputs(tmp_path, res) -> None:  # noqa: ANN001
    assert sobol_indices(res, res.base)[0]["input"] == "f"
    text = CHAIN.replace("  nodes:", "  nodes:").replace(
        "  f: {baseline: 1.0, fixed: true,",
        "  g: {baseline: 1.0, fixed: true, uncertain: {dist: uniform, low: 0.99, high: 1.01}}\n"
        "  f: {baseline: 1.0, fixed: true,").replace("a * b * c * f", "a * b * c * f * g")
    r = Resolver(load_scenario(write_chain(tmp_path, text)))
    idx = {s["input"]: s for s in sobol_indices(r, r.base, n=2048)}
    assert idx["f"]["S1"] > 0.9 and idx["g"]["S1"] < 0.05  # f's spread dwarfs g's


def test_no_uncertain_input_is_an_error(tmp_path) -> None:  # noqa: ANN001
    text = CHAIN.replace(", uncertain: {dist: triangular, low: 0.7, mode: 1.0, high: 1.2}", "")
    r = Resolver(load_scenario(write_chain(tmp_path, text)))
    with pytest.raises(InputError, match="uncertain"):
        risk(r, r.base)
    assert math.isfinite(r.base.effort) and np.isfinite(r.base.x).all()


def test_dimensioned_input_draws_a_shared_factor(tmp_path) -> None:  # noqa: ANN001
    text = """\
name: two products
dimensions: {p: [x, y]}
inputs:
  a: {baseline: 1.0, max_uplift: 4.0}
  price: {baseline: {x: 10.0, y: 30.0}, fixed: true, uncertain: {dist: uniform, low: 0.5, high: 1.5}}
nodes:
  total: sum(price) * a
target: {node: total, multiple: 2}
"""
    r = Resolver(load_scenario(write_chain(tmp_path, text)))
    k = risk(r, r.base, n=100_000, seed=4)
    # total = 40·f·2 with f ~ U(0.5, 1.5): hits 80 when f ≥ 1 (probability 1/2); median 80.
    assert k.p_hit == pytest.approx(0.5, abs=0.01)
    assert k.p50 == pytest.approx(80.0, rel=0.01)
    assert k.p10 == pytest.approx(80 * 0.6, rel=0.01) and k.p90 == pytest.approx(80 * 1.4, rel=0.01)
