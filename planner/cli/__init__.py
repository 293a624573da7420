"""Command-line interface: one thin module per command, registered on one click group.

Only this package prints or exits. Each command parses its options, calls one library
function and renders the result; errors become exit codes here and nowhere else.
"""

from __future__ import annotations

from planner.cli.base import LazyGroup, main

# Command name → the module that registers it on ``main`` (imported only when that command runs).
LazyGroup.lazy = {
    "solve": "planner.cli.solve",
    "compare": "planner.cli.compare",
    "batch": "planner.cli.batch",
    "sensitivity": "planner.cli.sensitivity",
    "calibrate": "planner.cli.calibrate",
    "phase": "planner.cli.phase",
    "allocate": "planner.cli.allocate",
    "export": "planner.cli.export",
    "report": "planner.cli.report",
    # --- commands added by later issues register below this line ---
    "track": "planner.cli.track",
}

__all__ = ["main"]
