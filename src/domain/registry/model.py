"""The registry's vocabulary: curated tables, their typed columns and how they are kept current."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LogicalType(StrEnum):
    """The analytic type of a curated column; adapters map it to DuckDB, Parquet and Glue types."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    TIMESTAMP = "timestamp"  # always UTC, stored without a zone
    BOOLEAN = "boolean"
    # A binary floating-point number: Data Kiosk's Float rates and ratios, whose scale no
    # schema states, so a DECIMAL would round them without anyone noticing.
    DOUBLE = "double"
    # A JSON list of objects kept nested: each element a struct of the column's `fields`.
    STRUCT_LIST = "struct_list"


class Latest(StrEnum):
    """How a `<table>_latest` view picks current rows out of overlapping reports."""

    # The newest report per seller and marketplace is the whole current state (listings, inventory).
    SNAPSHOT = "snapshot"
    # Every row of a key comes from the newest report containing that key (orders by
    # amazon_order_id, settlements by settlement_id). Identical rows are legitimate: never dedupe.
    REPLACE_BY_KEY = "replace_by_key"
    # The newest row per natural key (returns, daily sales and traffic).
    NEWEST_PER_KEY = "newest_per_key"


# A JSON column whose source starts with this is read from the document's reportSpecification,
# the same value on every row (a vendor report's options, its lastUpdatedDate), not from a record.
SPECIFICATION = "reportSpecification."


@dataclass(frozen=True)
class Column:
    """One typed column. `name` is the SQL contract: `snake_case(source)`, except that a column
    read from the reportSpecification names itself (`report_period`, not
    `report_specification_report_options_report_period`), still in snake_case."""

    name: str
    type: LogicalType
    # The English header text (delimited reports) or the dotted JSON path within a record.
    source: str
    aliases: tuple[str, ...] = ()  # localized or historical header texts that mean this column
    formats: tuple[str, ...] = ()  # tried in order; keys of registry.formats.PATTERNS
    precision: int = 18  # DECIMAL only
    scale: int = 2  # DECIMAL only
    # Seen only under some report options or accounts; positional mapping leaves it out.
    optional: bool = False
    # STRUCT_LIST only: the typed fields of each element, their sources relative to it.
    fields: tuple[Column, ...] = ()

    @property
    def from_specification(self) -> bool:
        """Whether the value comes from the document's reportSpecification, not the record."""
        return self.source.startswith(SPECIFICATION)


@dataclass(frozen=True)
class Table:
    """A curated table fed by one or more report types, or by Data Kiosk selections."""

    name: str
    report_types: tuple[str, ...]  # empty for a table fed by Data Kiosk queries
    format: str  # "tsv", "json", or "jsonl" (Data Kiosk: every line a record)
    columns: tuple[Column, ...]  # in document order (delimited) or schema order (JSON)
    natural_key: tuple[str, ...]  # column names; within seller, marketplace and report options
    latest: Latest
    latest_key: tuple[str, ...] = ()  # REPLACE_BY_KEY / NEWEST_PER_KEY: the columns that identify
    record_path: str | None = None  # JSON reports: the array of records that become this table
    has_marketplace: bool = True  # whether the lineage column marketplace_id applies
    notes: tuple[str, ...] = field(default=())
    # Columns that rank a row newer, descending, before the usual order (window end, ingestion,
    # report id): restated vendor data is current by its lastUpdatedDate, not by its arrival.
    newest_by: tuple[str, ...] = ()
    # The Data Kiosk selections (`<dataset>.<field>`) whose query pages feed this table.
    queries: tuple[str, ...] = ()

    @property
    def lineage(self) -> tuple[Column, ...]:
        """The lineage columns a curated file of this table ends with, in order."""
        if self.queries:
            return KIOSK_LINEAGE
        return tuple(c for c in LINEAGE if c.name != "marketplace_id" or self.has_marketplace)


# Lineage columns of a report's table, after the typed ones, in this order. `marketplace_id`
# only where the table has_marketplace.
LINEAGE: tuple[Column, ...] = (
    Column("seller_id", LogicalType.STRING, "seller_id"),
    Column("marketplace_id", LogicalType.STRING, "marketplace_id"),
    Column("report_id", LogicalType.STRING, "report_id"),
    Column("report_type", LogicalType.STRING, "report_type"),
    Column("data_start_time", LogicalType.TIMESTAMP, "data_start_time"),
    Column("data_end_time", LogicalType.TIMESTAMP, "data_end_time"),
    Column("ingested_at", LogicalType.TIMESTAMP, "ingested_at"),
    Column("dt", LogicalType.DATE, "dt"),
)
# Lineage of a table fed by Data Kiosk: the page's query in place of the report. No window
# columns (every record names its own startDate and endDate), and marketplace_id is a column
# of the data (marketplaceId), each record naming its own.
KIOSK_LINEAGE: tuple[Column, ...] = (
    Column("seller_id", LogicalType.STRING, "seller_id"),
    Column("query_id", LogicalType.STRING, "query_id"),
    Column("query_name", LogicalType.STRING, "query_name"),
    Column("ingested_at", LogicalType.TIMESTAMP, "ingested_at"),
    Column("dt", LogicalType.DATE, "dt"),
)


@dataclass(frozen=True)
class HeaderMapping:
    """How a document's header row maps onto a table's columns.

    `positions[i]` is the document column index of `table.columns[i]`, or None when absent.
    `extras` are (header, document index) pairs the registry does not know: they go to
    `extra_columns`. `kind` is "name" or "position"; `refused` says why nothing can be curated.
    """

    kind: str | None
    positions: tuple[int | None, ...] = ()
    extras: tuple[tuple[str, int], ...] = ()
    refused: str | None = None
