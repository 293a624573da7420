"""Solver backends: the only place that imports pulp or highspy.

Each backend declares its capabilities as data; callers check flags, never names.
"""

from __future__ import annotations

from planner.backends.base import Backend, Capabilities, Solution, SolveStatus
from planner.errors import InputError


def get_backend(name: str) -> Backend:
    """``highs`` (default, HiGHS through highspy) or ``cbc`` (COIN-OR CBC through PuLP)."""
    if name == "highs":
        from planner.backends.highs import HighsBackend

        return HighsBackend()
    if name == "cbc":
        from planner.backends.cbc import CbcBackend

        return CbcBackend()
    raise InputError(f"unknown solver {name!r}", where="--solver", hint="use highs or cbc")


def available_backends() -> list[str]:
    names = []
    for n in ("highs", "cbc"):
        try:
            if get_backend(n).available():
                names.append(n)
        except ImportError:
            pass
    return names


__all__ = ["Backend", "Capabilities", "Solution", "SolveStatus", "get_backend", "available_backends"]
