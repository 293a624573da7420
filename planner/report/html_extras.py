"""Read the optional JSON inputs of ``planner report`` (comparison, sensitivity, phasing, tracking)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.files import read_json

_HINTS = {"compare": "planner compare FILE --format json -o compare.json",
          "sensitivity": "planner sensitivity FILE --format json -o sens.json",
          "phasing": "planner phase PLAN.json -o phase.json (or planner allocate ... -o alloc.json)",
          "tracking": "planner track PLAN.json --actuals ... --format json -o track.json"}


def read_extra(path: str | Path, what: str) -> Any:
    """One JSON document holding a mapping or a list; errors name the file, the option and the fix."""
    data = read_json(path, written_by=_HINTS[what], where=f"--{what}")
    if not isinstance(data, dict | list):
        raise InputError(f"expected a JSON object or list, got {type(data).__name__}", file=str(path),
                         where=f"--{what}", hint=f"give the JSON written by `{_HINTS[what]}`")
    return data


def load_extras(**paths: str | list[str] | None) -> dict[str, Any]:
    """``{name: parsed JSON}`` for each given path (a list of paths gives a list of documents)."""
    out: dict[str, Any] = {}
    for what, p in paths.items():
        if p is None:
            continue
        out[what] = [read_extra(x, what) for x in p] if isinstance(p, list) else read_extra(p, what)
    return out
