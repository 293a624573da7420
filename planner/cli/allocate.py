"""``planner allocate``: split the annual and phased targets to teams or owners."""

from __future__ import annotations

import click

from planner.allocation import (
    METHODS,
    allocate_owners,
    allocate_teams,
    read_owners,
    read_teams,
    render_allocation,
)
from planner.cli.base import handle_errors, main, output_option
from planner.cli.output import emit, format_of, load_plan_near
from planner.errors import InputError
from planner.phasing import load_phasing


@main.command("allocate")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--by", "method", type=click.Choice(METHODS), default="owner", show_default=True,
              help="capacity / share: the target to teams; owner / sequential: the uplift to owners.")
@click.option("--teams", type=click.Path(dir_okay=False), default=None,
              help="Teams CSV: team,level,seats,per_seat (capacity) or team,last_year (share).")
@click.option("--owners", type=click.Path(dir_okay=False), default=None,
              help="Owners YAML: sequence, declared shares, cost-centre caps.")
@click.option("--phase", "phase_file", type=click.Path(dir_okay=False), default=None,
              help="A phase JSON from `planner phase`: also split every period.")
@click.option("--round", "quantum", type=float, default=1.0, show_default=True,
              help="Rounding unit (taken from --phase when given).")
@output_option
@handle_errors
def allocate_cmd(plan: str, method: str, teams: str | None, owners: str | None, phase_file: str | None,
                 quantum: float, output: str | None) -> None:
    """Split the target of PLAN (a plan JSON) so that the parts add up exactly."""
    p = load_plan_near(plan)
    phasing = load_phasing(phase_file) if phase_file else None
    if method in ("capacity", "share"):
        if not teams:
            raise InputError(f"--by {method} needs a teams file", where="--teams",
                             hint="e.g. --teams scenarios/teams/telesales_teams.csv")
        result = allocate_teams(p, read_teams(teams, method), method, phasing=phasing, quantum=quantum)
    else:
        result = allocate_owners(p, method, owners=read_owners(owners), phasing=phasing, quantum=quantum)
    emit(render_allocation(result, format_of(output)), output)
