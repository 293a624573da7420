"""Where history rows come from: one in-process DuckDB catalogue of files, queries and databases.

CSV and Parquet files are queried in place (never loaded into Python); a DuckDB file is attached
read-only; any other database is read through a SQLAlchemy URL and its tables handed to DuckDB.
Every name a scenario's ``history.source`` can use resolves here to one ``Table``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from planner.errors import InputError

FILE_KINDS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
              ".json": "json", ".jsonl": "json", ".ndjson": "json", ".sql": "sql"}
_IDENT = re.compile(r"^[^\W\d]\w*$")


def quote(name: str) -> str:
    """A SQL identifier, quoted so that Chinese or odd column names work."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Table:
    """One queryable history table: ``sql`` is what goes after FROM; ``display`` names it in messages."""

    name: str
    sql: str
    display: str
    kind: str  # csv | parquet | json | sql | duckdb | database
    columns: dict[str, str]  # name → DuckDB type, in file order

    @property
    def rows_are_lines(self) -> bool:
        """CSV rows map to file lines (header is line 1), so errors can say "line N"."""
        return self.kind == "csv"

    def column(self, name: str) -> str | None:
        """The real column name for ``name`` (DuckDB matches names case-insensitively)."""
        if name in self.columns:
            return name
        low = {c.lower(): c for c in self.columns}
        return low.get(name.lower())


class Catalog:
    """A DuckDB connection plus the named history tables registered on it."""

    def __init__(self, base_dir: Path | None = None) -> None:
        self.con = duckdb.connect()
        self.base_dir = base_dir or Path.cwd()
        self.tables: dict[str, Table] = {}
        self._db_url: str | None = None
        self._db_schema: str | None = None
        self._db_tables: list[str] = []
        # Paths inside queries (FROM 'sales.csv') resolve against the scenario's and the query's folders.
        self._search: list[str] = []
        for d in (Path.cwd(), self.base_dir):
            self._search_in(d)

    def _search_in(self, directory: Path) -> None:
        d = str(directory.resolve())
        if d not in self._search:
            self._search.append(d)
            self.con.execute(f"SET file_search_path = {literal(','.join(self._search))}")

    def close(self) -> None:
        self.con.close()

    # --- registering ---------------------------------------------------------------------------

    def add_file(self, path: str | Path, name: str | None = None) -> Table:
        """Register a CSV/Parquet/JSON file (or glob) or a .sql query file under ``name`` (default: its stem)."""
        path = Path(path)
        kind = FILE_KINDS.get(path.suffix.lower())
        if kind is None:
            raise InputError(f"unknown history file type {path.suffix!r}", file=str(path),
                             hint="give a .csv, .parquet, .json or .sql file")
        if not any(ch in str(path) for ch in "*?[") and not path.is_file():
            raise InputError("history file not found", file=str(path), hint="check the path")
        name = name or path.stem
        if kind == "sql":
            return self.add_query(read_text(path), name, display=str(path))
        full = path if path.is_absolute() else Path.cwd() / path
        # sample_size=-1: types from the whole file, so a stray "n/a" makes the column text (which the checks
        # report with its line) instead of failing the scan half-way.
        reader = {"csv": "read_csv({}, sample_size=-1)", "parquet": "read_parquet({})",
                  "json": "read_json_auto({})"}[kind].format(literal(full))
        view = f"CREATE OR REPLACE VIEW {quote(name)} AS SELECT * FROM {reader}"
        self._execute(view, file=str(path), what="cannot read it")
        return self._register(name, str(path), kind)

    def add_query(self, query: str, name: str, display: str) -> Table:
        """Register the result of a SQL query: run by the ``--db`` database when it is a URL, else by DuckDB."""
        query = query.strip().rstrip(";").strip()
        self._search_in(Path(display).parent)
        if not query:
            raise InputError("the query file is empty", file=display, hint="write one SELECT statement")
        if self._db_url:
            frame = self._read_sql(query, display)
            self.con.register(name, frame)
        else:
            self._execute(f"CREATE OR REPLACE VIEW {quote(name)} AS {query}", file=display,
                          what="the query does not run")
        return self._register(name, display, "sql")

    def attach(self, db: str) -> None:
        """``--db``: a DuckDB file (attached read-only) or a SQLAlchemy URL such as ``sqlite:///x.db``."""
        if "://" in db:
            self._db_url = db
            self._db_tables = self._url_tables(db)
            return
        path = Path(db)
        if not path.is_file():
            raise InputError("database file not found", file=db, hint="give a DuckDB file or a SQLAlchemy URL")
        if path.read_bytes()[:16] == b"SQLite format 3\x00":
            self.attach(f"sqlite:///{path.resolve()}")  # a SQLite file given as a path: same as its URL
            return
        self._execute(f"ATTACH {literal(path)} AS __db (READ_ONLY)", file=db, what="cannot open it as DuckDB")
        rows = self.con.execute("SELECT table_name FROM information_schema.tables "
                                "WHERE table_catalog = '__db'").fetchall()
        self._db_schema = db
        self._db_tables = [r[0] for r in rows]
        # --sql queries name the database's tables plainly (FROM orders), beside the registered files
        self.con.execute("SET search_path = 'memory.main,__db.main'")

    # --- resolving -----------------------------------------------------------------------------

    def resolve(self, source: str, where: str) -> Table:
        """The table a ``history.source`` names; files relative to the scenario are registered on first use."""
        if source in self.tables:
            return self.tables[source]
        if source in self._db_tables:
            return self._db_table(source)
        path = self.base_dir / source
        if Path(source).suffix.lower() in FILE_KINDS:
            key = f"file:{path}"
            if key not in self.tables:
                table = self.add_file(path, name=key)
                self.tables[key] = table
            return self.tables[key]
        known = sorted([t for t in self.tables if not t.startswith("file:")] + self._db_tables)
        raise InputError(f"unknown history source {source!r}", where=where,
                         hint=f"known tables: {', '.join(known) or 'none'}; pass --history FILE, --sql FILE or "
                              "--db, or give a .csv/.parquet path relative to the scenario")

    def query(self, sql: str, table: Table, where: str) -> list[tuple[Any, ...]]:
        """Run a query against one history table; DuckDB's complaints become InputErrors naming the key."""
        try:
            return self.con.execute(sql).fetchall()
        except duckdb.Error as exc:
            first = str(exc).split("\n")[0]
            raise InputError(f"the history query failed: {first}", file=table.display, where=where,
                             hint="check the column names and SQL in `where:`, `value:`, `numerator:`, "
                                  "`denominator:` (DuckDB SQL)") from exc

    # --- internals -----------------------------------------------------------------------------

    def _register(self, name: str, display: str, kind: str) -> Table:
        rows = self.con.execute(f"DESCRIBE SELECT * FROM {quote(name)}").fetchall()
        table = Table(name, quote(name), display, kind, {r[0]: r[1] for r in rows})
        self.tables[name] = table
        return table

    def _db_table(self, name: str) -> Table:
        if self._db_url:
            frame = self._read_sql(f"SELECT * FROM {quote(name)}", f"{self._db_url} table {name}")
            self.con.register(name, frame)
            table = self._register(name, f"{_redact(self._db_url)} table {name}", "database")
        else:
            rows = self.con.execute(f"DESCRIBE SELECT * FROM __db.{quote(name)}").fetchall()
            table = Table(name, f"__db.{quote(name)}", f"{self._db_schema} table {name}", "duckdb",
                          {r[0]: r[1] for r in rows})
        self.tables[name] = table
        return table

    def _url_tables(self, url: str) -> list[str]:
        import sqlalchemy

        try:
            engine = sqlalchemy.create_engine(url)
            with engine.connect():
                return list(sqlalchemy.inspect(engine).get_table_names())
        except Exception as exc:  # noqa: BLE001 - drivers raise anything; all mean "cannot connect"
            raise InputError(f"cannot connect to the database: {exc}".split("\n")[0], file=_redact(url),
                             hint="check the SQLAlchemy URL (e.g. sqlite:///path/to/file.db) and that its "
                                  "driver is installed") from exc

    def _read_sql(self, query: str, display: str) -> Any:
        import pandas as pd
        import sqlalchemy

        try:
            engine = sqlalchemy.create_engine(self._db_url or "")
            with engine.connect() as conn:
                return pd.read_sql_query(sqlalchemy.text(query), conn)
        except Exception as exc:  # noqa: BLE001 - the boundary to any database driver
            raise InputError(f"the database query failed: {exc}".split("\n")[0], file=display,
                             hint="the query runs in the database's own SQL dialect") from exc

    def _execute(self, sql: str, *, file: str, what: str) -> None:
        try:
            self.con.execute(sql)
        except duckdb.Error as exc:
            raise InputError(f"{what}: {str(exc).splitlines()[0]}", file=file,
                             hint="check that the file is a well-formed CSV/Parquet/SQL file") from exc


def read_text(path: Path) -> str:
    """A UTF-8 query file, with clear errors."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("query file not found", file=str(path), hint="check the path") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path), hint="save the query as UTF-8") from None


def _redact(url: str) -> str:
    """A URL without its password, for messages and provenance."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def is_identifier(text: str) -> bool:
    """True for a bare column name (as opposed to a SQL expression)."""
    return bool(_IDENT.match(text.strip()))
