"""Report schema registry: the curated tables each report type feeds, with typed columns."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from domain.errors import UnknownTableError
from domain.registry.formats import (
    DATE_PATTERNS,
    NUMBER_PATTERNS,
    PATTERNS,
    TIMESTAMP_PATTERNS,
    ZONE_OFFSETS,
    Pattern,
)
from domain.registry.headers import map_headers
from domain.registry.loading import load_tables
from domain.registry.locales import DECIMAL_COMMA_COUNTRIES, decimal_comma
from domain.registry.model import (
    KIOSK_LINEAGE,
    LINEAGE,
    SPECIFICATION,
    Column,
    HeaderMapping,
    Latest,
    LogicalType,
    Table,
)
from domain.registry.names import snake_case
from domain.registry.parsing import ParseFailure, parse_number, parse_strict, parse_value

__all__ = [
    "DATE_PATTERNS",
    "DECIMAL_COMMA_COUNTRIES",
    "KIOSK_LINEAGE",
    "LINEAGE",
    "NUMBER_PATTERNS",
    "PATTERNS",
    "SPECIFICATION",
    "TIMESTAMP_PATTERNS",
    "ZONE_OFFSETS",
    "Column",
    "HeaderMapping",
    "Latest",
    "LogicalType",
    "ParseFailure",
    "Pattern",
    "Table",
    "decimal_comma",
    "load_tables",
    "map_headers",
    "parse_number",
    "parse_strict",
    "parse_value",
    "snake_case",
    "table",
    "tables",
    "tables_for",
    "tables_for_query",
]


@cache
def tables() -> tuple[Table, ...]:
    """Every curated table, in the order of tables.json."""
    return load_tables(files(__name__).joinpath("tables.json").read_text(encoding="utf-8"))


def table(name: str) -> Table:
    """The table called `name`; raises UnknownTableError naming the known tables."""
    for known in tables():
        if known.name == name:
            return known
    raise UnknownTableError(
        f"unknown table {name!r}: use one of {', '.join(t.name for t in tables())}"
    )


def tables_for(report_type: str) -> tuple[Table, ...]:
    """The tables a report type feeds (two for sales and traffic); empty if it is not curated."""
    return tuple(t for t in tables() if report_type in t.report_types)


def tables_for_query(selection: str) -> tuple[Table, ...]:
    """The tables a Data Kiosk selection (`<dataset>.<field>`) feeds; empty if none."""
    return tuple(t for t in tables() if selection in t.queries)
