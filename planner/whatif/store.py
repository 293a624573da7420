"""Batch results on disk: a directory of Parquet parts plus a journal, safe against SIGKILL.

Each finished row is appended to ``_journal.jsonl`` at once (one line, flushed): a kill loses only the
scenarios still being solved. Every ``chunk`` rows (and at the end) the journal is compacted into a
new ``part-*.parquet`` written atomically (temp file + rename, ``planner.files``), then emptied. A
kill between the two leaves a row in both: readers keep the first copy of each ``id``. A torn last
journal line (killed mid-write) is ignored. Temp files start with a dot, which Parquet readers skip.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError
from planner.files import write_with

JOURNAL = "_journal.jsonl"  # "_" and "." files are skipped by Parquet readers (pd.read_parquet(dir) works)
NUMERIC = ("effort", "cost", "required", "achieved", "max_reachable", "solve_seconds", "cpu_seconds")


class ResultStore:
    """Append-only result rows keyed by ``id``; ``done()`` tells a resumed run what to skip."""

    def __init__(self, directory: str | Path, *, chunk: int = 200) -> None:
        self.dir = Path(directory)
        if self.dir.exists() and not self.dir.is_dir():
            raise InputError("the batch output must be a directory (Parquet parts are written inside it)",
                             file=str(self.dir), hint="give a new directory name, e.g. -o results/")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.chunk = chunk
        # Rows a killed run journaled but never compacted (minus any that reached a part before the kill).
        in_parts = set(_part_ids(self.dir))
        self.pending = list({str(r["id"]): r for r in _journal_rows(self.dir / JOURNAL)
                             if str(r["id"]) not in in_parts}.values())
        self._journal = open(self.dir / JOURNAL, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._seq = 0

    def done(self) -> set[str]:
        """Ids of every row already stored (parts and journal)."""
        ids = set(_part_ids(self.dir))
        ids.update(str(r["id"]) for r in self.pending)
        return ids

    def add(self, row: dict[str, Any]) -> None:
        self._journal.write(json.dumps(_plain(row), ensure_ascii=False, allow_nan=False) + "\n")
        self._journal.flush()
        self.pending.append(row)
        if len(self.pending) >= self.chunk:
            self.compact()

    def compact(self) -> None:
        """Move journaled rows into a new Parquet part (atomically), then empty the journal."""
        if not self.pending:
            return
        frame = _typed(pd.DataFrame(self.pending))
        self._seq += 1
        # Time first (parts sort in the order written), a random tail so two stores never collide.
        name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{self._seq:05d}-{uuid.uuid4().hex[:8]}.parquet"
        write_with(self.dir / name, lambda tmp: frame.to_parquet(tmp, index=False))
        self._journal.truncate(0)
        self._journal.seek(0)
        self.pending = []

    def close(self) -> None:
        self.compact()
        self._journal.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(directory: str | Path) -> pd.DataFrame:
    """Every stored row (parts, then journal), one per ``id``, in the order they were stored."""
    d = Path(directory)
    if not d.is_dir():
        raise InputError("no batch results here", file=str(d), hint="give the directory `planner batch -o` wrote")
    frames = [pd.read_parquet(p) for p in _parts(d)]
    rows = _journal_rows(d / JOURNAL)
    if rows:
        frames.append(pd.DataFrame(rows))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return out.drop_duplicates("id", keep="first").reset_index(drop=True)


def _parts(d: Path) -> list[Path]:
    return sorted(p for p in d.glob("part-*.parquet") if not p.name.startswith("."))


def _part_ids(d: Path) -> list[str]:
    ids: list[str] = []
    for p in _parts(d):
        ids.extend(str(v) for v in pd.read_parquet(p, columns=["id"])["id"])
    return ids


def _journal_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a kill: that scenario was in flight, it reruns
    return rows


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Result columns are float64 in every part (so parts share one schema); a column mixing text and
    numbers (a grid of 5 and "abc") is stored as text."""
    for col in frame.columns:
        if col in NUMERIC or str(col).startswith("uplift:"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
            continue
        if frame[col].dtype == object:
            vals = frame[col].dropna()
            if len({isinstance(v, str) for v in vals}) > 1:
                frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return frame


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
