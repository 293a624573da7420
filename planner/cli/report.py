"""``planner report``: one self-contained HTML page per plan (and a PDF copy with ``--pdf``)."""

from __future__ import annotations

from pathlib import Path

import click

from planner.cli.base import handle_errors, main
from planner.report.html_extras import load_extras
from planner.result import load_plan


@main.command("report")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--compare", type=click.Path(dir_okay=False), help="JSON from `planner compare --format json`.")
@click.option("--sensitivity", type=click.Path(dir_okay=False), help="JSON from `planner sensitivity --format json`.")
@click.option("--phasing", type=click.Path(dir_okay=False), multiple=True,
              help="JSON from `planner phase` and/or `planner allocate` (repeat for both).")
@click.option("--tracking", type=click.Path(dir_okay=False), help="JSON from `planner track --format json`.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The HTML file to write [default: PLAN with .html].")
@click.option("--pdf", type=click.Path(dir_okay=False), default=None,
              help="Also print a static PDF copy (needs Chromium).")
@handle_errors
def report_cmd(plan: str, compare: str | None, sensitivity: str | None, phasing: tuple[str, ...],
               tracking: str | None, output: str | None, pdf: str | None) -> None:
    """Write one self-contained HTML report of PLAN (the JSON of `planner solve --format json`)."""
    from planner.report.html import write_report  # plotly loads only for this command

    loaded = load_plan(plan)
    extras = load_extras(compare=compare, sensitivity=sensitivity, phasing=list(phasing) or None, tracking=tracking)
    out = Path(output) if output else Path(plan).with_suffix(".html")
    write_report(loaded, out, pdf=pdf, base_dir=Path(plan).parent, **extras)
    click.echo(f"wrote {out}" + (f" and {pdf}" if pdf else ""))
