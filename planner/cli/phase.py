"""``planner phase``: spread a plan's annual figures over months or ISO weeks."""

from __future__ import annotations

import click

from planner.cli.base import handle_errors, main, output_option
from planner.cli.output import emit, format_of, load_plan_near
from planner.phasing import phase_plan, read_seasonality, render_phasing


def phasing_options(func):  # noqa: ANN001, ANN201 - shared by phase, allocate and export
    func = click.option("--round", "quantum", type=float, default=1.0, show_default=True,
                        help="Display unit flows are rounded to (1 = whole 元 or customers, 10000 = whole 万); "
                             "periods add up exactly to the rounded annual figure.")(func)
    func = click.option("--ramp", type=float, default=0.0, show_default=True,
                        help="Months over which uplifts reach their full run rate (linear from last year's).")(func)
    func = click.option("--seasonality", default=None,
                        help="Monthly index: a YAML/JSON/CSV file, inline `1=1.3,2=0.8`, `scenario` "
                             "(the scenario's `seasonality:`; the default when it has one) or `none`.")(func)
    func = click.option("--country", default="CN", show_default=True,
                        help="Holiday calendar: CN (with make-up workdays 调休) or any ISO code `holidays` knows.")(func)
    return func


@main.command("phase")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--year", type=int, required=True, help="The plan year, e.g. 2026.")
@click.option("--by", type=click.Choice(["month", "week"]), default="month", show_default=True,
              help="Months, or ISO weeks cut at the year boundary.")
@phasing_options
@output_option
@handle_errors
def phase_cmd(plan: str, year: int, by: str, country: str, seasonality: str | None, ramp: float,
              quantum: float, output: str | None) -> None:
    """Phase the target, every flow and every lever of PLAN (a plan JSON) over the year."""
    p = load_plan_near(plan)
    season, source = read_seasonality(seasonality, p, year, country)
    result = phase_plan(p, year, by, country=country, seasonality=season, seasonality_source=source,
                        ramp=ramp, quantum=quantum)
    emit(render_phasing(result, format_of(output)), output)
