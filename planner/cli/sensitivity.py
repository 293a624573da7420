"""``planner sensitivity``: shadow prices, tornado, frontier and (with `uncertain:` inputs) the odds."""

from __future__ import annotations

import json

import click

from planner.cli.base import format_option, handle_errors, main
from planner.cli.solve import solver_options
from planner.errors import InputError
from planner.files import write_atomic
from planner.whatif.analysis import (
    PARTS,
    SensitivityRequest,
    analyse,
    plain,
    sensitivity_csv,
    sensitivity_sheets,
    sensitivity_table,
)


@main.command("sensitivity")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--scenario", "-s", default=None, help="A named what-if of the file.")
@click.option("--only", "only", multiple=True, type=click.Choice(PARTS), help="Run only these parts (repeatable).")
@click.option("--pct", type=float, default=0.10, show_default=True, help="Tornado: move each value ± this share.")
@click.option("--upto", type=float, default=15.0, show_default=True, help="Frontier: up to this × last year.")
@click.option("--points", type=int, default=15, show_default=True, help="Frontier: number of targets.")
@click.option("--samples", type=int, default=100_000, show_default=True, help="Monte Carlo samples.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--robust", type=float, default=None, help="Also the least-effort plan hitting the target in this "
              "share of samples (e.g. 0.8).")
@click.option("--tornado-chart", type=click.Path(dir_okay=False), default=None, help="Write the tornado (.png/.svg).")
@click.option("--frontier-chart", type=click.Path(dir_okay=False), default=None, help="Write the frontier (.png/.svg).")
@format_option()
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file; .xlsx gives a workbook with one sheet per view.")
@solver_options
@handle_errors
def sensitivity_cmd(file: str, scenario: str | None, only: tuple[str, ...], pct: float, upto: float, points: int,
                    samples: int, seed: int, robust: float | None, tornado_chart: str | None,
                    frontier_chart: str | None, fmt: str, output: str | None, solver: str, ladder: float | None,
                    time_limit: float | None) -> None:
    """What moves the plan for FILE: shadow prices, tornado, frontier, probability of hitting the target."""
    if not 0 < pct < 1:
        raise InputError(f"--pct must be between 0 and 1 (got {pct})", where="--pct", hint="e.g. --pct 0.1 for ±10%")
    if upto <= 1 or points < 2:
        raise InputError("--upto must be > 1 and --points ≥ 2", where="--upto")
    if samples < 100:
        raise InputError(f"--samples must be ≥ 100 (got {samples})", where="--samples")
    if ladder is not None:
        raise InputError("--ladder is not supported by sensitivity", where="--ladder")
    for chart in (tornado_chart, frontier_chart):
        if chart and not chart.lower().endswith((".png", ".svg")):
            raise InputError("charts are .png or .svg", file=chart, hint="e.g. --tornado-chart tornado.png")
    d = analyse(SensitivityRequest(file, scenario, tuple(only) or PARTS, pct, upto, points, samples, seed, robust,
                                   solver, time_limit))
    _charts(d, tornado_chart, frontier_chart)
    if output and output.lower().endswith(".xlsx"):
        from planner.whatif.workbook import write_workbook

        write_workbook(output, sensitivity_sheets(d))
        click.echo(f"wrote {output}", err=True)
        return
    text = {"json": lambda x: json.dumps(plain(x), ensure_ascii=False, indent=2, allow_nan=False) + "\n",
            "csv": sensitivity_csv}.get(fmt, sensitivity_table)(d)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _charts(d: dict, tornado: str | None, frontier: str | None) -> None:
    from planner.report.charts import frontier_chart, tornado_chart

    if tornado and "tornado" in d:
        tornado_chart(d["tornado"], tornado, metric=d["metric"], pct=d["pct"])
        click.echo(f"wrote {tornado}", err=True)
    if frontier and "frontier" in d:
        frontier_chart(d["frontier"], frontier)
        click.echo(f"wrote {frontier}", err=True)
