"""The solve pipeline: global MILP → local polish → integer rounding → verification on the true formulas."""

from planner.optimise.pipeline import SolveOptions, solve, solve_file

__all__ = ["SolveOptions", "solve", "solve_file"]
