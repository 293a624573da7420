"""A batch as the command line describes it: grids, a batch file and samples → one ``Batch``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import InputError
from planner.files import write_with
from planner.scenario import read_yaml, resolve_extends
from planner.whatif.batch import Batch, make_batch
from planner.whatif.overrides import (
    Case,
    declared_ranges,
    grid_cases,
    lhs_cases,
    parse_grid,
    parse_range,
    read_batch_file,
    read_ranges_file,
    uncertain_ranges,
)
from planner.whatif.store import read_results


@dataclass
class BatchRequest:
    file: str
    scenario: str | None = None
    grids: list[str] = field(default_factory=list)
    cases_file: str | None = None
    sample: int | None = None
    seed: int = 0
    ranges: list[str] = field(default_factory=list)
    ranges_file: str | None = None
    solver: str = "highs"
    time_limit: float | None = None
    method: str = "warm"
    multistart: bool = True


def batch_from_request(req: BatchRequest) -> Batch:
    """Grid cases (cartesian product), then the batch file's cases, then the samples; the base always first."""
    cases: list[tuple[str | None, Case]] = [("base", {})]
    grid = grid_cases([parse_grid(g) for g in req.grids])
    cases += [(None, c) for c in grid]
    if req.cases_file:
        cases += read_batch_file(req.cases_file)
    if req.sample is not None:
        raw = resolve_extends(Path(req.file), read_yaml(req.file))
        ranges = uncertain_ranges(raw)
        ranges.update(declared_ranges(raw, req.file))
        if req.ranges_file:
            ranges.update(read_ranges_file(req.ranges_file))
        ranges.update(dict(parse_range(r) for r in req.ranges))
        cases += [(f"sample{k + 1}", c) for k, c in enumerate(lhs_cases(ranges, req.sample, req.seed))]
    elif req.ranges or req.ranges_file:
        raise InputError("--range/--ranges only apply with --sample N", where="--range", hint="add --sample 100")
    if len(cases) == 1:
        raise InputError("nothing to vary", where="--grid",
                         hint='give --grid "inputs.x.assume=0.5:1.0:0.1", --cases FILE or --sample N')
    return make_batch(req.file, cases, scenario=req.scenario, solver=req.solver, time_limit=req.time_limit,
                      method=req.method, multistart=req.multistart)


def write_csv(directory: str | Path, path: str | Path) -> None:
    """All rows of a batch directory as one UTF-8 CSV (with BOM, so Excel shows Chinese correctly)."""
    frame = read_results(directory)
    write_with(path, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig"))
