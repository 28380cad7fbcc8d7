"""The SELECT that curates one document: raw columns in, typed, extra and lineage columns out.

Every name and value placed in this SQL goes through `identifier` or `literal` (hence noqa S608).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters.duckdb_sql import failures, identifier, literal, nonblank, pointer, sql_type, typed
from domain.ports import CurateJob, Lineage
from domain.registry import Column, LogicalType, Table


def typed_columns(job: CurateJob) -> dict[str, str]:
    """The raw column of each typed column the document has (a string never fails to parse)."""
    return {
        column.name: raw
        for column, raw in zip(job.table.columns, _raw_columns(job), strict=True)
        if raw is not None and column.type is not LogicalType.STRING
    }


def _raw_columns(job: CurateJob) -> list[str | None]:
    """Per registry column its raw column: c<i> from the record or header, s<k> from the JSON
    document's reportSpecification (the registry allows those in JSON tables only), or None
    when the document lacks it."""
    found: list[str | None] = []
    carried = itertools.count()
    for column, position in zip(job.table.columns, job.mapping.positions, strict=True):
        if column.from_specification:
            found.append(f"s{next(carried)}")
        else:
            found.append(None if position is None else f"c{position}")
    return found


def nonblank_counts(
    job: CurateJob, raw_columns: Sequence[str], lists: Sequence[tuple[Column, str]] = ()
) -> str:
    """A query counting rows, the non-blank values of each raw column given, then the values
    that do not parse within each struct list column given with its raw column."""
    counts = "".join(f", count(*) FILTER (WHERE {nonblank(raw)})" for raw in raw_columns)
    counts += "".join(f", sum({failures(c, raw, comma=job.comma)})" for c, raw in lists)
    return f"SELECT count(*){counts} FROM {source(job)}"  # noqa: S608


def source(job: CurateJob) -> str:
    """A subquery of the document's columns c0…cN as VARCHAR (NULL for empty cells), and for
    JSON the reportSpecification values its table reads, s0…sK."""
    if job.table.format == "jsonl":
        return _json_source(lines(job.source), job.fields)
    if job.table.format == "json":
        carried = tuple(c.source for c in job.table.columns if c.from_specification)
        rows = records(job.source, job.table.record_path or "", carried)
        return _json_source(rows, job.fields, len(carried))
    names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(max(len(job.fields), 1)))
    # Quoting off (a value may begin with `"`), the header row mapped by us, short rows padded.
    return (
        f"read_csv({literal(str(job.source))}, delim = '\\t', quote = '', escape = '', "
        f"header = false, skip = 1, columns = {{{names}}}, auto_detect = false, "
        "null_padding = true, strict_mode = false)"
    )


def split_files(source: Path, record_path: str) -> tuple[Path, Path]:
    """Where a JSON document is split for DuckDB to stream it: its records one per line, and
    its reportSpecification (see adapters.json_records)."""
    return (
        source.with_name(f".{source.name}.{record_path}.ndjson"),
        source.with_name(f".{source.name}.specification.json"),
    )


def lines(path: Path) -> str:
    """One row per line of a JSON Lines file as `rec`, streamed (blank lines skipped)."""
    return (
        f"SELECT json AS rec FROM read_json_objects({literal(str(path))}, "  # noqa: S608
        "format = 'newline_delimited')"
    )


def records(source: Path, record_path: str, carried: tuple[str, ...] = ()) -> str:
    """One row per record of `record_path` as `rec`; with `carried` (dotted paths from the
    document's root), also s0, s1, … holding those values, the same on every row. Reads the
    split files of the document, which must exist."""
    split, specification = split_files(source, record_path)
    rows = lines(split)
    if not carried:
        return rows
    pointers = ", ".join(literal(pointer(p)) for p in carried)
    values = ", ".join(f"v[{i + 1}] AS s{i}" for i in range(len(carried)))
    names = "".join(f", s{i}" for i in range(len(carried)))
    # The carried values are read once, from the small specification file, and joined to
    # every record.
    return (
        f"SELECT rec{names} FROM ({rows}) CROSS JOIN (SELECT {values} FROM "  # noqa: S608
        f"(SELECT json_extract_string(content, [{pointers}]) AS v "
        f"FROM read_text({literal(str(specification))})))"
    )


def _json_source(rows: str, fields: tuple[str, ...], carried: int = 0) -> str:
    """Each record's value at each field path as c0…cN, beside the carried s0…sK of `rows`."""
    names = "".join(f", s{i}" for i in range(carried))
    if not fields:
        return f"(SELECT NULL::VARCHAR AS c0{names} FROM ({rows}))"  # noqa: S608
    pointers = ", ".join(literal(pointer(f)) for f in fields)
    # One parse of each record extracts every path at once.
    values = ", ".join(f"v[{i + 1}] AS c{i}" for i in range(len(fields)))
    return (
        f"(SELECT {values}{names} FROM (SELECT json_extract_string(rec, [{pointers}]) "  # noqa: S608
        f"AS v{names} FROM ({rows})))"
    )


def select(job: CurateJob) -> list[str]:
    """The output columns: typed registry columns, extra_columns, then lineage."""
    table, comma = job.table, job.comma
    items = []
    for column, raw in zip(table.columns, _raw_columns(job), strict=True):
        value = "NULL" if raw is None else typed(column, raw, comma=comma)
        items.append(f"CAST({value} AS {sql_type(column)}) AS {identifier(column.name)}")
    items.append(f"{_extras(job)} AS extra_columns")
    items += _lineage(table, job.lineage)
    return items


def _extras(job: CurateJob) -> str:
    if not job.mapping.extras:
        return "CAST(NULL AS MAP(VARCHAR, VARCHAR))"
    entries, seen = [], set()
    for header, position in job.mapping.extras:
        key, n = header, 1
        while key in seen:  # map keys must be unique; localized headers repeat
            n += 1
            key = f"{header} ({n})"
        seen.add(key)
        entries.append(f"{{'k': {literal(key)}, 'v': c{position}}}")
    keep = "lambda e: e.v IS NOT NULL"
    return f"map_from_entries(list_filter([{', '.join(entries)}], {keep}))"


def _lineage(table: Table, lineage: Lineage) -> list[str]:
    values = {
        "seller_id": _text(lineage.seller_id),
        "marketplace_id": _text(lineage.marketplace_id),
        "report_id": _text(lineage.report_id),
        "report_type": _text(lineage.report_type),
        "query_id": _text(lineage.query_id),
        "query_name": _text(lineage.query_name),
        "data_start_time": _moment(lineage.data_start_time),
        "data_end_time": _moment(lineage.data_end_time),
        "ingested_at": _moment(lineage.ingested_at),
        "dt": f"DATE {literal(lineage.dt.isoformat())}",
    }
    return [
        f"CAST({values[c.name]} AS {sql_type(c)}) AS {identifier(c.name)}" for c in table.lineage
    ]


def _text(value: str | None) -> str:
    return "NULL" if value is None else literal(value)


def _moment(value: datetime | None) -> str:
    if value is None:
        return "NULL"
    if value.tzinfo is not None:  # a TIMESTAMP literal would drop the offset, not apply it
        value = value.astimezone(UTC).replace(tzinfo=None)
    return f"TIMESTAMP {literal(value.isoformat(sep=' '))}"
