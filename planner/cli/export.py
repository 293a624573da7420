"""``planner export``: the plan workbook (.xlsx) for the acceptance meeting."""

from __future__ import annotations

import click

from planner.allocation import allocate_owners, load_allocation
from planner.cli.base import handle_errors, main
from planner.cli.output import load_plan_near
from planner.errors import InputError
from planner.phasing import load_phasing, phase_plan, read_seasonality
from planner.report.workbook import write_workbook


@main.command("export")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--xlsx", type=click.Path(dir_okay=False), required=True, help="The workbook to write.")
@click.option("--phase", "phases", multiple=True, type=click.Path(dir_okay=False),
              help="Phase JSON(s) from `planner phase` (month and/or week); without it, --year phases both.")
@click.option("--alloc", "allocs", multiple=True, type=click.Path(dir_okay=False),
              help="Allocation JSON(s) from `planner allocate` (teams and/or owners).")
@click.option("--year", type=int, default=None, help="Year to phase when no --phase is given.")
@handle_errors
def export_cmd(plan: str, xlsx: str, phases: tuple[str, ...], allocs: tuple[str, ...], year: int | None) -> None:
    """Write the plan workbook for PLAN (a plan JSON): summary, tree, targets, one sheet per owner."""
    if not xlsx.lower().endswith(".xlsx"):
        raise InputError("the workbook must be an .xlsx file", where="--xlsx", hint="e.g. --xlsx plan.xlsx")
    p = load_plan_near(plan)
    phasings = [load_phasing(f) for f in phases]
    if not phasings and year is not None:
        season, source = read_seasonality(None, p, year)
        phasings = [phase_plan(p, year, by, seasonality=season, seasonality_source=source) for by in ("month", "week")]
    if not phasings:
        click.echo("note: no --phase and no --year: the workbook has no monthly or weekly sheets", err=True)
    allocations = [load_allocation(f) for f in allocs]
    if not any(a.what == "uplift" for a in allocations) and any(i.owner for i in p.levers):
        allocations.append(allocate_owners(p, quantum=phasings[0].quantum if phasings else 1.0))
    write_workbook(xlsx, p, phasings, allocations)
    click.echo(f"wrote {xlsx}", err=True)
