"""Exact sums after rounding: periods add up to the annual figure, splits to the total, tables both ways."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planner.allocation import round_table, split_exact
from planner.calendar import working_days
from planner.phasing import period_weights, phase_matrix, round_exact

_WEIGHTS_2026 = {by: period_weights(working_days(2026), by, ramp=3) for by in ("month", "week")}
shares = arrays(np.float64, st.integers(1, 60), elements=st.floats(0.0, 1000.0)).filter(lambda a: a.sum() > 0)
totals = st.integers(-10**13, 10**13)


@settings(deadline=None)  # no wall-clock limits: the machine is shared
@given(shares, totals)
def test_largest_remainder_sums_exactly_and_stays_within_one(w: np.ndarray, total: int) -> None:
    raw = w / w.sum() * total
    out = round_exact(raw[None, :], np.array([total]))[0]
    assert out.sum() == total
    assert np.all(np.abs(out - raw) < 1.0 + 1e-6 * abs(total))


@settings(deadline=None, max_examples=60)
@given(st.lists(st.floats(1.0, 1e12), min_size=1, max_size=20), st.floats(-1e11, 1e11),
       st.sampled_from([1.0, 100.0, 10_000.0]), st.sampled_from(["month", "week"]))
def test_phased_periods_sum_to_the_rounded_annual(base: list[float], uplift: float, quantum: float, by: str) -> None:
    b = np.array(base)
    planned = b + uplift
    units = phase_matrix(b, planned, _WEIGHTS_2026[by], quantum)
    assert np.array_equal(units.sum(axis=1), np.rint(planned / quantum).astype(np.int64))


@settings(deadline=None)  # no wall-clock limits: the machine is shared
@given(shares, st.floats(-1e12, 1e12), st.sampled_from([1.0, 10_000.0]))
def test_split_adds_up_to_the_total(w: np.ndarray, total: float, quantum: float) -> None:
    parts = split_exact(total, w, quantum)
    assert parts.sum() == np.rint(total / quantum) * quantum
    assert np.all(parts % quantum == 0)


@settings(deadline=None)  # no wall-clock limits: the machine is shared
@given(arrays(np.float64, st.integers(1, 12), elements=st.floats(0.01, 100.0)),
       arrays(np.float64, st.integers(1, 53), elements=st.floats(0.0, 100.0)).filter(lambda a: a.sum() > 0),
       st.integers(0, 10**9))
def test_team_by_period_table_matches_both_margins(teams: np.ndarray, periods: np.ndarray, total: int) -> None:
    rows = split_exact(total, teams).astype(np.int64)
    cols = split_exact(total, periods).astype(np.int64)
    raw = np.outer(rows / total if total else np.full(len(rows), 1 / len(rows)), cols)
    table = round_table(raw, rows, cols)
    assert np.array_equal(table.sum(axis=1), rows)
    assert np.array_equal(table.sum(axis=0), cols)
    assert np.all(np.abs(table - raw) < 2.0)
