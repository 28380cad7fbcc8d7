"""The CurateEngine port on DuckDB: a local raw document in, a typed zstd Parquet file out."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from adapters.duckdb_curate_sql import nonblank_counts, select, source, split_files, typed_columns
from adapters.duckdb_sql import literal
from adapters.json_records import line_fields, split_records
from domain.curating import CurateError
from domain.ports import Curated, CurateJob

# A quarter of DuckDB's default: with 60-odd columns, two threads' row groups then stay well
# inside a 512 MB memory limit; near it, the writer slows down far more than small groups cost.
ROW_GROUP_SIZE = 30_720
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


class DuckDbCurateEngine:
    """Each call runs on a fresh in-memory DuckDB whose memory and threads are bounded by the
    constructor, not by the document: the CSV reader and the Parquet writer stream, and what
    does not fit spills to a directory beside the target file. A JSON document is first split
    beside itself into one record per line (adapters.json_records), which DuckDB streams; a
    JSONL document (Data Kiosk's) it streams as it is."""

    def __init__(
        self,
        memory_limit: str = "512MB",
        threads: int = 2,
        row_group_size: int = ROW_GROUP_SIZE,
    ) -> None:
        self._memory_limit = memory_limit
        self._threads = threads
        self._row_group_size = row_group_size

    def _connect(self, workdir: Path) -> duckdb.DuckDBPyConnection:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self._memory_limit,
            "threads": self._threads,
            # Rows may be written in any order within a file; that lets every thread stream.
            "preserve_insertion_order": False,
            "temp_directory": str(workdir / ".duckdb-spill"),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        connection = duckdb.connect(":memory:", config=config)
        connection.execute("SET TimeZone = 'UTC'")
        return connection

    def record_fields(self, source: Path, record_path: str) -> tuple[str, ...]:
        """An empty `record_path` reads a JSONL document, whose every line is a record."""
        if record_path:
            return self._split(source, record_path)
        try:
            return line_fields(source)
        except (ValueError, OSError) as error:
            raise CurateError(f"reading the lines of {source.name} failed: {error}") from error

    def _split(self, source: Path, record_path: str) -> tuple[str, ...]:
        """Splits a JSON document for DuckDB to stream (it reads a document whole)."""
        try:
            return split_records(source, record_path, *split_files(source, record_path))
        except (ValueError, OSError) as error:  # UnicodeDecodeError is a ValueError
            raise CurateError(
                f"reading the {record_path} records of {source.name} failed: {error}"
            ) from error

    def curate(self, job: CurateJob) -> Curated:
        if job.table.format == "json":
            # record_fields split the document already, unless it changed since.
            lines = split_files(job.source, job.table.record_path or "")[0]
            fresh = lines.exists() and lines.stat().st_mtime_ns >= job.source.stat().st_mtime_ns
            if not fresh:
                self._split(job.source, job.table.record_path or "")
        copy = (
            f"COPY (SELECT {', '.join(select(job))} FROM {source(job)}) "  # noqa: S608 - all quoted
            f"TO {literal(str(job.target))} (FORMAT parquet, COMPRESSION zstd, "
            f"ROW_GROUP_SIZE {self._row_group_size}, RETURN_STATS true)"
        )
        with _translated(f"curating {job.table.name} from {job.source.name}"):
            connection = self._connect(job.target.parent)
            try:
                rows, nulls = _written(connection.execute(copy).fetchall())
                failures = _failures(connection, job, rows, nulls)
            except BaseException:
                job.target.unlink(missing_ok=True)
                raise
            finally:
                connection.close()
        return Curated(rows=rows, parse_failures=failures)


def _failures(
    connection: duckdb.DuckDBPyConnection, job: CurateJob, rows: int, nulls: dict[str, int]
) -> dict[str, int]:
    """Non-blank values typed NULL, per column. Only a column with NULLs can have any; for
    those, a second pass counts the blank values: failures = NULLs - blanks. (Counting in the
    first pass would need a side effect, such as a sequence, and that serialises the pass.)
    A struct list column with NULLs in it or in its elements' fields is counted outright in
    that pass: the values within that did not parse."""
    lists = {c.name: c for c in job.table.columns if c.fields}
    suspects = {
        name: raw
        for name, raw in typed_columns(job).items()
        if nulls.get(name) or (name in lists and any(nulls.get(k) for k in _inside(name, nulls)))
    }
    if not suspects:
        return {}
    scalars = {name: raw for name, raw in suspects.items() if name not in lists}
    nested = [(lists[name], raw) for name, raw in suspects.items() if name in lists]
    query = nonblank_counts(job, [*scalars.values()], nested)
    counts = connection.execute(query).fetchone() or ()
    failures = {}
    for name, nonblank in zip(scalars, counts[1 : 1 + len(scalars)], strict=True):
        if failed := nulls[name] - (rows - int(nonblank)):
            failures[name] = failed
    for (column, _), failed in zip(nested, counts[1 + len(scalars) :], strict=True):
        if failed:
            failures[column.name] = int(failed)
    return failures


def _inside(name: str, nulls: dict[str, int]) -> list[str]:
    return [key for key in nulls if key.startswith(f"{name}.")]


def _written(result: list[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    """Rows written, and NULLs per column, from COPY … RETURN_STATS; its keys are quoted names,
    a nested one per level (`"fees"."element"."fee_type_name"` is fees.element.fee_type_name)."""
    if not result:
        return 0, {}
    stats: dict[str, dict[str, str]] = result[0][4] or {}
    nulls = {_dotted(key): int(v.get("null_count", 0)) for key, v in stats.items()}
    return int(result[0][1]), nulls


def _dotted(key: str) -> str:
    parts = _QUOTED.findall(key)
    return ".".join(p.replace('""', '"') for p in parts) if parts else key


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """DuckDB's errors as CurateError, with the first line of its message (never the SQL)."""
    try:
        yield
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CurateError(f"{what} failed: {first}") from error
