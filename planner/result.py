"""Solve status and the Plan: what ``planner solve`` returns and every later step consumes.

The JSON form (``Plan.to_dict``) is a contract: field names and meanings are fixed by issue #2.
Fields beyond the contract (``kind``, ``labels``, ``tree``, ...) are additions, never renames.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.files import load_json_as


class Status(StrEnum):
    """Normalised outcome of a solve."""

    OPTIMAL = "optimal"
    """A verified plan; the solver proved its approximation optimal and the local polish converged."""
    FEASIBLE = "feasible"
    """A verified plan, but the search stopped early (time limit): ``solver.gap`` says how far it may be."""
    INFEASIBLE = "infeasible"
    """The target cannot be reached within the constraints: see ``max_reachable`` and ``needs``."""
    ERROR = "error"
    """The solver failed and no verified plan exists."""
    UNKNOWN = "unknown"
    """The solver said something planner does not recognise (never reported with a plan)."""


@dataclass
class InputResult:
    name: str
    label: str | None
    baseline: float
    planned: float
    uplift: float | None
    effort: float
    owner: str | None
    bound: str | None
    kind: str = "lever"  # lever | fixed | uncontrollable
    labels: dict[str, str] | None = None
    flow: bool = False
    integer: bool = False
    unit: str | None = None


@dataclass
class NodeResult:
    name: str
    label: str | None
    baseline: float
    planned: float
    labels: dict[str, str] | None = None
    flow: bool = False


@dataclass
class ConstraintResult:
    name: str
    lhs: float
    rhs: float
    binding: bool
    sense: str = ">="


def target_unit(target: str | None, money: str | None) -> str | None:
    """The unit of the target node's values: its own ``target.unit`` if given, else the money ``unit``.

    A scenario's top-level ``unit`` is the unit of money (costs, budgets); a target that counts
    customers declares ``target: {unit: 个}`` so it is not shown in 亿 / 万 as if it were money.
    """
    return target if target is not None else money


@dataclass
class TargetResult:
    node: str
    baseline: float
    required: float | None
    achieved: float | None
    commitment: float | None = None  # required before target.margin was added
    margin: float = 0.0
    unit: str | None = None  # unit of the target node's values; None → the plan's (money) unit


@dataclass
class Need:
    what: str
    source: float | None  # serialised as "from"
    to: float | None
    sentence: str = ""


@dataclass
class SolverInfo:
    name: str
    seconds: float
    gap: float | None
    iterations: int = 0
    bound: float | None = None


@dataclass
class Plan:
    scenario: str
    status: Status
    objective: str
    effort: float | None
    cost: float | None
    target: TargetResult
    inputs: list[InputResult] = field(default_factory=list)
    nodes: list[NodeResult] = field(default_factory=list)
    constraints: list[ConstraintResult] = field(default_factory=list)
    max_reachable: float | None = None
    needs: list[Need] = field(default_factory=list)
    solver: SolverInfo | None = None
    name: str = ""
    unit: str | None = None
    source: str | None = None
    message: str = ""
    dimensions: dict[str, list[str]] = field(default_factory=dict)
    tree: list[dict[str, Any]] = field(default_factory=list)
    budget: dict[str, float | None] = field(default_factory=dict)

    @property
    def levers(self) -> list[InputResult]:
        return [i for i in self.inputs if i.kind == "lever"]

    @property
    def target_unit(self) -> str | None:
        """Unit of the target node's values: ``target.unit`` if the scenario gave one, else ``unit``."""
        return target_unit(self.target.unit, self.unit)

    @property
    def ok(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = str(self.status)
        d["needs"] = [{"what": n.what, "from": n.source, "to": n.to, "sentence": n.sentence} for n in self.needs]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_frame(self):  # pandas imported lazily: the solver path does not need it
        """One row per input: name, label, baseline, planned, uplift, effort, owner, bound, kind."""
        import pandas as pd

        return pd.DataFrame([asdict(i) for i in self.inputs])

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        try:
            return cls(
                scenario=d["scenario"], status=Status(d["status"]), objective=d["objective"],
                effort=d.get("effort"), cost=d.get("cost"), target=TargetResult(**d["target"]),
                inputs=[InputResult(**i) for i in d.get("inputs", [])],
                nodes=[NodeResult(**n) for n in d.get("nodes", [])],
                constraints=[ConstraintResult(**c) for c in d.get("constraints", [])],
                max_reachable=d.get("max_reachable"),
                needs=[Need(what=n["what"], source=n.get("from"), to=n.get("to"),
                            sentence=n.get("sentence", "")) for n in d.get("needs", [])],
                solver=SolverInfo(**d["solver"]) if d.get("solver") else None,
                **{k: d[k] for k in ("name", "unit", "source", "message", "dimensions", "tree", "budget")
                   if k in d},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a planner plan: {exc}",
                             hint="give the JSON written by `planner solve --format json -o plan.json`") from exc


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON written by ``planner solve``."""
    return load_json_as(path, Plan.from_dict, written_by="planner solve FILE --format json -o plan.json")
