"""``planner track``: actuals against the plan — the five answers, JSON, workbook and charts."""

from __future__ import annotations

import click

from planner.cli.base import format_option, handle_errors, main, output_option


@main.command("track")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--actuals", required=True, type=click.Path(dir_okay=False),
              help="CSV or Parquet: period|date, team, product, metric, value (or one column per metric).")
@click.option("--as-of", "as_of", default=None, help="Cut-off date, e.g. 2026-06-30 (default: end of the last month).")
@click.option("--year", type=int, default=None, help="Plan year (default: the year of --as-of or of the actuals).")
@click.option("--teams", default=None, type=click.Path(dir_okay=False),
              help="Team targets: the teams CSV (capacity or last_year) or an allocation JSON of `planner allocate`.")
@click.option("--seasonality", default=None, help="As for `planner phase` (default: the scenario's, else flat).")
@click.option("--ramp", type=float, default=0.0, show_default=True, help="As for `planner phase`.")
@click.option("--country", default="CN", show_default=True, help="Holiday calendar for working days.")
@click.option("--tolerance", type=float, default=0.03, show_default=True, help="Within ±this of target = on plan.")
@click.option("--persistent", type=int, default=3, show_default=True, help="Behind in ≥ N of the last --window months …")
@click.option("--window", type=int, default=4, show_default=True, help="… = persistently behind.")
@click.option("--environment", type=float, default=0.75, show_default=True,
              help="Share of teams behind that means the environment, not a local problem.")
@click.option("--trend", type=float, default=0.01, show_default=True, help="Monthly rise of completion that is a trend.")
@click.option("--drop", type=float, default=0.10, show_default=True, help="A rate this far below plan is a drop.")
@click.option("--no-replan", is_flag=True, help="Skip the re-plan of the remaining months.")
@click.option("--xlsx", default=None, type=click.Path(dir_okay=False), help="Also write a workbook.")
@click.option("--charts", default=None, type=click.Path(file_okay=False), help="Also write PNG charts into this folder.")
@format_option(("table", "json"))
@output_option
@handle_errors
def track_cmd(plan: str, actuals: str, as_of: str | None, year: int | None, teams: str | None,
              seasonality: str | None, ramp: float, country: str, tolerance: float, persistent: int, window: int,
              environment: float, trend: float, drop: float, no_replan: bool, xlsx: str | None, charts: str | None,
              fmt: str, output: str | None) -> None:
    """Track PLAN (a plan JSON) against actuals: completion, forecast, diagnosis, attribution, re-plan."""
    from planner.cli.output import emit, load_plan_near
    from planner.phasing import read_seasonality
    from planner.tracking import Thresholds, render_text, track

    p = load_plan_near(plan)
    season, _ = read_seasonality(seasonality, p, year, country)
    th = Thresholds(tolerance, persistent, window, environment, trend, drop)
    result = track(p, actuals, as_of=as_of, year=year, teams=teams, thresholds=th, country=country,
                   seasonality=season, ramp=ramp, do_replan=not no_replan)
    text = result.to_json() if fmt == "json" or (output or "").lower().endswith(".json") else render_text(result)
    if xlsx:
        from planner.tracking.workbook import write_track_workbook

        write_track_workbook(xlsx, result.to_dict())
        click.echo(f"wrote {xlsx}", err=True)
    if charts:
        from planner.report.track_charts import write_charts

        for f in write_charts(result.to_dict(), charts):
            click.echo(f"wrote {f}", err=True)
    emit(text, output)
