"""File I/O shared by every output: whole-or-nothing writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success rename it over ``path``, on failure delete it.

    Libraries that insist on writing a file themselves (openpyxl, matplotlib, pyarrow) write to
    the yielded path, so a crash never leaves a half-written output behind.
    """
    from planner.errors import InputError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", file=str(path), where="--output",
                         hint="choose a folder you can write to") from None
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); outputs are for sharing, so use the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole file or nothing (UTF-8 for text)."""
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")


def write_with(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result into place atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def read_json(path: str | Path, *, written_by: str, where: str | None = None) -> Any:
    """Read one JSON document; every failure is an InputError naming the file and the command
    that writes such a file (``written_by``, e.g. "planner phase PLAN.json -o phase.json")."""
    import json

    from planner.errors import InputError

    path = Path(path)
    hint = f"give the JSON written by `{written_by}`"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), where=where, hint="check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(path), where=where, hint=hint) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}", file=str(path),
                         where=where, hint=hint) from None


def load_json_as(path: str | Path, parse: Callable[[Any], T], *, written_by: str) -> T:
    """Read a JSON file written by one of planner's commands and parse it (``Plan.from_dict`` ...);
    a parse error names the file."""
    from planner.errors import InputError

    data = read_json(path, written_by=written_by)
    try:
        return parse(data)
    except InputError as exc:
        raise exc.with_file(str(path)) from None
