"""The guard that the engine's SQL and the registry's reference semantics agree, value by value."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from adapters.duckdb_curate import DuckDbCurateEngine
from domain.ports import CurateJob, Lineage
from domain.registry import (
    DATE_PATTERNS,
    TIMESTAMP_PATTERNS,
    Column,
    HeaderMapping,
    Latest,
    LogicalType,
    Table,
    parse_value,
)

COLUMNS = (
    Column("decimal_2", LogicalType.DECIMAL, "decimal_2"),
    Column("decimal_4", LogicalType.DECIMAL, "decimal_4", precision=6, scale=4),
    Column("integer", LogicalType.INTEGER, "integer"),
    Column("double", LogicalType.DOUBLE, "double"),
    Column("boolean", LogicalType.BOOLEAN, "boolean"),
    Column("string", LogicalType.STRING, "string"),
    Column("moment", LogicalType.TIMESTAMP, "moment", formats=TIMESTAMP_PATTERNS),
    Column(
        "moment_eu",
        LogicalType.TIMESTAMP,
        "moment_eu",
        formats=("dd/MM/yyyy HH:mm:ss z", "yyyy-MM-dd HH:mm:ss z"),
    ),
    Column("day", LogicalType.DATE, "day", formats=DATE_PATTERNS),
    Column("day_us", LogicalType.DATE, "day_us", formats=("MM/dd/yy", "yyyy-MM-dd")),
)
TABLE = Table("tricky", ("TRICKY",), "tsv", COLUMNS, (), Latest.SNAPSHOT)
# fmt: off
NUMBERS = (
    "0", "1", "-1", "+5", "007", "5.", ".5", "-.5", "+.5", "+", "-", ".", "1,234", "1.234",
    "1,234.56", "1.234,56", "1.234.567", "1,234,567", "1,234,567.891", "95,00", "12.345",
    "12.355", "-12.345", "12,3456", "1,23", "1,2345", "12.00", "12,00", "1e3", "1E-2", "0x10",
    "9999999999999999.994", "9999999999999999.995", "99.99995", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "1 234", "€5",
    "5%", "١٢", "0.125", "-1.5e-7", "2E+3", "01", "1e", "1.e3",
)
BOOLEANS = (
    "y", "Y", "yes", "YES", "Yes", "true", "True", "TRUE", "t", "n", "No", "false", "FALSE", "f",
    "on", "off", "maybe",
)
MOMENTS = (
    "2021-08-15 20:35:17 PDT", "2021-08-15 20:35:17 pdt", "2021-01-15 20:35:17 PST",
    "23/09/2021 10:34:38 MEST", "14.03.2023 07:49:55 UTC", "2023-09-25T15:23:39+00:00",
    "2023-09-25T15:23:39+05:30", "2023-09-25T15:23:39-0700", "2023-09-25T15:23:39Z",
    "2023-09-25T15:23:39.123456789Z", "2023-09-25T15:23:39.5+01:00", "2023-09-25T15:23:39.Z",
    "2023-02-29 10:00:00 UTC", "2024-02-29 10:00:00 UTC", "2023-02-28 24:00:00 UTC",
    "2023-02-28T24:00:00Z", "2023-02-28 23:60:00 UTC", "2023-02-28 23:59:60 UTC",
    "2023-09-25 15:23:39 AST", "2023-09-25 15:23:39 XYZ", "2023-09-25 15:23:39 +0530",
    "2023-09-25 15:23:39 -07:00", "2023-09-25 15:23:39 +7", "0000-01-01 00:00:00 UTC",
    "0001-01-01 12:00:00 UTC", "9999-12-31 23:59:59 UTC", "2023-9-25 15:23:39 PDT",
    "2023-09-25 15:23:39", "2023-09-25 15:23:39  PDT", "2023-09-25  15:23:39 PDT",
    "2023-09-25", "25.09.2023", "25/09/2023", "09/25/2023", "09/25/23", "02/29/96",
    "02/29/97", "12/31/99", "01/01/00", "13/01/2023", "31/04/2023", "31.04.2023",
    "2021-08-15 20:35:17 NZDT", "15/08/2021 20:35:17 JST", "15/08/2021 20:35:17 PDT",
)
OTHERS = (
    "", " ", "  \u00a0 ", "\u3000", " 42 ", "\u00a042\u00a0", " y ", " 2023-09-25 ",
    " 2021-08-15 20:35:17 PDT", "2021-08-15 20:35:17 PDT ", '"quoted', 'x"y', "NULL",
    "\u2003 12,50 \u2003", "-0", "-0.00",
)
# fmt: on
VALUES = NUMBERS + BOOLEANS + MOMENTS + OTHERS


def curated(tmp_path: Path, comma: bool) -> tuple[list[tuple], dict[str, int]]:
    source = tmp_path / "tricky.tsv"
    rows = ["\t".join(["key", *(c.source for c in COLUMNS)])]
    rows += ["\t".join([str(i), *[value] * len(COLUMNS)]) for i, value in enumerate(VALUES)]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fields = ("key", *(c.source for c in COLUMNS))
    mapping = HeaderMapping("name", tuple(range(1, len(COLUMNS) + 1)), (("key", 0),))
    lineage = Lineage("S", None, "R", "TRICKY", None, None, None, date(2026, 1, 1))
    job = CurateJob(TABLE, mapping, fields, source, tmp_path / "t.parquet", lineage, comma)
    result = DuckDbCurateEngine(memory_limit="256MB").curate(job)
    names = ", ".join(c.name for c in COLUMNS)
    found = duckdb.sql(
        f"SELECT CAST(extra_columns['key'] AS INTEGER) AS k, {names} "  # noqa: S608
        f"FROM read_parquet('{job.target}') ORDER BY k"
    ).fetchall()
    assert result.rows == len(VALUES)
    return [row[1:] for row in found], dict(result.parse_failures)


@pytest.mark.parametrize("comma", [False, True], ids=["dot", "comma"])
def test_every_tricky_value_is_typed_as_parse_value_types_it(tmp_path, comma):
    rows, failures = curated(tmp_path, comma)

    mismatches = []
    for value, row in zip(VALUES, rows, strict=True):
        for column, got in zip(COLUMNS, row, strict=True):
            # DuckDB's reader turns an empty cell into NULL before any rule applies.
            expected = parse_value(column, value, comma=comma) if value else None
            if got != expected or type(got) is not type(expected):
                mismatches.append((column.name, value, got, expected))
    assert mismatches == []
    expected_failures = {
        column.name: count
        for column in COLUMNS
        if column.type is not LogicalType.STRING
        and (
            count := sum(
                1 for v in VALUES if v.strip() and parse_value(column, v, comma=comma) is None
            )
        )
    }
    assert failures == expected_failures


def test_the_tricky_values_exercise_every_outcome(tmp_path):
    # A guard on the guard: each typed column sees both parsed values and failures.
    rows, failures = curated(tmp_path, comma=False)

    for index, column in enumerate(COLUMNS):
        parsed = [row[index] for row in rows if row[index] is not None]
        assert len(parsed) >= 3, column.name
        if column.type is not LogicalType.STRING:
            assert failures[column.name] >= 3, column.name
