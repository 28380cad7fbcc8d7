"""Local SQL over a lake directory with DuckDB: curated tables, `_latest` views, raw reports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from adapters.duckdb_sql import identifier, literal, sql_type
from domain import registry
from domain.errors import ConfigError
from domain.lake import RAW, extension, is_delimited
from domain.registry import Table
from domain.registry.views import EXTRA_COLUMNS, latest_view_sql, view_name

CURATED = "curated"
BATCH_ROWS = 2048
_REPORT_TYPE = re.compile(r"[A-Z0-9_]+")


@dataclass(frozen=True)
class Relation:
    """A name SQL can use: a curated table, its `_latest` view or a raw report type."""

    name: str
    kind: str  # "curated", "latest" or "raw"
    files: int  # files it reads (for a view, those of its table)


@dataclass(frozen=True)
class QueryResult:
    """Column names and DuckDB types, and the rows in batches (errors are ConfigError)."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    batches: Iterator[list[tuple[Any, ...]]]


def curated_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of every column a curated file of `table` holds, in order."""
    return [
        *((c.name, sql_type(c)) for c in table.columns),
        (EXTRA_COLUMNS, "MAP(VARCHAR, VARCHAR)"),
        *((c.name, sql_type(c)) for c in table.lineage),
    ]


def to_duckdb(athena_sql: str) -> str:
    """Athena SQL (the views and sample queries are written once, in it) as DuckDB SQL."""
    return sqlglot.transpile(athena_sql, read="athena", write="duckdb")[0]


def one_line(error: Exception) -> str:
    """DuckDB's message without its multi-line caret diagram."""
    message = str(error).split("\n\n", 1)[0]
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


class DuckDbLakeQuery:
    """An in-memory DuckDB whose views read a FileLake directory; nothing is written to it."""

    def __init__(self, root: Path | str) -> None:
        self._root = Path(root).absolute()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._relations: list[Relation] = []

    def __enter__(self) -> DuckDbLakeQuery:
        return self

    def __exit__(self, *_: object) -> None:
        if self._connection is not None:
            self._connection.close()

    def relations(self) -> list[Relation]:
        self._open()
        return list(self._relations)

    def query(self, sql: str) -> QueryResult:
        """Runs `sql`; bad SQL (or a failure while reading) raises ConfigError in one line."""
        cursor = self._open().cursor()  # its own result, so queries never clobber each other
        try:
            cursor.execute(sql)
        except duckdb.Error as exc:
            cursor.close()
            raise ConfigError(one_line(exc)) from None
        if cursor.description is None:  # a statement without a result, e.g. SET
            cursor.close()
            return QueryResult((), (), iter(()))
        columns = tuple(str(d[0]) for d in cursor.description)
        types = tuple(str(d[1]) for d in cursor.description)
        return QueryResult(columns, types, _batches(cursor))

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            if not self._root.is_dir():
                raise ConfigError(f"no lake at {self._root}: run `spapi-lake demo` first")
            # Local files only: no extension is fetched from the network behind the user's back.
            self._connection = duckdb.connect(config={"autoinstall_known_extensions": False})
            # As in Athena, current_date and casts of TIMESTAMPTZ are in UTC, like the lake's data.
            self._connection.execute("SET TimeZone = 'UTC'")
            self._relations = self._register_curated() + self._register_raw()
        return self._connection

    def _execute(self, sql: str) -> None:
        assert self._connection is not None
        self._connection.execute(sql)

    def _register_curated(self) -> list[Relation]:
        relations: list[Relation] = []
        for table in registry.tables():
            files = list((self._root / CURATED / table.name).rglob("*.parquet"))
            self._execute(f"CREATE VIEW {table.name} AS {self._curated_select(table, files)}")
            self._execute(f"CREATE VIEW {view_name(table)} AS {to_duckdb(latest_view_sql(table))}")
            relations.append(Relation(table.name, CURATED, len(files)))
            relations.append(Relation(view_name(table), "latest", len(files)))
        return relations

    def _curated_select(self, table: Table, files: list[Path]) -> str:
        """Registry columns first, in order: a column no file has yet is NULL of its type."""
        expected = curated_columns(table)
        if not files:
            nulls = ", ".join(f"CAST(NULL AS {kind}) AS {identifier(n)}" for n, kind in expected)
            return f"SELECT {nulls} WHERE false"
        glob = (self._root / CURATED / table.name / "**" / "*.parquet").as_posix()
        source = f"read_parquet({literal(glob)}, hive_partitioning = false, union_by_name = true)"
        assert self._connection is not None
        described = self._connection.execute(f"DESCRIBE SELECT * FROM {source}")  # noqa: S608
        present = [row[0] for row in described.fetchall()]
        known = {name for name, _ in expected}
        select = [
            identifier(n) if n in present else f"CAST(NULL AS {kind}) AS {identifier(n)}"
            for n, kind in expected
        ] + [identifier(n) for n in present if n not in known]
        return f"SELECT {', '.join(select)} FROM {source}"  # noqa: S608 - names from the registry

    def _register_raw(self) -> list[Relation]:
        relations: list[Relation] = []
        for folder in sorted((self._root / RAW).glob("report_type=*")):
            report_type = folder.name.split("=", 1)[1]
            if not _REPORT_TYPE.fullmatch(report_type) or not is_delimited(report_type):
                continue
            suffix = extension(report_type)
            # An empty document (no header line) would add a phantom `column0`.
            files = [
                p for p in sorted(folder.glob(f"seller_id=*/dt=*/*.{suffix}")) if p.stat().st_size
            ]
            if not files:
                continue
            name = f"raw_{report_type.lower()}"
            self._execute(f"CREATE VIEW {name} AS {_raw_select(files, suffix)}")
            relations.append(Relation(name, "raw", len(files)))
        return relations


def _raw_select(files: list[Path], suffix: str) -> str:
    """Every column VARCHAR, as Amazon named it; TSV with quoting off, so a value starting
    with `"` is text like any other (REPORT-SCHEMAS.md §2.3). Lineage comes from the path."""
    paths = ", ".join(literal(p.as_posix()) for p in files)
    dialect = "delim = '\t', quote = '', escape = ''" if suffix == "tsv" else "delim = ','"
    return (
        f"SELECT * EXCLUDE (_lake_path),"  # noqa: S608 - paths quoted as literals
        f" regexp_extract(_lake_path, '/seller_id=([^/]+)/', 1) AS seller_id,"
        f" CAST(regexp_extract(_lake_path, '/dt=([0-9-]+)/', 1) AS DATE) AS dt,"
        f" regexp_extract(_lake_path, '([^/]+)\\.{suffix}$', 1) AS report_id"
        f" FROM read_csv([{paths}], {dialect}, header = true, all_varchar = true,"
        f" union_by_name = true, null_padding = true, filename = '_lake_path')"
    )


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    try:
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield batch
    except duckdb.Error as exc:
        raise ConfigError(one_line(exc)) from None
    finally:
        cursor.close()
