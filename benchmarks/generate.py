"""Seeded synthetic driver trees for the optimiser benchmark (issue #2 §10).

``generate(P, K, seed)`` returns a plain scenario dict (the YAML schema of ``planner.scenario``):

* P products (dimension ``product``), each in one of G ≤ 5 channel groups (dimension ``channel``;
  the 0/1 table ``member[channel, product]`` says which);
* four levers per product — ``appeal`` (product-specific traffic), ``conversion``, ``repurchase``,
  ``ticket`` — two shared by all products — ``new_customers`` (total traffic), ``contact_rate`` —
  and one per channel group, ``channel_reach``;
* per group a team capacity row ``Σ buyers of its products ≤ seats × output per seat`` with an
  integer seat lever, seats costing money against ``budget.cost``;
* convex effort steps per input, with per-label caps (``max_uplift``) drawn at random;
* target ``total_sales ≥ K × baseline`` (``target.multiple``).

Sales per product is a product of seven levers, so 10× is reachable with moderate uplifts on
several of them; capacity and the seat budget make the problem bind. The tree depends only on
(P, seed), so the instances for K = 2, 5, 10 share it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

GROUPS = 5
# Multipliers of an input's base weight w for the convex steps (upto: weight): cheap first 20%, dearer after.
STEP_UPTO = (1.2, 1.5, 2.0, 3.0)
STEP_MULT = (1.0, 2.5, 6.0, 12.0)
PRODUCT_CAPS = (1.5, 2.0, 2.5, 3.0)


def _sig(v: float, digits: int = 4) -> float:
    """Round to a few significant figures so the YAML stays readable (and exact on reload)."""
    if v == 0:
        return 0.0
    return float(f"{v:.{digits}g}")


def _steps(w: float) -> list[dict[str, float]]:
    return [{"upto": u, "weight": round(w * m, 4)} for u, m in zip(STEP_UPTO, STEP_MULT, strict=True)]


def generate(P: int, K: float, seed: int = 0) -> dict[str, Any]:
    """A synthetic scenario dict with P products and target K × baseline.

    Parameters
    ----------
    P : number of products (≥ 1).
    K : target multiple of the baseline total sales.
    seed : random seed; the same (P, seed) always gives the same tree.
    """
    if P < 1:
        raise ValueError("P must be ≥ 1")
    rng = np.random.default_rng([seed, P])
    G = min(GROUPS, P)
    products = [f"产品{i + 1:03d}" for i in range(P)]
    channels = [f"渠道{g + 1}" for g in range(G)]
    # Every group gets at least one product; the rest are spread at random.
    group_of = np.concatenate([np.arange(G), rng.integers(0, G, P - G)]) if P > G else np.arange(P)
    rng.shuffle(group_of)
    member = {c: {p: int(group_of[i] == g) for i, p in enumerate(products)} for g, c in enumerate(channels)}

    def per_product(lo: float, hi: float, log: bool = False) -> dict[str, float]:
        v = np.exp(rng.uniform(math.log(lo), math.log(hi), P)) if log else rng.uniform(lo, hi, P)
        return {p: _sig(x) for p, x in zip(products, v, strict=True)}

    def caps(labels: list[str], choices: tuple[float, ...]) -> dict[str, float]:
        return {lab: float(rng.choice(choices)) for lab in labels}

    def weight() -> float:
        return round(float(rng.uniform(0.5, 2.0)), 2)

    share = rng.dirichlet(np.ones(P))
    inputs: dict[str, Any] = {
        "member": {"dims": ["channel", "product"], "baseline": member, "fixed": True,
                   "note": "1 if the product is sold through the channel group"},
        "share": {"baseline": {p: _sig(s) for p, s in zip(products, share, strict=True)}, "fixed": True},
        "new_customers": {"baseline": _sig(float(np.exp(rng.uniform(math.log(1e5), math.log(1e6))))),
                          "max_uplift": float(rng.choice((2.0, 2.5))), "effort": _steps(weight()),
                          "owner": "市场部", "flow": True},
        "contact_rate": {"baseline": _sig(float(rng.uniform(0.3, 0.45))), "max": 0.95,
                         "effort": _steps(weight()), "owner": "运营部"},
        "channel_reach": {"baseline": {c: _sig(float(rng.uniform(0.2, 0.6))) for c in channels},
                          "max_uplift": caps(channels, (1.5, 2.0)), "effort": _steps(weight()), "owner": "渠道组"},
        "appeal": {"baseline": per_product(0.5, 1.5), "max_uplift": caps(products, PRODUCT_CAPS),
                   "effort": _steps(weight()), "owner": "产品部"},
        "conversion": {"baseline": per_product(0.005, 0.08, log=True), "max_uplift": caps(products, PRODUCT_CAPS),
                       "effort": _steps(weight()), "owner": "运营部"},
        "repurchase": {"baseline": per_product(1.0, 1.8), "max_uplift": caps(products, PRODUCT_CAPS),
                       "effort": _steps(weight()), "owner": "运营部"},
        "ticket": {"baseline": per_product(1e3, 1e6, log=True), "max_uplift": caps(products, PRODUCT_CAPS),
                   "effort": _steps(weight()), "owner": "产品部"},
    }
    seats = {c: int(rng.integers(20, 80)) for c in channels}
    seat_cost = 300_000
    inputs["seats"] = {"baseline": seats, "max_uplift": 4.0, "integer": True, "cost": seat_cost,
                       "effort": [{"upto": 1.5, "weight": 0.3}, {"upto": 4.0, "weight": 0.8}], "owner": "人力"}
    inputs["output"] = {"baseline": _output_per_seat(inputs, products, channels, group_of, seats, rng),
                        "fixed": True, "note": "buyers a seat can serve per year"}
    # The seat budget lets total seats grow by 60-160%; capacity then binds at high K.
    budget = _sig(seat_cost * sum(seats.values()) * float(rng.uniform(0.6, 1.6)), 3)
    return {
        "name": f"synthetic P={P} K={K:g} seed={seed}",
        "description": "benchmarks/generate.py: products × channel groups with team capacity and a seat budget",
        "unit": "元",
        # channel before product: `member` is indexed [channel, product] in declaration order.
        "dimensions": {"channel": channels, "product": products},
        "inputs": inputs,
        "nodes": {
            "visitors[product]": "new_customers * sum(member * channel_reach, channel) * appeal * share",
            "buyers[product]": "visitors * contact_rate * conversion",
            "sales[product]": "buyers * repurchase * ticket",
            "total_sales": "sum(sales)",
        },
        "constraints": {"team_capacity": "sum(member * buyers, product) <= seats * output"},
        "budget": {"cost": budget},
        "target": {"node": "total_sales", "multiple": float(K)},
    }


def _output_per_seat(inputs: dict[str, Any], products: list[str], channels: list[str], group_of: np.ndarray,
                     seats: dict[str, int], rng: np.random.Generator) -> dict[str, float]:
    """Per-seat output such that each team runs at 75–90% of capacity at baseline."""
    b = {k: v["baseline"] for k, v in inputs.items()}
    out: dict[str, float] = {}
    for g, c in enumerate(channels):
        buyers = sum(b["new_customers"] * b["channel_reach"][c] * b["appeal"][p] * b["share"][p]
                     * b["contact_rate"] * b["conversion"][p]
                     for i, p in enumerate(products) if group_of[i] == g)
        out[c] = _sig(buyers / (seats[c] * float(rng.uniform(0.75, 0.9))))
    return out


def instance_name(P: int, K: float, seed: int) -> str:
    return f"P{P}_K{K:g}_s{seed}"
