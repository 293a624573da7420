"""Hand-built plans for the phasing / allocation / workbook tests (evaluated on the real tree)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planner.result import InputResult, NodeResult, Plan, Status, TargetResult
from planner.scenario import load_scenario
from planner.tree.evaluate import evaluate
from planner.tree.graph import build_model

DATA = Path(__file__).parent / "data"
CHAIN = DATA / "chain.yaml"
# ×1.2 reachable (new customers 20000 → 40000), ×2 conversion, ×1.375 ticket: 2.4亿·10 → 7.92亿·10 = 3 × 1.1
CHAIN_PLANNED = {"new_customers": 40000.0, "conversion": [0.04, 0.10], "ticket": [1375000.0, 275000.0]}


def make_plan(path: Path = CHAIN, planned: dict | None = None, *, source: bool = True) -> Plan:
    planned = CHAIN_PLANNED if planned is None else planned
    sc = load_scenario(path)
    model = build_model(sc)
    values = {k: np.asarray(v, dtype=float) for k, v in planned.items()}
    base, plan = evaluate(model), evaluate(model, values)
    inputs, nodes = [], []
    for name, inp in model.inputs.items():
        for idx, labels in zip(np.ndindex(*inp.baseline.shape), model.labels(inp.dims), strict=True):
            b, p = float(inp.baseline[idx]), float(plan[name][idx])
            lab = dict(zip(inp.dims, labels, strict=True)) or None
            inputs.append(InputResult(name, labels[0] if labels else None, b, p, p / b if b else None,
                                      float(np.log(p / b)) if inp.kind == "lever" and b else 0.0,
                                      inp.owner, None, inp.kind, lab, inp.flow))
    for name, node in model.nodes.items():
        for idx, labels in zip(np.ndindex(*model.shape(node.dims)), model.labels(node.dims), strict=True):
            lab = dict(zip(node.dims, labels, strict=True)) or None
            nodes.append(NodeResult(name, labels[0] if labels else None, float(base[name][idx]),
                                    float(plan[name][idx]), lab, node.flow))
    t = sc.target
    tb = float(base[t.node])
    commitment = tb * t.multiple if t.multiple else t.at_least
    target = TargetResult(t.node, tb, commitment * (1 + t.margin), float(plan[t.node]), commitment, t.margin)
    return Plan(scenario="base", status=Status.OPTIMAL, objective="min_effort",
                effort=sum(i.effort for i in inputs), cost=0.0, target=target, inputs=inputs, nodes=nodes,
                name=sc.name, unit=sc.unit, source=str(path) if source else None,
                dimensions=model.dims, budget={"cost": None, "effort": None},
                tree=[{"name": n, "dims": list(model.nodes[n].dims), "formula": model.nodes[n].text,
                       "kind": "node"} for n in model.nodes])
