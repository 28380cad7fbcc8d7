"""The lake as the Glue Data Catalog describes it: names, types, SerDes and partition projection."""

# Plain data, no Pulumi: infra/glue_tables.py declares these, and tests compare them with the
# registry and the lake layout (src/domain/lake.py, shared/design.md §5).

from __future__ import annotations

import re
from dataclasses import dataclass

from domain import registry
from domain.lake import CURATED, RAW, extension, is_delimited
from domain.registry import Column, LogicalType, Table
from domain.registry.views import EXTRA_COLUMNS

PARTITION_KEYS = ("seller_id", "dt")  # both string: projection generates their text from the key
PROJECTION_START = "2020-01-01"
# A report type the registry does not know becomes one column holding the whole line: its
# documents' columns are unknown, so none is declared by position. \x01 (Hive's default field
# delimiter) never occurs in the lake's UTF-8 text, so the line arrives whole; split it in SQL
# with split(line, chr(9)).
LINE, NEVER = "line", "\u0001"
_HIVE = {
    LogicalType.STRING: "string",
    LogicalType.INTEGER: "bigint",
    LogicalType.DATE: "date",
    LogicalType.TIMESTAMP: "timestamp",
    LogicalType.BOOLEAN: "boolean",
    LogicalType.DOUBLE: "double",
}
TEXT_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"


@dataclass(frozen=True)
class GlueColumn:
    name: str
    type: str  # Hive DDL type, as Glue stores it
    comment: str = ""


@dataclass(frozen=True)
class TableLayout:
    """One EXTERNAL_TABLE: where its objects are (below the bucket) and how to read them."""

    name: str
    prefix: str  # e.g. raw/report_type=T/
    columns: tuple[GlueColumn, ...]
    serde: str
    serde_parameters: dict[str, str]
    input_format: str
    output_format: str
    parameters: dict[str, str]
    description: str


def database_name(stack: str) -> str:
    """Glue wants lower case; Athena reads `-` as minus: spapi_lake_prod_eu for prod-eu."""
    return re.sub(r"[^a-z0-9]+", "_", f"spapi_lake_{stack}".lower()).strip("_")


def hive_type(column: Column) -> str:
    """As Glue stores it; a struct list is the array of structs DuckDB writes to Parquet."""
    if column.type is LogicalType.DECIMAL:
        return f"decimal({column.precision},{column.scale})"
    if column.type is LogicalType.STRUCT_LIST:
        fields = ",".join(f"{f.name}:{hive_type(f)}" for f in column.fields)
        return f"array<struct<{fields}>>"
    return _HIVE[column.type]


def location_template(prefix: str) -> str:
    """Below the bucket, with a placeholder per partition key, exactly as the lake keys run."""
    return prefix + "".join(f"{key}=${{{key}}}/" for key in PARTITION_KEYS)


def projection(seller_ids: tuple[str, ...]) -> dict[str, str]:
    """Partition projection: nothing to crawl or register, and a query names the partitions."""
    return {
        "projection.enabled": "true",
        "projection.seller_id.type": "enum",
        "projection.seller_id.values": ",".join(seller_ids),
        "projection.dt.type": "date",
        "projection.dt.range": f"{PROJECTION_START},NOW",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }


def raw_table_name(report_type: str) -> str:
    return f"{RAW}_{report_type.lower()}"


def raw_layout(report_type: str) -> TableLayout:
    """All-string columns over raw/report_type=T/: the registry's header names in document
    order, or one `line` column; the first line (the header) skipped."""
    names = [c.name for t in registry.tables_for(report_type) for c in t.columns]
    columns = tuple(GlueColumn(n, "string") for n in dict.fromkeys(names)) or (
        GlueColumn(LINE, "string", "the whole line; split(line, chr(9)) gives the fields"),
    )
    delimiter = NEVER if not names else "," if extension(report_type) == "csv" else "\t"
    return TableLayout(
        name=raw_table_name(report_type),
        prefix=f"{RAW}/report_type={report_type}/",
        columns=_checked(columns),
        serde=TEXT_SERDE,
        serde_parameters={"field.delim": delimiter, "serialization.format": delimiter},
        input_format=TEXT_INPUT,
        output_format=TEXT_OUTPUT,
        parameters={"classification": "csv", "skip.header.line.count": "1"},
        description=f"{report_type} documents as stored, every field a string",
    )


def curated_columns(table: Table) -> tuple[GlueColumn, ...]:
    """The curated file's columns in file order, less the partition keys (seller_id, dt)."""
    typed = [GlueColumn(c.name, hive_type(c), c.source[:255]) for c in table.columns]
    lineage = [
        GlueColumn(c.name, hive_type(c)) for c in table.lineage if c.name not in PARTITION_KEYS
    ]
    return _checked((*typed, GlueColumn(EXTRA_COLUMNS, "map<string,string>"), *lineage))


def curated_layout(table: Table) -> TableLayout:
    return TableLayout(
        name=table.name,
        prefix=f"{CURATED}/{table.name}/",
        columns=curated_columns(table),
        serde=PARQUET_SERDE,
        serde_parameters={"serialization.format": "1"},
        input_format=PARQUET_INPUT,
        output_format=PARQUET_OUTPUT,
        parameters={"classification": "parquet", "parquet.compression": "ZSTD"},
        description=(
            f"Data Kiosk {', '.join(table.queries)}: typed, one Parquet file per query page"
            if table.queries
            else f"{', '.join(table.report_types)}: typed, one Parquet file per report"
        ),
    )


def layouts(report_types: tuple[str, ...]) -> tuple[TableLayout, ...]:
    """A raw table per delimited report type (configured), a curated table per registry table."""
    raw = [raw_layout(t) for t in sorted(set(report_types)) if is_delimited(t)]
    return (*raw, *(curated_layout(t) for t in registry.tables()))


def _checked(columns: tuple[GlueColumn, ...]) -> tuple[GlueColumn, ...]:
    names = [c.name for c in columns] + list(PARTITION_KEYS)
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate Glue column names: {names}")
    return columns
