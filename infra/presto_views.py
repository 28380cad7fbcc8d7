"""Athena views as Glue stores them: a VIRTUAL_VIEW whose text is an encoded Presto view."""

# Athena (Trino) reads a Glue table as a view when TableType is VIRTUAL_VIEW, its parameters say
# presto_view=true, and ViewOriginalText is "/* Presto View: <base64 JSON> */" (trinodb/trino
# ViewReaderUtil; shared/analytics/REPORT-SCHEMAS.md §3.4). The JSON lists the view's columns:
# Athena compares them with what the SQL yields and refuses a "stale" view when names, order or
# types disagree, so they are derived from the SQL itself, over the tables' Glue schema.

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

PREFIX, SUFFIX = "/* Presto View: ", " */"
EXPANDED = "/* Presto View */"
CATALOG = "awsdatacatalog"
PARAMETERS = {"presto_view": "true", "comment": "Presto View"}

Schema = Mapping[str, Mapping[str, str]]  # table → column → Hive type, in Glue column order


@dataclass(frozen=True)
class ViewColumn:
    name: str
    type: str  # Presto/Trino type, as the view definition holds it: varchar, decimal(18,2), …

    @property
    def hive_type(self) -> str:
        """As Athena writes it into the view's storage descriptor."""
        parsed = exp.DataType.build(self.type, dialect="trino")
        return parsed.sql("hive").lower().replace(" ", "")


def presto_type(dtype: exp.DataType | None) -> str:
    if dtype is None or dtype.is_type(exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
        raise ValueError("a view column of unknown type")
    if dtype.is_type(exp.DataType.Type.TIMESTAMP):
        return "timestamp(3)"  # Hive timestamps reach Trino at millisecond precision
    # Athena writes decimal(18,2) and map(varchar,varchar); a row keeps the space between
    # each field's name and type: array(row(fee_type_name varchar,amount decimal(18,2))).
    return dtype.sql("trino").lower().replace(", ", ",")


def view_columns(sql: str, schema: Schema) -> tuple[ViewColumn, ...]:
    """The names and types Athena gives the view's columns, in order."""
    tables = MappingSchema({t: dict(columns) for t, columns in schema.items()}, dialect="hive")
    query = qualify(sqlglot.parse_one(sql, read="athena"), schema=tables, dialect="athena")
    typed = annotate_types(query, schema=tables, dialect="athena")
    if not isinstance(typed, exp.Query):
        raise ValueError("a view body must be a query")
    return tuple(ViewColumn(s.alias_or_name, presto_type(s.type)) for s in typed.selects)


def original_text(sql: str, database: str, columns: Sequence[ViewColumn]) -> str:
    """The ConnectorViewDefinition Athena stores; no owner, so it runs as whoever queries it."""
    definition = {
        "originalSql": sql,
        "catalog": CATALOG,
        "schema": database,
        "columns": [{"name": c.name, "type": c.type} for c in columns],
    }
    encoded = base64.b64encode(json.dumps(definition).encode("utf-8")).decode("ascii")
    return f"{PREFIX}{encoded}{SUFFIX}"


def decode(text: str) -> dict[str, object]:
    """The view definition inside ViewOriginalText (what Athena reads back)."""
    if not (text.startswith(PREFIX) and text.endswith(SUFFIX)):
        raise ValueError("not a Presto view text")
    decoded: dict[str, object] = json.loads(base64.b64decode(text[len(PREFIX) : -len(SUFFIX)]))
    return decoded
