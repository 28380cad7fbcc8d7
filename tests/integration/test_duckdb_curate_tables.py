"""Every registry table curates a valid sample document with zero parse failures."""

import json
from datetime import date

import duckdb
import pytest

from adapters.duckdb_curate import DuckDbCurateEngine
from domain import registry
from domain.curating import header_fields, json_mapping
from domain.ports import CurateJob, Lineage
from domain.registry import PATTERNS, LogicalType, Table

# One valid text per date/time pattern of the registry's vocabulary.
SAMPLES = {
    "yyyy-MM-dd": "2026-11-26",
    "dd.MM.yyyy": "26.11.2026",
    "dd/MM/yyyy": "26/11/2026",
    "MM/dd/yyyy": "11/26/2026",
    "MM/dd/yy": "11/26/26",
    "yyyy-MM-dd'T'HH:mm:ssXXX": "2026-11-26T10:00:00+01:00",
    "yyyy-MM-dd HH:mm:ss z": "2026-11-26 10:00:00 PST",
    "dd.MM.yyyy HH:mm:ss z": "26.11.2026 10:00:00 MEZ",
    "dd/MM/yyyy HH:mm:ss z": "26/11/2026 10:00:00 MEST",
}
VALUES = {
    LogicalType.STRING: "text",
    LogicalType.INTEGER: "3",
    LogicalType.DECIMAL: "1,234.56",
    LogicalType.BOOLEAN: "true",
    LogicalType.DOUBLE: "0.125",
}
LINEAGE = Lineage("A3TH9S8BH6GOGM", "ATVPDKIKX0DER", "1", "X", None, None, None, date(2026, 11, 26))


def test_the_samples_cover_every_pattern():
    assert set(SAMPLES) == set(PATTERNS)


def value(column, index: int) -> str:
    # Each column tries its formats in turn: use a different one row by row.
    if column.formats:
        return SAMPLES[column.formats[index % len(column.formats)]]
    return VALUES[column.type]


def nested(columns, index: int) -> dict:
    """One record holding every column's path; a struct list holds two such elements."""
    built: dict = {}
    for column in columns:
        *parents, leaf = column.source.split(".")
        node = built
        for parent in parents:
            node = node.setdefault(parent, {})
        if column.fields:
            node[leaf] = [nested(column.fields, index), nested(column.fields, index + 1)]
        else:
            node[leaf] = value(column, index)
    return built


def sample(table: Table, rows: int) -> str:
    if table.format == "jsonl":
        return "".join(json.dumps(nested(table.columns, index)) + "\n" for index in range(rows))
    if table.format == "json":
        records, document = [], {}
        for index in range(rows):
            record: dict = {}
            for column in table.columns:
                *parents, leaf = column.source.split(".")
                # reportSpecification paths start at the document, not at the record.
                node = document if column.from_specification else record
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[leaf] = value(column, 0 if column.from_specification else index)
            records.append(record)
        return json.dumps({**document, table.record_path: records})
    lines = ["\t".join(c.source for c in table.columns)]
    lines += ["\t".join(value(c, index) for c in table.columns) for index in range(rows)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("table", registry.tables(), ids=lambda t: t.name)
def test_a_valid_sample_of_each_table_curates_without_parse_failures(tmp_path, table):
    rows = 4
    source = tmp_path / f"raw.{table.format}"
    source.write_text(sample(table, rows), encoding="utf-8")
    engine = DuckDbCurateEngine(memory_limit="256MB")
    if table.format != "tsv":
        fields = engine.record_fields(source, table.record_path or "")
        mapping = json_mapping(table, fields)
    else:
        fields = header_fields(source)
        assert isinstance(fields, tuple)
        mapping = registry.map_headers(table, fields)
    target = tmp_path / "out.parquet"

    result = engine.curate(CurateJob(table, mapping, fields, source, target, LINEAGE))

    assert (result.rows, result.parse_failures) == (rows, {})
    names = [c.name for c in table.columns]
    nulls = duckdb.sql(
        f"SELECT {', '.join(f'count(*) FILTER (WHERE {n} IS NULL)' for n in names)} "  # noqa: S608
        f"FROM read_parquet('{target}')"
    ).fetchall()[0]
    assert dict(zip(names, nulls, strict=True)) == dict.fromkeys(names, 0)
