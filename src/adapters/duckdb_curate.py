"""The CurateEngine port on DuckDB: a local raw document in, a typed zstd Parquet file out."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from adapters.duckdb_curate_sql import nonblank_counts, select, source, split_files, typed_columns
from adapters.duckdb_sql import literal
from adapters.json_records import split_records
from domain.curating import CurateError
from domain.ports import Curated, CurateJob

# A quarter of DuckDB's default: with 60-odd columns, two threads' row groups then stay well
# inside a 512 MB memory limit; near it, the writer slows down far more than small groups cost.
ROW_GROUP_SIZE = 30_720


class DuckDbCurateEngine:
    """Each call runs on a fresh in-memory DuckDB whose memory and threads are bounded by the
    constructor, not by the document: the CSV reader and the Parquet writer stream, and what
    does not fit spills to a directory beside the target file. A JSON document is first split
    beside itself into one record per line (adapters.json_records), which DuckDB streams."""

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
        return self._split(source, record_path)

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
    first pass would need a side effect, such as a sequence, and that serialises the pass.)"""
    suspects = {name: raw for name, raw in typed_columns(job).items() if nulls.get(name)}
    if not suspects:
        return {}
    counts = connection.execute(nonblank_counts(job, [*suspects.values()])).fetchone() or ()
    failures = {}
    for name, nonblank in zip(suspects, counts[1:], strict=True):
        if failed := nulls[name] - (rows - int(nonblank)):
            failures[name] = failed
    return failures


def _written(result: list[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    """Rows written, and NULLs per column, from COPY … RETURN_STATS (keys are quoted names)."""
    if not result:
        return 0, {}
    stats: dict[str, dict[str, str]] = result[0][4] or {}
    nulls = {
        key[1:-1].replace('""', '"') if key.startswith('"') else key: int(v.get("null_count", 0))
        for key, v in stats.items()
    }
    return int(result[0][1]), nulls


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """DuckDB's errors as CurateError, with the first line of its message (never the SQL)."""
    try:
        yield
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CurateError(f"{what} failed: {first}") from error
