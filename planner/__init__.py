"""planner: driver-tree KPI planning — back-solve an ambitious target with the least effort, verified.

Public API (listed by hand)::

    from planner import load_scenario, solve, SolveOptions, load_plan
"""

from planner.errors import InputError, PlannerError, SolverError
from planner.optimise import SolveOptions, solve, solve_file
from planner.result import Plan, Status, load_plan
from planner.scenario import Scenario, load_scenario

__all__ = ["InputError", "Plan", "PlannerError", "Scenario", "SolveOptions", "SolverError", "Status",
           "load_plan", "load_scenario", "solve", "solve_file"]
__version__ = "0.1.0"
