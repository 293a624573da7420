"""``planner calibrate``: fill a scenario's baselines from history records (experience values)."""

from __future__ import annotations

import click

from planner.cli.base import handle_errors, main, output_option


@main.command("calibrate")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--history", "history", multiple=True, metavar="[NAME=]FILE",
              help="A CSV/Parquet/JSON history file; its table is named by the file stem (repeatable).")
@click.option("--sql", "sql", multiple=True, metavar="[NAME=]FILE",
              help="A query file whose result is a history table, named by the file stem (repeatable).")
@click.option("--db", default=None, metavar="PATH_OR_URL",
              help="A DuckDB file, or a SQLAlchemy URL such as sqlite:///sales.db; its tables are history tables.")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="Also write the provenance side table (.json or .csv).")
@output_option
@handle_errors
def calibrate_cmd(scenario: str, history: tuple[str, ...], sql: tuple[str, ...], db: str | None,
                  report: str | None, output: str | None) -> None:
    """Compute the baselines of SCENARIO's `history:` inputs and write the calibrated scenario.

    Without -o the calibrated YAML goes to the terminal. Bad history data (missing columns, text in
    numbers, negatives, duplicate keys, dates outside the period) stops with exit 1 and writes nothing.
    """
    from planner.calibration import calibrate, write_calibration

    cal = calibrate(scenario, history=history, sql=sql, db=db)
    write_calibration(cal, output, report)
    if output is None:
        click.echo(cal.to_yaml(), nl=False)
        return
    for res in cal.inputs.values():
        click.echo(f"{res.name}: {res.rows:,} rows from {res.source}")
        for flag in res.flags:
            click.echo(f"  ! {flag}")
    if cal.seasonality:
        click.echo(f"seasonality: {cal.seasonality['rows']:,} rows from {cal.seasonality['source']}")
    click.echo(f"wrote {output}" + (f" and {report}" if report else ""))
