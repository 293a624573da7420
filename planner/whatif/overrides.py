"""What a what-if changes: dotted paths into the scenario, grids, batch files and Latin hypercube samples.

A *case* is a plain mapping ``{dotted path: value}`` such as ``{"inputs.sufficiency.assume": 0.6}``.
It becomes an override dict and goes through ``scenario.apply_override`` and ``scenario_from_dict``,
so every validation of a hand-written scenario applies to it too.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from planner.errors import InputError
from planner.scenario import Scenario, apply_override, deep_merge, read_yaml, scenario_from_dict

Case = dict[str, Any]


def path_override(path: str, value: Any) -> dict[str, Any]:
    """``"inputs.x.max", 5`` → ``{"inputs": {"x": {"max": 5}}}``."""
    keys = [k for k in str(path).split(".")]
    if not path or any(not k.strip() for k in keys):
        raise InputError(f"bad key path {path!r}", where=str(path),
                         hint="write dotted keys such as inputs.sufficiency.assume or budget.cost")
    out: Any = value
    for k in reversed(keys):
        out = {k.strip(): out}
    return out


def case_override(case: Case) -> dict[str, Any]:
    """All of a case's dotted paths merged into one override dict."""
    out: dict[str, Any] = {}
    for path, value in case.items():
        out = deep_merge(out, path_override(path, value))
    return out


def apply_case(raw: dict[str, Any], case: Case, *, scenario: str | None = None, source: str | None = None) -> Scenario:
    """The scenario ``raw`` (its named what-if ``scenario`` first) with the case's values set; validated."""
    if scenario and scenario != "base":
        named = raw.get("scenarios") or {}
        if scenario not in named:
            return scenario_from_dict(raw, scenario, source=source)  # raises the "no scenario named" error
        raw = apply_override(raw, named[scenario], where=f"scenarios.{scenario}", source=source)
    if case:
        raw = apply_override(raw, case_override(case), where="case", source=source)
    sc = scenario_from_dict(raw, None, source=source)
    sc.scenario_name = scenario or "base"
    return sc


# --- grids ----------------------------------------------------------------------------------------

def parse_value(text: str) -> Any:
    """A grid or batch value: YAML scalar rules (numbers, true/false, strings)."""
    text = text.strip()
    for conv in (int, float):  # YAML 1.1 reads "3e6" as text; a number is meant
        try:
            return conv(text)
        except ValueError:
            pass
    try:
        v = yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        return text
    return v if isinstance(v, int | float | str | bool) or v is None else text


def parse_grid(spec: str) -> tuple[str, list[Any]]:
    """``"a.b=0.5:1.0:0.05"`` (inclusive range) or ``"a.b=1,2,3"`` → ``("a.b", [values])``."""
    if "=" not in spec:
        raise InputError(f"bad grid {spec!r}", where="--grid",
                         hint='write PATH=START:STOP:STEP or PATH=V1,V2,... e.g. "inputs.sufficiency.assume=0.5:1.0:0.05"')
    path, _, rhs = spec.partition("=")
    path, rhs = path.strip(), rhs.strip()
    if not rhs:
        raise InputError(f"grid {path!r} has no values", where="--grid", hint="give values after =")
    if ":" in rhs and "," not in rhs:
        return path, _range(rhs, spec)
    return path, [parse_value(v) for v in rhs.split(",") if v.strip()]


def _range(rhs: str, spec: str) -> list[float]:
    parts = [parse_value(p) for p in rhs.split(":")]
    if len(parts) != 3 or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in parts):
        raise InputError(f"bad range in {spec!r}", where="--grid", hint="write START:STOP:STEP with numbers")
    lo, hi, step = (float(p) for p in parts)
    if step <= 0 or hi < lo:
        raise InputError(f"bad range in {spec!r}: need STOP ≥ START and STEP > 0", where="--grid")
    n = int(math.floor((hi - lo) / step + 1e-9)) + 1
    if n > 1_000_000:
        raise InputError(f"range {spec!r} has {n} values", where="--grid", hint="use a larger step")
    # Round away float noise (0.1 + 2*0.05 = 0.20000000000000004) so values print and match cleanly.
    return [float(f"{lo + i * step:.12g}") for i in range(n)]


def grid_cases(grids: list[tuple[str, list[Any]]]) -> list[Case]:
    """The cartesian product of the grids, first grid varying slowest."""
    if not grids:
        return []
    paths = [p for p, _ in grids]
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(v for _, v in grids))]


# --- batch files ----------------------------------------------------------------------------------

def read_batch_file(path: str | Path) -> list[tuple[str | None, Case]]:
    """A batch file: YAML (a list of {path: value} mappings, or {name: {path: value}}) or CSV (a column per path).

    A ``name`` key or column names the case.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _read_csv_batch(path)
    data = read_yaml(path) if path.suffix.lower() in (".yaml", ".yml") and _is_mapping_file(path) else _read_list(path)
    items = list(data.items()) if isinstance(data, dict) else [(None, d) for d in data]
    out: list[tuple[str | None, Case]] = []
    for k, (name, case) in enumerate(items):
        if not isinstance(case, dict):
            raise InputError(f"case {k + 1} is not a mapping of key paths to values", file=str(path),
                             where=f"case {k + 1}", hint="write e.g. - {inputs.sufficiency.assume: 0.6}")
        case = dict(case)
        name = case.pop("name", name)
        out.append((None if name is None else str(name), _flatten(case)))
    return out


def _is_mapping_file(path: Path) -> bool:
    try:
        return isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True  # let read_yaml report it


def _read_list(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), hint="check the path") from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML syntax error: {exc}", file=str(path)) from None
    if not isinstance(data, list):
        raise InputError("a batch file holds a list of cases", file=str(path),
                         hint="write one `- {inputs.x.max: 5}` line per case")
    return data


def _flatten(case: dict[str, Any], prefix: str = "") -> Case:
    """Nested mappings become dotted paths, so both ``{budget: {cost: 1}}`` and ``{budget.cost: 1}`` work."""
    out: Case = {}
    for k, v in case.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and not key.startswith("scenarios"):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _read_csv_batch(path: Path) -> list[tuple[str | None, Case]]:
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), hint="check the path") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read CSV: {exc}", file=str(path), hint="save it as UTF-8 CSV with a header row") from None
    out: list[tuple[str | None, Case]] = []
    for rec in df.to_dict("records"):
        name = rec.pop("name", None) or None
        out.append((name, {k: parse_value(v) for k, v in rec.items() if str(v).strip() != ""}))
    return out


# --- ranges and Latin hypercube -------------------------------------------------------------------

def parse_range(spec: str) -> tuple[str, tuple[float, float]]:
    """``"inputs.x.assume=0.5:1.0"`` → ``("inputs.x.assume", (0.5, 1.0))``."""
    path, _, rhs = spec.partition("=")
    parts = [parse_value(p) for p in rhs.split(":")]
    if not path.strip() or len(parts) != 2 or not all(isinstance(p, int | float) and not isinstance(p, bool)
                                                          for p in parts):
        raise InputError(f"bad range {spec!r}", where="--range", hint="write PATH=LOW:HIGH, e.g. budget.cost=3e6:8e6")
    lo, hi = float(parts[0]), float(parts[1])
    if hi < lo:
        raise InputError(f"bad range {spec!r}: HIGH < LOW", where="--range")
    return path.strip(), (lo, hi)


def read_ranges_file(path: str | Path) -> dict[str, tuple[float, float]]:
    """A YAML mapping ``{dotted path: [low, high]}``."""
    data = read_yaml(path)
    out: dict[str, tuple[float, float]] = {}
    for k, v in _flatten_ranges(data).items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v) and v[0] <= v[1]):
            raise InputError(f"range for {k!r} must be [low, high] with low ≤ high (got {v!r})", file=str(path),
                             where=k)
        out[k] = (float(v[0]), float(v[1]))
    return out


def declared_ranges(raw: dict[str, Any], source: str | None = None) -> dict[str, tuple[float, float]]:
    """A scenario's own ``sample_ranges: {dotted path: [low, high]}`` block (once the schema has the field)."""
    out: dict[str, tuple[float, float]] = {}
    for k, v in _flatten_ranges(raw.get("sample_ranges") or {}).items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v) and v[0] <= v[1]):
            raise InputError(f"range for {k!r} must be [low, high] with low ≤ high (got {v!r})", file=source,
                             where=f"sample_ranges.{k}")
        out[k] = (float(v[0]), float(v[1]))
    return out


def _flatten_ranges(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out.update(_flatten_ranges(v, key) if isinstance(v, dict) else {key: v})
    return out


def uncertain_ranges(raw: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Ranges declared in the scenario itself: each scalar input's ``uncertain:`` block gives ``assume``'s range.

    triangular/uniform: [low, high]; normal: mean ± 2 sd; lognormal: median·exp(± 2 sigma) around ``mean``
    (or the input's value).
    """
    out: dict[str, tuple[float, float]] = {}
    for name, spec in (raw.get("inputs") or {}).items():
        u = (spec or {}).get("uncertain") if isinstance(spec, dict) else None
        if not isinstance(u, dict) or isinstance(spec.get("baseline"), dict):
            continue
        centre = spec.get("assume", spec.get("baseline"))
        lo, hi = u.get("low"), u.get("high")
        if u.get("dist") == "normal" and u.get("sd") is not None:
            m = u.get("mean", centre)
            lo, hi = m - 2 * u["sd"], m + 2 * u["sd"]
        elif u.get("dist") == "lognormal" and u.get("sigma") is not None:
            m = u.get("mean", centre)
            lo, hi = m * math.exp(-2 * u["sigma"]), m * math.exp(2 * u["sigma"])
        if lo is not None and hi is not None:
            out[f"inputs.{name}.assume"] = (float(lo), float(hi))
    return out


def lhs_cases(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[Case]:
    """``n`` Latin hypercube points over the ranges (scipy's LatinHypercube, seeded): one value per stratum."""
    from scipy.stats import qmc

    if not ranges:
        raise InputError("--sample needs ranges", where="--sample",
                         hint="declare `uncertain: {dist: uniform, low: .., high: ..}` on inputs, or give "
                              "--range PATH=LOW:HIGH / --ranges FILE")
    if n < 1:
        raise InputError(f"--sample must be ≥ 1 (got {n})", where="--sample")
    paths = list(ranges)
    unit = qmc.LatinHypercube(d=len(paths), seed=np.random.default_rng(seed)).random(n)
    lo = np.array([ranges[p][0] for p in paths])
    hi = np.array([ranges[p][1] for p in paths])
    pts = qmc.scale(unit, lo, hi) if np.all(hi > lo) else lo + unit * (hi - lo)
    return [{p: float(f"{v:.12g}") for p, v in zip(paths, row, strict=True)} for row in pts]
