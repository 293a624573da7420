"""``planner compare``: the base and its what-ifs side by side, differences from the base marked."""

from __future__ import annotations

import click

from planner.cli.base import format_option, handle_errors, main
from planner.cli.solve import solver_options
from planner.files import write_atomic
from planner.optimise import SolveOptions
from planner.whatif.compare import (
    compare,
    comparison_csv,
    comparison_json,
    comparison_table,
    write_comparison_xlsx,
)


@main.command("compare")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--scenario", "-s", "scenarios", multiple=True, help="A named what-if of the first file (repeatable).")
@click.option("--all", "all_named", is_flag=True, help="Every named what-if of the first file.")
@format_option()
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file; .xlsx gives a workbook with one sheet per view.")
@solver_options
@handle_errors
def compare_cmd(files: tuple[str, ...], scenarios: tuple[str, ...], all_named: bool, fmt: str, output: str | None,
                solver: str, ladder: float | None, time_limit: float | None) -> None:
    """Solve the base of the first FILE, its what-ifs and every other FILE (which may `extends:` it); compare."""
    c = compare(list(files), list(scenarios), all_named=all_named,
                options=SolveOptions(solver=solver, time_limit=time_limit, ladder=ladder))
    if output and output.lower().endswith(".xlsx"):
        write_comparison_xlsx(c, output)
        click.echo(f"wrote {output} ({len(c.plans)} scenarios)", err=True)
        return
    text = {"json": comparison_json, "csv": comparison_csv}.get(fmt, comparison_table)(c)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
