"""DuckDbCurateEngine on JSON reports: one document, records flattened to dotted paths."""

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from adapters import json_records
from adapters.duckdb_curate import DuckDbCurateEngine
from domain import registry
from domain.curating import CurateError, json_mapping
from domain.ports import CurateJob, Lineage

BY_DATE = registry.table("sales_traffic_by_date")
BY_ASIN = registry.table("sales_traffic_by_asin")
LINEAGE = Lineage(
    "A3TH9S8BH6GOGM",
    "ATVPDKIKX0DER",
    "54517018502",
    "GET_SALES_AND_TRAFFIC_REPORT",
    datetime(2026, 11, 25),
    datetime(2026, 11, 26, 23, 59, 59),
    None,
    date(2026, 11, 25),
)
DOCUMENT = {
    "reportSpecification": {"reportType": "GET_SALES_AND_TRAFFIC_REPORT", "marketplaceIds": ["X"]},
    "salesAndTrafficByDate": [
        {
            "date": "2026-11-25",
            "salesByDate": {
                "orderedProductSales": {"amount": 1234.5, "currencyCode": "USD"},
                "unitsOrdered": 42,
                "refundRate": 1.25,
                "brandNewMetric": {"value": 7},
            },
            "trafficByDate": {"sessions": 900, "buyBoxPercentage": 97.5},
        },
        {"date": "2026-11-26", "salesByDate": {"unitsOrdered": "many"}},
    ],
    "salesAndTrafficByAsin": [
        {"parentAsin": "B0PARENT01", "childAsin": "B0CHILD001", "salesByAsin": {"unitsOrdered": 3}},
        {"parentAsin": "B0PARENT02", "salesByAsin": {"unitsOrdered": 0}},
    ],
}


def engine() -> DuckDbCurateEngine:
    return DuckDbCurateEngine(memory_limit="256MB", threads=2)


def document(tmp_path: Path, body: dict | None = None) -> Path:
    path = tmp_path / "raw.json"
    path.write_text(json.dumps(body if body is not None else DOCUMENT), encoding="utf-8")
    return path


def curate(tmp_path: Path, table, source: Path):
    fields = engine().record_fields(source, table.record_path)
    target = tmp_path / f"{table.name}.parquet"
    job = CurateJob(table, json_mapping(table, fields), fields, source, target, LINEAGE)
    result = engine().curate(job)
    return result, duckdb.read_parquet(str(target))


def test_record_fields_are_the_dotted_leaf_paths_of_all_records_in_first_seen_order(tmp_path):
    fields = engine().record_fields(document(tmp_path), "salesAndTrafficByDate")

    assert fields == (
        "date",
        "salesByDate.orderedProductSales.amount",
        "salesByDate.orderedProductSales.currencyCode",
        "salesByDate.unitsOrdered",
        "salesByDate.refundRate",
        "salesByDate.brandNewMetric.value",
        "trafficByDate.sessions",
        "trafficByDate.buyBoxPercentage",
    )


def test_a_missing_or_empty_record_array_has_no_fields(tmp_path):
    source = document(tmp_path, {"salesAndTrafficByDate": []})

    assert engine().record_fields(source, "salesAndTrafficByDate") == ()
    assert engine().record_fields(source, "salesAndTrafficByAsin") == ()


def test_daily_records_become_typed_rows_with_unknown_paths_in_extra_columns(tmp_path):
    result, parquet = curate(tmp_path, BY_DATE, document(tmp_path))

    assert result.rows == 2
    assert result.parse_failures == {"sales_by_date_units_ordered": 1}  # "many"
    rows = parquet.order("date").select(
        "date, sales_by_date_ordered_product_sales_amount, "
        "sales_by_date_ordered_product_sales_currency_code, sales_by_date_units_ordered, "
        "sales_by_date_refund_rate, traffic_by_date_buy_box_percentage, "
        "sales_by_date_units_ordered_b2b, extra_columns, data_end_time"
    )
    assert rows.fetchall() == [
        (
            date(2026, 11, 25),
            Decimal("1234.50"),
            "USD",
            42,
            Decimal("1.2500"),
            Decimal("97.5000"),
            None,
            {"salesByDate.brandNewMetric.value": "7"},
            datetime(2026, 11, 26, 23, 59, 59),
        ),
        (
            date(2026, 11, 26),
            None,
            None,
            None,
            None,
            None,
            None,
            {},
            datetime(2026, 11, 26, 23, 59, 59),
        ),
    ]


def test_asin_records_of_one_document_feed_their_own_table(tmp_path):
    source = document(tmp_path)

    result, parquet = curate(tmp_path, BY_ASIN, source)

    assert result.rows == 2
    assert result.parse_failures == {}
    rows = parquet.order("parent_asin").select(
        "parent_asin, child_asin, sales_by_asin_units_ordered"
    )
    assert rows.fetchall() == [("B0PARENT01", "B0CHILD001", 3), ("B0PARENT02", None, 0)]
    assert parquet.columns[-len(registry.LINEAGE) :] == [c.name for c in registry.LINEAGE]


def test_a_document_without_records_for_the_table_writes_an_empty_table(tmp_path):
    result, parquet = curate(tmp_path, BY_ASIN, document(tmp_path, {"salesAndTrafficByDate": []}))

    assert result.rows == 0
    assert parquet.fetchall() == []
    assert "sales_by_asin_units_ordered" in parquet.columns


def test_records_are_streamed_across_buffer_refills_whatever_the_key_order(tmp_path, monkeypatch):
    monkeypatch.setattr(json_records, "CHUNK", 7)  # every value straddles a refill
    body = {
        "salesAndTrafficByAsin": [{"parentAsin": f"B0{i:08d}", "n": 12345.5} for i in range(40)],
        "salesAndTrafficByDate": [{"date": "2026-11-25"}],
        "reportSpecification": {"reportType": "GET_SALES_AND_TRAFFIC_REPORT", "big": 1e300},
    }
    source = tmp_path / "raw.json"
    source.write_text(json.dumps(body, indent=1), encoding="utf-8")
    lines, specification = tmp_path / "records.ndjson", tmp_path / "specification.json"

    fields = json_records.split_records(source, "salesAndTrafficByAsin", lines, specification)

    assert fields == ("parentAsin", "n")
    written = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    assert written == body["salesAndTrafficByAsin"]
    specification_text = specification.read_text(encoding="utf-8")
    assert json.loads(specification_text) == {"reportSpecification": body["reportSpecification"]}


def test_a_document_that_is_not_a_json_object_is_a_curate_error(tmp_path):
    source = tmp_path / "raw.json"
    source.write_text('[{"date": "2026-11-25"}]', encoding="utf-8")

    with pytest.raises(CurateError, match=r"salesAndTrafficByDate records of raw\.json"):
        engine().record_fields(source, "salesAndTrafficByDate")
