"""Command-line interface: one thin module per command, registered on one click group.

Only this package prints or exits. Each command parses its options, calls one library
function and renders the result; errors become exit codes here and nowhere else.
"""

from __future__ import annotations

from planner.cli.base import main

# Each command module registers itself on ``main`` when imported.
from planner.cli import solve as _solve  # noqa: E402,F401

# --- commands added by later issues register below this line ---
from planner.cli import batch as _batch, compare as _compare, sensitivity as _sensitivity  # noqa: E402,F401
from planner.cli import phase as _phase, allocate as _allocate, export as _export  # noqa: E402,F401
from planner.cli import calibrate as _calibrate  # noqa: E402,F401
from planner.cli import report as _report  # noqa: E402,F401

__all__ = ["main"]
