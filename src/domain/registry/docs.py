"""The README's table reference, generated from the registry so the two cannot drift."""

from __future__ import annotations

from domain.registry.model import KIOSK_LINEAGE, LINEAGE, Column, Latest, LogicalType, Table

_LATEST = {
    Latest.SNAPSHOT: "the newest report per seller and marketplace",
    Latest.REPLACE_BY_KEY: "every row of a {key} from the newest report containing it",
    Latest.NEWEST_PER_KEY: "the newest row per {scope} and {key}",
}


def sql_type(column: Column) -> str:
    """The column's SQL type as users see it in `spapi-lake query`."""
    if column.type is LogicalType.DECIMAL:
        return f"DECIMAL({column.precision},{column.scale})"
    if column.type is LogicalType.STRUCT_LIST:
        return f"STRUCT({', '.join(f'{f.name} {sql_type(f)}' for f in column.fields)})[]"
    return {
        LogicalType.STRING: "VARCHAR",
        LogicalType.INTEGER: "BIGINT",
        LogicalType.DATE: "DATE",
        LogicalType.TIMESTAMP: "TIMESTAMP (UTC)",
        LogicalType.BOOLEAN: "BOOLEAN",
        LogicalType.DOUBLE: "DOUBLE",
    }[column.type]


def _origin(table: Table) -> str:
    if table.queries:
        selections = ", ".join(f"`{q}`" for q in table.queries)
        return f"From Data Kiosk {selections} (JSONL, one record per line)"
    source = f"records of `{table.record_path}`" if table.record_path else "tab-delimited"
    return f"From {', '.join(f'`{t}`' for t in table.report_types)} ({source})"


def _rows(column: Column, prefix: str = "", source: str = "") -> list[str]:
    """A column's row; a struct list's type in short, then a row per field of its elements."""
    remark = " (optional)" if column.optional else ""
    if column.from_specification:
        remark += " (the report's, on every row)"
    name, path = prefix + column.name, source + column.source
    kind = "STRUCT(…)[]" if column.fields else sql_type(column)
    rows = [f"| `{name}` | {kind} | `{path}`{remark} |"]
    for field in column.fields:
        rows += _rows(field, f"{name}[].", f"{path}[].")
    return rows


def _table(table: Table) -> list[str]:
    key = ", ".join(table.latest_key)
    scope = "seller, marketplace" if table.has_marketplace else "seller"
    kept = _LATEST[table.latest].format(key=f"({key})", scope=scope)
    newest = ", ".join(f"`{name}`" for name in table.newest_by)
    order = f", the newest {newest} first whenever it arrived" if newest else ""
    lines = [
        f"### `{table.name}`",
        "",
        f"{_origin(table)}. `{table.name}_latest` keeps {kept}{order}.",
        "",
        "| Column | Type | Header or JSON path |",
        "| --- | --- | --- |",
    ]
    for column in table.columns:
        lines += _rows(column)
    return [*lines, ""]


def markdown() -> str:
    """The README section for the registry's own tables."""
    from domain.registry import tables  # the package imports this module's siblings

    return render(tables())


def _lineage(intro: str, lineage: tuple[Column, ...]) -> list[str]:
    lines = [intro, "", "| Column | Type |", "| --- | --- |"]
    return lines + [f"| `{c.name}` | {sql_type(c)} |" for c in lineage] + [""]


def render(tables: tuple[Table, ...]) -> str:
    """One section per table (its source, latest rule, typed columns), then the lineage."""
    lines: list[str] = []
    for table in tables:
        lines += _table(table)
    kiosk = [t for t in tables if t.queries]
    whose = "Every report's table" if kiosk else "Every table"
    lines += ["### Lineage columns", ""]
    lines += _lineage(
        f"{whose} ends with `extra_columns` MAP(VARCHAR, VARCHAR) (headers the registry does "
        "not know, never dropped), then:",
        LINEAGE,
    )
    if kiosk:
        lines += _lineage(
            "A table fed by Data Kiosk ends with `extra_columns` (the JSON paths of a record "
            "the registry does not know), then:",
            KIOSK_LINEAGE,
        )
        lines += [
            "`query_id` is the page's query (each page of a paginated query has its own), "
            "`query_name` the configured query's name; `marketplace_id` is each record's "
            "`marketplaceId`. A column the query does not select is NULL. `fees[].fee_type_name` "
            "names a field of each element of the list `fees`.",
            "",
        ]
    lines += [
        "`seller_id` is the partner's id: a seller id, or a vendor's account id (`amzn1.vg.…`)."
    ]
    if any(c.from_specification for t in tables for c in t.columns):
        lines += [
            "",
            "A column whose path starts with `reportSpecification.` holds the report's own value "
            "(its options, its `lastUpdatedDate`) on every row. Only such columns are named "
            "otherwise than snake_case(path): `reportSpecification.reportOptions.reportPeriod` "
            "is `report_period`.",
        ]
    if without := [f"`{t.name}`" for t in tables if not t.has_marketplace]:
        lines += [
            "",
            f"`marketplace_id` is left out of {', '.join(without)}: Amazon ignores "
            "the requested marketplaces there, and a column names each row's marketplace.",
        ]
    return "\n".join([*lines, ""])
