"""Where a command's text goes: the terminal, or a .json / .csv file written atomically."""

from __future__ import annotations

from pathlib import Path

import click

from planner.errors import InputError
from planner.files import write_atomic


def format_of(output: str | None) -> str:
    """Output format from the file suffix: .json, .csv, or a table on the terminal."""
    if output is None:
        return "table"
    suffix = Path(output).suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(f"cannot write {suffix or 'a file without suffix'}", where="--output",
                         hint="name the output .json or .csv")
    return suffix[1:]


def emit(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def load_plan_near(path: str):  # noqa: ANN201 - returns planner.result.Plan
    """Load a plan JSON; if its scenario path (relative to where `solve` ran) is not found from here,
    look for it beside the plan file, so seasonality and the tree can still be read."""
    from planner.result import load_plan

    plan = load_plan(path)
    if plan.source and not Path(plan.source).exists():
        beside = Path(path).parent / plan.source
        if beside.exists():
            plan.source = str(beside)
    return plan
