"""The vendor tables curated by DuckDB from simulator documents that Amazon's schemas accept:
every field typed, the report's options on every row, and restatements resolved by the view."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from adapters.duckdb_curate import DuckDbCurateEngine
from adapters.duckdb_query import DuckDbLakeQuery
from adapters.file_lake import FileLake
from domain import registry
from domain.curating import CurateService, json_mapping
from domain.lake import data_key, manifest, manifest_key
from domain.model import Outcome, Report, ReportStatus
from domain.ports import CurateJob, Lineage
from domain.registry import Column, LogicalType, Table
from sandbox import report_schemas, vendor_reports
from sandbox.reports import SimReport
from sandbox.settings import DEMO_VENDOR_ID
from tests.fakes import FakeClock

US = "ATVPDKIKX0DER"
SALES = "GET_VENDOR_SALES_REPORT"
TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
INVENTORY = "GET_VENDOR_INVENTORY_REPORT"
NPPM = "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT"
UPDATED = "2026-03-18"
WEEKS = ("WEEK", "2026-03-01", "2026-03-14")  # two Sunday-to-Saturday weeks
DAYS = ("DAY", "2026-03-01", "2026-03-03")
MONTHS = ("MONTH", "2026-01-01", "2026-02-28")
QUARTER = ("QUARTER", "2026-01-01", "2026-03-31")
# (report type, distributorView, sellingProgram, period): the options each type takes.
CASES = [
    (SALES, "MANUFACTURING", "RETAIL", WEEKS),
    (SALES, "SOURCING", "BUSINESS", DAYS),
    (SALES, "MANUFACTURING", "FRESH", MONTHS),
    (TRAFFIC, None, None, WEEKS),
    (TRAFFIC, None, None, DAYS),
    (INVENTORY, "MANUFACTURING", "RETAIL", WEEKS),
    (INVENTORY, "SOURCING", "FRESH", DAYS),
    (NPPM, None, None, QUARTER),
    (NPPM, None, None, DAYS),
]


def _options(view: str | None, program: str | None, period: str) -> dict[str, str]:
    options = {"reportPeriod": period}
    if view and program:
        options |= {"distributorView": view, "sellingProgram": program}
    return options


def vendor_document(
    report_type: str, options: dict[str, str], start: str, end: str, updated: str = UPDATED
) -> dict[str, Any]:
    """A simulator document, checked against Amazon's JSON Schema of its type."""
    spec = {
        "reportType": report_type,
        "reportOptions": options,
        "lastUpdatedDate": updated,
        "dataStartTime": start,
        "dataEndTime": end,
        "marketplaceIds": [US],
    }
    report = SimReport(
        DEMO_VENDOR_ID, "1", report_type, (US,), 0.0, 0.0, 0.0, "DONE",
        options=dict(options), vendor=True, specification=spec,
    )  # fmt: skip
    document: dict[str, Any] = json.loads("".join(vendor_reports.by_period(report, rows=5)))
    report_schemas.validator(report_type).validate(document)
    return document


def _lineage(report_type: str, start: str) -> Lineage:
    day = date.fromisoformat(start)
    moment = datetime.combine(day, datetime.min.time())
    return Lineage(DEMO_VENDOR_ID, US, "7001", report_type, moment, moment, moment, day)


def curate(tmp_path: Path, table: Table, document: dict[str, Any]):
    source = tmp_path / "raw.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    engine = DuckDbCurateEngine(memory_limit="256MB", threads=2)
    fields = engine.record_fields(source, table.record_path or "")
    target = tmp_path / f"{table.name}.parquet"
    spec = document["reportSpecification"]
    lineage = _lineage(spec["reportType"], spec["dataStartTime"])
    result = engine.curate(
        CurateJob(table, json_mapping(table, fields), fields, source, target, lineage)
    )
    return result, target


def _value(document: dict[str, Any], record: dict[str, Any], column: Column) -> Any:
    """What the column should hold, read from the document by hand."""
    node: Any = document if column.from_specification else record
    for part in column.source.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return None
    if column.type is LogicalType.DECIMAL:
        return Decimal(str(node)).quantize(Decimal(1).scaleb(-column.scale))
    if column.type is LogicalType.INTEGER:
        return int(node)
    if column.type is LogicalType.DATE:
        return date.fromisoformat(node)
    return str(node)


def _rows(target: Path, names: list[str]) -> list[tuple[Any, ...]]:
    columns = ", ".join(f'"{n}"' for n in names)
    return duckdb.sql(
        f"SELECT {columns} FROM read_parquet('{target}') ORDER BY ALL"  # noqa: S608
    ).fetchall()


@pytest.mark.parametrize(
    ("report_type", "view", "program", "period"),
    CASES,
    ids=[f"{t.split('_')[2]}-{v}-{p}-{period[0]}" for t, v, p, period in CASES],
)
def test_each_vendor_table_holds_every_field_of_the_document_typed(
    tmp_path, report_type, view, program, period
):
    document = vendor_document(report_type, _options(view, program, period[0]), *period[1:])
    tables = registry.tables_for(report_type)
    assert tables

    for table in tables:
        result, target = curate(tmp_path, table, document)

        records = document[table.record_path or ""]
        names = [c.name for c in table.columns]
        expected = sorted(
            tuple(_value(document, record, c) for c in table.columns) for record in records
        )
        assert (result.rows, result.parse_failures) == (len(records), {})
        assert _rows(target, names) == expected
        # The registry knows every field the simulator writes: nothing lands in extra_columns.
        assert _rows(target, ["extra_columns"]) == [(None,)] * len(records)


def test_report_options_and_last_updated_date_are_on_every_row(tmp_path):
    document = vendor_document(SALES, _options("SOURCING", "BUSINESS", "DAY"), *DAYS[1:])
    _, target = curate(tmp_path, registry.table("vendor_sales_by_asin"), document)
    found = _rows(
        target,
        ["distributor_view", "selling_program", "report_period", "last_updated_date"],
    )
    assert set(found) == {("SOURCING", "BUSINESS", "DAY", date(2026, 3, 18))}
    assert len(found) == 3 * 5  # three days, five ASINs


def test_conditional_fields_are_null_where_amazon_leaves_them_out(tmp_path):
    sourcing = vendor_document(SALES, _options("SOURCING", "FRESH", "WEEK"), *WEEKS[1:])
    _, target = curate(tmp_path, registry.table("vendor_sales_by_asin"), sourcing)
    # orderedRevenue and orderedUnits need MANUFACTURING, customerReturns RETAIL or BUSINESS.
    assert set(_rows(target, ["ordered_revenue_amount", "ordered_units", "customer_returns"])) == {
        (None, None, None)
    }
    daily = vendor_document(INVENTORY, _options("MANUFACTURING", "RETAIL", "DAY"), *DAYS[1:])
    _, target = curate(tmp_path, registry.table("vendor_inventory_by_asin"), daily)
    assert set(_rows(target, ["unhealthy_inventory_units", "unhealthy_inventory_cost_amount"])) == {
        (None, None)
    }


def test_amounts_are_decimals_units_bigints_and_dates_dates(tmp_path):
    document = vendor_document(INVENTORY, _options("MANUFACTURING", "RETAIL", "WEEK"), *WEEKS[1:])
    _, target = curate(tmp_path, registry.table("vendor_inventory_by_asin"), document)
    described = duckdb.sql(f"DESCRIBE SELECT * FROM '{target}'").fetchall()  # noqa: S608
    types = {name: kind for name, kind, *_ in described}
    assert types["start_date"] == types["end_date"] == types["last_updated_date"] == "DATE"
    assert types["sellable_on_hand_inventory_cost_amount"] == "DECIMAL(18,2)"
    assert types["sellable_on_hand_inventory_units"] == "BIGINT"
    assert types["sell_through_rate"] == "DECIMAL(18,6)"
    assert types["distributor_view"] == types["asin"] == "VARCHAR"
    ppm = vendor_document(NPPM, _options(None, None, "WEEK"), *WEEKS[1:])
    _, target = curate(tmp_path, registry.table("vendor_net_ppm_by_asin"), ppm)
    sql = f"SELECT DISTINCT typeof(net_pure_product_margin) FROM '{target}'"  # noqa: S608
    [(kind,)] = duckdb.sql(sql).fetchall()
    assert kind == "DECIMAL(18,6)"


def test_a_blank_or_bad_last_updated_date_is_a_parse_failure_of_every_row(tmp_path):
    document = vendor_document(NPPM, _options(None, None, "WEEK"), *WEEKS[1:])
    document["reportSpecification"]["lastUpdatedDate"] = "18.03.26"
    result, target = curate(tmp_path, registry.table("vendor_net_ppm_by_asin"), document)
    assert result.parse_failures == {"last_updated_date": result.rows}
    assert set(_rows(target, ["last_updated_date", "report_period"])) == {(None, "WEEK")}


# Restatements, end to end: stored reports, CurateService, and the `_latest` view.


def _store(lake: FileLake, report_id: str, document: dict[str, Any], ingested: datetime) -> dict:
    spec = document["reportSpecification"]
    start = datetime.fromisoformat(spec["dataStartTime"]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(spec["dataEndTime"]).replace(tzinfo=UTC)
    report = Report(
        DEMO_VENDOR_ID, report_id, spec["reportType"], ReportStatus.DONE, ingested, (US,),
        start, end,
    )  # fmt: skip
    lake.put(data_key(report), [json.dumps(document).encode()], "application/json")
    body = manifest(
        report,
        Outcome.STORE_DOCUMENT,
        stored_key=data_key(report),
        download=None,
        ingested_at=ingested,
    )
    lake.put_manifest(manifest_key(report), body)
    return body


def test_the_latest_view_keeps_the_newest_restatement_even_when_it_arrived_first(tmp_path):
    lake = FileLake(tmp_path / "lake")
    options = _options("MANUFACTURING", "RETAIL", "WEEK")
    newer = vendor_document(SALES, options, *WEEKS[1:], updated="2026-03-25")
    older = vendor_document(SALES, options, *WEEKS[1:], updated="2026-03-18")
    assert newer["salesByAsin"] != older["salesByAsin"]  # restated numbers
    service = CurateService(lake, DuckDbCurateEngine(memory_limit="256MB"), FakeClock())
    # The newer version lands first; the older one is fetched again later (a backfill).
    for report_id, document, day in (("NEW", newer, 26), ("OLD", older, 27)):
        ingested = datetime(2026, 3, day, tzinfo=UTC)
        section = service.curate(_store(lake, report_id, document, ingested))
        assert section is not None
        assert [t["parseFailures"] for t in section["tables"]] == [{}, {}]

    with DuckDbLakeQuery(tmp_path / "lake") as query:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [row for batch in query.query(sql).batches for row in batch]

        by_asin = rows(
            "SELECT start_date, asin, shipped_units, report_id, last_updated_date"
            " FROM vendor_sales_by_asin_latest ORDER BY ALL"
        )
        aggregate = rows(
            "SELECT start_date, shipped_units, report_id FROM vendor_sales_aggregate_latest"
            " ORDER BY ALL"
        )
        stored = rows("SELECT count(DISTINCT report_id) FROM vendor_sales_by_asin")

    assert stored == [(2,)]
    assert by_asin == sorted(
        (date.fromisoformat(r["startDate"]), r["asin"], r["shippedUnits"], "NEW", date(2026, 3, 25))
        for r in newer["salesByAsin"]
    )
    assert aggregate == sorted(
        (date.fromisoformat(r["startDate"]), r["shippedUnits"], "NEW")
        for r in newer["salesAggregate"]
    )
