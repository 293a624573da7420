"""A pure product chain (target = a·b·c·f) whose least-effort plan is known by hand.

In log space the problem is: minimise Σ w_i x_i subject to Σ x_i ≥ ln(M / f) and 0 ≤ x_i ≤ ln K_i —
a linear program whose optimum fills the cheapest lever first (greedy by weight).
"""

from __future__ import annotations

import math

CHAIN = """\
name: chain
inputs:
  a: {baseline: 1.0, max_uplift: 2.0, effort: 1.0}
  b: {baseline: 1.0, max_uplift: 3.0, effort: 2.0}
  c: {baseline: 1.0, max_uplift: 4.0, effort: 3.0}
  f: {baseline: 1.0, fixed: true, uncertain: {dist: triangular, low: 0.7, mode: 1.0, high: 1.2}}
nodes:
  total: a * b * c * f
target: {node: total, multiple: 4}
scenarios:
  more_b: {inputs: {b: {max_uplift: 5.0}}}
  bad: {inputs: {a: {max_uplift: 0.5}}}
"""
CAPS = {"a": (2.0, 1.0), "b": (3.0, 2.0), "c": (4.0, 3.0)}  # lever → (K, weight)


def greedy_effort(multiple: float, f: float = 1.0, caps: dict[str, tuple[float, float]] | None = None) -> float:
    """The hand-derived minimum effort: fill ln(M/f) with levers cheapest first, each up to ln K."""
    need = math.log(multiple / f)
    total = 0.0
    for k, w in sorted((caps or CAPS).values(), key=lambda t: t[1]):
        take = min(max(need, 0.0), math.log(k))
        total += w * take
        need -= take
    if need > 1e-12:
        return math.inf
    return total


def write_chain(tmp_path, text: str = CHAIN):  # noqa: ANN001, ANN201
    path = tmp_path / "chain.yaml"
    path.write_text(text, encoding="utf-8")
    return path
