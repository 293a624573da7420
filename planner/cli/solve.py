"""``planner solve``: back-solve one scenario and print or write the verified plan."""

from __future__ import annotations

import sys

import click

from planner.cli.base import EXIT_UNREACHABLE, format_option, handle_errors, main, output_option
from planner.files import write_atomic
from planner.optimise import SolveOptions, solve_file
from planner.report.table import render_plan
from planner.result import Status


def solver_options(func):  # noqa: ANN001, ANN201 - shared by every command that solves
    func = click.option("--time-limit", type=float, default=None, help="Seconds for the global search; the best "
                        "verified plan so far is reported with status `feasible` and the gap.")(func)
    func = click.option("--ladder", type=float, default=None,
                        help="Restrict uplifts to steps of this size (0.05 = 5% steps); exact on the ladder.")(func)
    func = click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True)(func)
    return func


@main.command("solve")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--scenario", "-s", default=None, help="A named what-if from the file's `scenarios:` block.")
@format_option()
@output_option
@solver_options
@handle_errors
def solve_cmd(file: str, scenario: str | None, fmt: str, output: str | None, solver: str,
              ladder: float | None, time_limit: float | None) -> None:
    """Find the least-effort uplift mix that hits the target in FILE (a scenario YAML)."""
    plan = solve_file(file, scenario, SolveOptions(solver=solver, time_limit=time_limit, ladder=ladder))
    text = render_plan(plan, fmt)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output} ({plan.status})", err=True)
    else:
        click.echo(text, nl=False)
    if plan.status == Status.INFEASIBLE:
        sys.exit(EXIT_UNREACHABLE)
