"""The README's table reference, generated from the registry so the two cannot drift."""

from __future__ import annotations

from domain.registry.model import Column, Latest, LogicalType, Table

_LATEST = {
    Latest.SNAPSHOT: "the newest report per seller and marketplace",
    Latest.REPLACE_BY_KEY: "every row of a {key} from the newest report containing it",
    Latest.NEWEST_PER_KEY: "the newest row per {key}",
}


def sql_type(column: Column) -> str:
    """The column's SQL type as users see it in `spapi-lake query`."""
    if column.type is LogicalType.DECIMAL:
        return f"DECIMAL({column.precision},{column.scale})"
    return {
        LogicalType.STRING: "VARCHAR",
        LogicalType.INTEGER: "BIGINT",
        LogicalType.DATE: "DATE",
        LogicalType.TIMESTAMP: "TIMESTAMP (UTC)",
        LogicalType.BOOLEAN: "BOOLEAN",
    }[column.type]


def _table(table: Table) -> list[str]:
    source = f"records of `{table.record_path}`" if table.record_path else "tab-delimited"
    key = ", ".join(table.latest_key)
    newest = ", ".join(f"`{name}`" for name in table.newest_by)
    order = f", the newest {newest} first whenever it arrived" if newest else ""
    lines = [
        f"### `{table.name}`",
        "",
        f"From {', '.join(f'`{t}`' for t in table.report_types)} ({source}). "
        f"`{table.name}_latest` keeps {_LATEST[table.latest].format(key=f'({key})')}{order}.",
        "",
        "| Column | Type | Header or JSON path |",
        "| --- | --- | --- |",
    ]
    for column in table.columns:
        remark = " (optional)" if column.optional else ""
        if column.from_specification:
            remark += " (the report's, on every row)"
        lines.append(f"| `{column.name}` | {sql_type(column)} | `{column.source}`{remark} |")
    return [*lines, ""]


def markdown() -> str:
    """The README section for the registry's own tables."""
    from domain.registry import LINEAGE, tables  # the package imports this module's siblings

    return render(tables(), LINEAGE)


def render(tables: tuple[Table, ...], lineage: tuple[Column, ...]) -> str:
    """One section per table (report types, latest rule, typed columns), then the lineage."""
    lines: list[str] = []
    for table in tables:
        lines += _table(table)
    lines += [
        "### Lineage columns",
        "",
        "Every table ends with `extra_columns` MAP(VARCHAR, VARCHAR) (headers the registry does "
        "not know, never dropped), then:",
        "",
        "| Column | Type |",
        "| --- | --- |",
    ]
    lines += [f"| `{c.name}` | {sql_type(c)} |" for c in lineage]
    lines += [
        "",
        "`seller_id` is the partner's id: a seller id, or a vendor's account id (`amzn1.vg.…`).",
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
