"""The `_latest` views and sample queries: Athena SQL that parses, and rows that follow each rule.

The rules run the views' DuckDB transpilation over a fixture lake of curated Parquet files.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from adapters.duckdb_query import DuckDbLakeQuery, curated_columns
from domain import registry
from domain.registry import Latest, LogicalType, Table
from domain.registry.views import DEMO_QUERY, SAMPLE_QUERIES, latest_view_sql

TABLES = registry.tables()
SELLER = "A2SELLER"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
MONDAY = datetime(2026, 11, 2)


def _select_names(sql: str) -> list[str]:
    return [e.alias_or_name for e in sqlglot.parse_one(sql, read="athena").expressions]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_view_parses_in_athenas_dialect_and_selects_every_curated_column(table):
    expected = [name for name, _ in curated_columns(table)]
    assert _select_names(latest_view_sql(table)) == expected
    assert ("marketplace_id" in expected) == table.has_marketplace


@pytest.mark.parametrize("query", SAMPLE_QUERIES, ids=lambda q: q.name)
def test_every_sample_query_parses_in_athena_and_reads_only_curated_tables_or_views(query):
    parsed = sqlglot.parse_one(query.sql, read="athena")
    ctes = {cte.alias for cte in parsed.find_all(exp.CTE)}
    known = {t.name for t in TABLES} | {f"{t.name}_latest" for t in TABLES}
    read = {t.name for t in parsed.find_all(exp.Table)} - ctes
    assert read
    assert read <= known
    assert query.question.endswith("?")


def test_there_are_five_or_more_sample_queries_with_unique_identifier_names():
    names = [q.name for q in SAMPLE_QUERIES]
    assert len(names) >= 5
    assert len(set(names)) == len(names)
    assert all(n.isidentifier() and n.islower() for n in names)
    assert DEMO_QUERY in names


def test_the_sample_queries_bind_to_the_registrys_columns_locally(tmp_path):
    with DuckDbLakeQuery(tmp_path) as lake:
        for query in SAMPLE_QUERIES:
            local = sqlglot.transpile(query.sql, read="athena", write="duckdb")[0]
            assert list(lake.query(local).batches) == [], query.name


# The fixture lake: curated Parquet files written the way the curate engine lays them out.


def _value(table: Table, name: str, tag: str) -> object:
    column = next(c for c in table.columns if c.name == name)
    if column.type is LogicalType.DATE:
        return date(2026, 11, int(tag.strip("k") or 1))
    return tag


def _write(
    root: Path,
    table: Table,
    report_id: str,
    rows: list[dict[str, object]],
    *,
    marketplace: str = US,
    ends: datetime = MONDAY,
    ingested: datetime = MONDAY,
) -> None:
    lineage = {
        "seller_id": SELLER,
        "marketplace_id": marketplace,  # a Data Kiosk table's is a column of the data
        "report_id": report_id,
        "report_type": (table.report_types or ("",))[0],
        "query_id": report_id,  # a Data Kiosk table's files are pages of queries
        "query_name": "sales",
        "data_start_time": ends - timedelta(days=1),
        "data_end_time": ends,
        "ingested_at": ingested,
        "dt": (ends - timedelta(days=1)).date(),
    }
    columns = curated_columns(table)
    folder = root / "curated" / table.name / f"seller_id={SELLER}" / f"dt={lineage['dt']}"
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as db:
        db.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {kind}' for n, kind in columns) + ")")
        marks = ", ".join("?" for _ in columns)
        db.executemany(
            f"INSERT INTO t VALUES ({marks})",  # noqa: S608
            [[{**row, **lineage}.get(n) for n, _ in columns] for row in rows],
        )
        db.execute(f"COPY t TO '{folder / (report_id + '.parquet')}' (FORMAT parquet)")


def _latest(root: Path, table: Table, *columns: str) -> list[tuple[object, ...]]:
    names = ", ".join(f'"{c}"' for c in columns)
    with DuckDbLakeQuery(root) as lake:
        result = lake.query(f"SELECT {names} FROM {table.name}_latest ORDER BY ALL")  # noqa: S608
        return [row for batch in result.batches for row in batch]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_each_view_keeps_the_newest_rows_its_rule_names(table, tmp_path):
    # Same data window, so only the ingestion time says which report is newer.
    key = table.latest_key or ("report_id",)
    keyed = [k for k in key if k in {c.name for c in table.columns}]

    def row(tag: str) -> dict[str, object]:
        return {k: _value(table, k, tag) for k in keyed}

    later = MONDAY + timedelta(hours=6)
    _write(tmp_path, table, "R1", [row("k1"), row("k2"), row("k2")])
    _write(tmp_path, table, "R2", [row("k1"), row("k3")], ingested=later)
    _write(tmp_path, table, "R3", [row("k1")], marketplace=CA)
    scope = "marketplace_id" if table.has_marketplace else "seller_id"
    kept = _latest(tmp_path, table, "query_id" if table.queries else "report_id", scope)
    expected = {
        # The newest report per seller and marketplace, whole.
        Latest.SNAPSHOT: [("R2", US), ("R2", US), ("R3", CA)],
        # k1 from the newest report holding it, whatever the marketplace; R1's two k2 lines stay.
        Latest.REPLACE_BY_KEY: [("R1", US), ("R1", US), ("R2", US), ("R2", US)],
        # One newest row per key within seller and marketplace.
        Latest.NEWEST_PER_KEY: [("R1", US), ("R2", US), ("R2", US), ("R3", CA)],
    }[table.latest]
    if table.latest is Latest.REPLACE_BY_KEY and not table.has_marketplace:
        expected = [("R1", SELLER), ("R1", SELLER), ("R2", SELLER), ("R2", SELLER)]
    assert kept == sorted(expected)


def test_two_overlapping_orders_reports_give_every_line_of_an_order_from_the_newer(tmp_path):
    orders = registry.table("orders")
    line = {"amazon_order_id": "111-1", "sku": "SKU-1", "quantity": 1}
    other = {"amazon_order_id": "111-2", "sku": "SKU-2", "quantity": 3, "order_status": "Shipped"}
    _write(tmp_path, orders, "R1", [{**line, "order_status": "Pending"}] * 3 + [other])
    shipped = {**line, "order_status": "Shipped"}
    _write(tmp_path, orders, "R2", [shipped, shipped], ends=MONDAY + timedelta(days=1))
    # An older window ingested last (a backfill): the window's end decides, not the arrival.
    backfill = MONDAY + timedelta(days=9)
    _write(tmp_path, orders, "R0", [line], ends=MONDAY - timedelta(days=1), ingested=backfill)
    kept = _latest(tmp_path, orders, "amazon_order_id", "order_status", "quantity", "report_id")
    assert kept == [
        ("111-1", "Shipped", 1, "R2"),
        ("111-1", "Shipped", 1, "R2"),  # identical lines are two units sold, not a duplicate
        ("111-2", "Shipped", 3, "R1"),
    ]


def test_two_listings_snapshots_give_the_newer_one(tmp_path):
    listings = registry.table("merchant_listings")
    _write(
        tmp_path,
        listings,
        "OLD",
        [{"seller_sku": "A", "status": "Active"}, {"seller_sku": "B", "status": "Active"}],
    )
    _write(
        tmp_path,
        listings,
        "NEW",
        [{"seller_sku": "A", "status": "Inactive"}],
        ends=MONDAY + timedelta(days=1),
    )
    assert _latest(tmp_path, listings, "seller_sku", "status", "report_id") == [
        ("A", "Inactive", "NEW")
    ]


def test_sales_by_asin_over_two_windows_are_both_kept(tmp_path):
    by_asin = registry.table("sales_traffic_by_asin")
    row = {"parent_asin": "B0P", "child_asin": "B0C", "sales_by_asin_units_ordered": 2}
    _write(tmp_path, by_asin, "DAY1", [row])
    _write(tmp_path, by_asin, "DAY2", [row], ends=MONDAY + timedelta(days=1))
    _write(
        tmp_path,
        by_asin,
        "DAY2-AGAIN",
        [{**row, "sales_by_asin_units_ordered": 5}],
        ends=MONDAY + timedelta(days=1),
        ingested=MONDAY + timedelta(days=2),
    )
    kept = _latest(tmp_path, by_asin, "report_id", "sales_by_asin_units_ordered")
    assert kept == [("DAY1", 2), ("DAY2-AGAIN", 5)]
