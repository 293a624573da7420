"""``planner batch``: thousands of what-ifs (grids, a batch file, Latin hypercube samples) to Parquet."""

from __future__ import annotations

import sys

import click

from planner.cli.base import handle_errors, main
from planner.cli.solve import solver_options
from planner.errors import InputError
from planner.whatif.batch import run_batch
from planner.whatif.request import BatchRequest, batch_from_request, write_csv
from planner.whatif.runners import dask_runner, process_pool
from planner.whatif.store import ResultStore


@main.command("batch")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--scenario", "-s", default=None, help="Start from this named what-if of the file.")
@click.option("--grid", "grids", multiple=True, help='PATH=START:STOP:STEP (inclusive) or PATH=V1,V2,...; '
              'several --grid give the cartesian product. e.g. "inputs.sufficiency.assume=0.5:1.0:0.05"')
@click.option("--cases", "cases_file", type=click.Path(dir_okay=False), default=None,
              help="A batch file: YAML list of {path: value} mappings, or CSV with one column per path.")
@click.option("--sample", type=int, default=None, help="N Latin hypercube samples over the declared ranges.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--range", "ranges", multiple=True, help="PATH=LOW:HIGH, a range for --sample (adds to the "
              "ranges the file's `uncertain:` blocks declare).")
@click.option("--ranges", "ranges_file", type=click.Path(dir_okay=False), default=None,
              help="YAML {path: [low, high]} ranges for --sample.")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False),
              help="Directory of Parquet results; re-running the same command resumes it.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Also write all rows as CSV.")
@click.option("--workers", type=int, default=None, help="Local processes (default: all cores).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--exact", is_flag=True, help="Full global solve per scenario (proven optimal, much slower) "
              "instead of a verified warm re-solve from the base plan.")
@click.option("--single-start", "single_start", is_flag=True, help="Warm re-solves start from the base plan only "
              "(about 15% faster; by default they also start from the uniform plan and keep the better one).")
@click.option("--limit", type=int, default=None, help="Run at most this many new scenarios now (resume later).")
@solver_options
@handle_errors
def batch_cmd(file: str, scenario: str | None, grids: tuple[str, ...], cases_file: str | None, sample: int | None,
              seed: int, ranges: tuple[str, ...], ranges_file: str | None, output: str, csv_path: str | None,
              workers: int | None, executor: str, scheduler: str | None, exact: bool, single_start: bool,
              limit: int | None,
              solver: str, ladder: float | None, time_limit: float | None) -> None:
    """Solve FILE under every combination of overrides; one row per scenario in OUTPUT (Parquet)."""
    if ladder is not None:
        raise InputError("--ladder is not supported by batch", where="--ladder", hint="use `planner solve --ladder`")
    if executor == "dask" and not scheduler:
        raise InputError("--executor dask needs --scheduler tcp://HOST:PORT", where="--scheduler",
                         hint="start a scheduler with `dask scheduler`")
    req = BatchRequest(file, scenario, list(grids), cases_file, sample, seed, list(ranges), ranges_file,
                       solver, time_limit, "exact" if exact else "warm", not single_start)
    batch = batch_from_request(req)
    runner = dask_runner(scheduler) if executor == "dask" else process_pool(workers)
    with ResultStore(output) as store:
        done = store.done()
        bar = _progress(sum(c.id not in done for c in batch.cases))
        summary = run_batch(batch, store, runner, limit=limit, progress=bar.update if bar else None)
    if bar:
        bar.close()
    if csv_path:
        write_csv(output, csv_path)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items())) or "nothing new"
    click.echo(f"{summary.ran} scenario(s) solved in {summary.seconds:.1f}s ({counts}); "
               f"{summary.skipped} already in {output}; {len(batch.cases)} in the batch.", err=True)


def _progress(total: int):  # noqa: ANN202 - a tqdm bar on a terminal only
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="scenario", file=sys.stderr)
