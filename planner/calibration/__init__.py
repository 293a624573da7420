"""Experience values: fill a scenario's baselines from history records (``planner calibrate``).

Each input that declares ``history:`` is computed by DuckDB from CSV/Parquet files, SQL query results,
a DuckDB file or any SQLAlchemy database; the result is a new scenario file with a provenance comment
above every calibrated input, and optionally a side table. Bad data stops everything before a byte is
written.

    sources.py      the DuckDB catalogue of history tables
    spec.py         a history block bound to its table (columns, labels, SQL fragments)
    checks.py       bad-data checks: file, column and the first bad rows
    aggregate.py    the aggregation per label, annualisation, nominal values, spread, flags
    seasonality.py  the monthly index for phasing
    render.py       the calibrated YAML with comments, and the side table
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.calibration.aggregate import InputResult, aggregate
from planner.calibration.checks import check_rows
from planner.calibration.render import render_yaml, report_dict, report_text
from planner.calibration.seasonality import compute_seasonality
from planner.calibration.sources import FILE_KINDS, Catalog, read_text
from planner.calibration.spec import as_list, build_recipe
from planner.errors import InputError
from planner.files import write_atomic
from planner.scenario import InputSpec, read_yaml, resolve_extends, scenario_from_dict
from planner.tree.graph import build_model, input_dims

__all__ = ["Calibration", "calibrate", "write_calibration"]


@dataclass
class Calibration:
    """A calibrated scenario: the new file's data, and how each baseline was computed."""

    scenario: str
    data: dict[str, Any]
    inputs: dict[str, InputResult]
    seasonality: dict[str, Any] | None

    def to_yaml(self, output: str | Path | None = None) -> str:
        """The calibrated scenario; file sources are rewritten relative to ``output``'s folder, so the new
        file can be calibrated again from where it lives."""
        data = _move_sources(self.data, Path(self.scenario).parent, Path(output).parent) if output else self.data
        return render_yaml(data, self.inputs, self.scenario, self.seasonality)

    def report(self, output: str | None = None) -> dict[str, Any]:
        return report_dict(self.scenario, output, self.inputs, self.seasonality)


def calibrate(path: str | Path, *, history: list[str] | tuple[str, ...] = (), sql: list[str] | tuple[str, ...] = (),
              db: str | None = None) -> Calibration:
    """Compute every ``history:`` baseline of the scenario at ``path``.

    Parameters
    ----------
    path : the scenario YAML.
    history : CSV/Parquet/JSON files, each ``PATH`` (table named by its stem) or ``NAME=PATH``.
    sql : query files whose results are history tables (``PATH`` or ``NAME=PATH``); they run in the
        ``db`` database when it is a SQLAlchemy URL, else in DuckDB over the other tables.
    db : a DuckDB file or a SQLAlchemy URL (``sqlite:///x.db``) whose tables are history tables.
    """
    path = Path(path)
    raw = resolve_extends(path, read_yaml(path))
    raw.pop("extends", None)
    sc = scenario_from_dict(raw, source=str(path))
    wanted = {n: s for n, s in sc.inputs.items() if s.history is not None}
    season_block = raw.get("seasonality") if isinstance(raw.get("seasonality"), dict) else None
    if not wanted and not (season_block and "history" in season_block):
        raise InputError("no input declares `history:`, so there is nothing to calibrate", file=str(path),
                         where="inputs", hint="add e.g. history: {source: sales, agg: sum, value: amount} to an input")
    catalog = Catalog(base_dir=path.parent)
    try:
        _register(catalog, history, sql, db)
        results = {n: _calibrate_input(n, s, sc.dimensions, catalog) for n, s in wanted.items()}
        season = compute_seasonality(season_block, catalog) if season_block and "history" in season_block else None
    except InputError as exc:
        raise exc.with_file(str(path)) from exc.__cause__
    finally:
        catalog.close()
    data = _calibrated_data(raw, results, season)
    _check_builds(data, path)
    return Calibration(str(path), data, results, season)


def _register(catalog: Catalog, history: Any, sql: Any, db: str | None) -> None:
    if db:
        catalog.attach(db)  # first: --sql queries run in the database when it is a URL
    for item, option in [(h, "--history") for h in history] + [(q, "--sql") for q in sql]:
        name, _, file = item.rpartition("=") if "=" in item and not Path(item).exists() else ("", "", item)
        stem = name or Path(file).stem
        if stem in catalog.tables:
            raise InputError(f"two {option} tables are named {stem!r}", file=file,
                             hint=f"name one explicitly: {option} other_name={file}")
        if option == "--sql":
            catalog.add_query(read_text(Path(file)), stem, display=file)
        else:
            catalog.add_file(file, stem)


def _calibrate_input(name: str, spec: InputSpec, dims: dict[str, list[str]], catalog: Catalog) -> InputResult:
    key = f"inputs.{name}.history"
    assert spec.history is not None
    idims = _input_dims(name, spec, dims)
    recipe = build_recipe(name, key, spec.history, idims, dims, catalog)
    cover = check_rows(recipe, catalog)
    return aggregate(recipe, catalog, cover)


def _input_dims(name: str, spec: InputSpec, dims: dict[str, list[str]]) -> tuple[str, ...]:
    """The input's dimensions: ``dims:``, else its per-label baseline, else the `by` columns named like a
    dimension, else the dimension holding the `labels:` keys."""
    where = f"inputs.{name}"
    hist = spec.history
    assert hist is not None
    by = as_list(hist.by)
    if spec.dims is not None or isinstance(spec.baseline, dict):
        return input_dims(spec, dims, where)  # the core's own rules
    out = []
    for col in by:
        if col in dims:
            out.append(col)
            continue
        keys = set(map(str, hist.labels or {}))
        match = [d for d in dims if keys and keys <= set(dims[d]) and d not in out]
        if len(match) != 1:
            raise InputError(f"cannot tell which dimension the `by: {col}` column holds", where=f"{where}.dims",
                             hint=f"add dims: [<one of {', '.join(dims) or 'no dimensions declared'}>] to the input")
        out.append(match[0])
    return tuple(out)


def _calibrated_data(raw: dict[str, Any], results: dict[str, InputResult],
                     season: dict[str, Any] | None) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    for name, res in results.items():
        spec = data["inputs"][name]
        new = {"baseline": res.baseline()}
        # baseline first, the rest of the input as written
        data["inputs"][name] = {**new, **{k: v for k, v in spec.items() if k != "baseline"}}
    if season is not None:
        data["seasonality"] = season
    return data


def _move_sources(data: dict[str, Any], old: Path, new: Path) -> dict[str, Any]:
    data = copy.deepcopy(data)
    blocks = [spec.get("history") for spec in data.get("inputs", {}).values() if isinstance(spec, dict)]
    if isinstance(data.get("seasonality"), dict):
        blocks.append(data["seasonality"].get("history"))
    for block in blocks:
        if not isinstance(block, dict):
            continue
        src = block.get("source")
        if isinstance(src, str) and Path(src).suffix.lower() in FILE_KINDS and not Path(src).is_absolute():
            block["source"] = Path(os.path.relpath((old / src).resolve(), new.resolve())).as_posix()
    return data


def _check_builds(data: dict[str, Any], path: Path) -> None:
    """The calibrated scenario must load and build; a baseline the model refuses (a lever at 0) is an error now."""
    try:
        build_model(scenario_from_dict(data, source=str(path)))
    except InputError as exc:
        raise InputError(f"the calibrated scenario does not build: {exc.message}", file=str(path), where=exc.where,
                         hint=exc.hint or "check the history behind this baseline") from exc


def write_calibration(cal: Calibration, output: str | Path | None, report: str | Path | None = None) -> None:
    """Write the calibrated YAML and/or the side table (JSON or CSV by suffix), each whole or not at all."""
    texts = []
    if output is not None:
        texts.append((output, cal.to_yaml(output)))
    if report is not None:
        fmt = "csv" if str(report).lower().endswith(".csv") else "json"
        texts.append((report, report_text(cal.report(str(output) if output else None), fmt)))
    for path, text in texts:  # both rendered before either is written
        write_atomic(path, text)
