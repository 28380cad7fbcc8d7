"""`spapi-lake query`, `tables` and `curate` on the demo lake: known answers, types and errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner, Result

from handlers.cli import app

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"


def _cli(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def _csv(lake: Path, sql: str) -> list[dict[str, str]]:
    result = _cli("query", "--lake", str(lake), "--format", "csv", sql)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _manifests(lake: Path, report_type: str) -> list[dict]:
    folder = lake / "manifests" / f"report_type={report_type}"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("**/*.json"))]


def test_the_demo_ends_with_units_and_sales_per_marketplace(demo):
    result, lake = demo
    answer = _csv(lake, "SELECT DISTINCT marketplace_id FROM sales_traffic_by_date")
    assert "How many units did each marketplace sell" in result.stdout
    assert "units_ordered" in result.stdout
    assert {row["marketplace_id"] for row in answer} == {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}
    for row in answer:
        assert row["marketplace_id"] in result.stdout.split("How many units")[1]


def test_listings_per_marketplace_equal_the_manifests_rows(demo):
    _, lake = demo
    rows = _csv(
        lake, "SELECT marketplace_id, count(*) FROM merchant_listings GROUP BY 1 ORDER BY 1"
    )
    manifests = _manifests(lake, LISTINGS)
    expected = Counter()
    for manifest in manifests:
        expected[manifest["marketplaceIds"][0]] += manifest["rows"]
    assert [(r["marketplace_id"], int(r["count_star()"])) for r in rows] == sorted(expected.items())
    assert len(rows) == 2


def test_curated_columns_are_typed(demo):
    _, lake = demo
    types = _csv(
        lake,
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE (table_name = 'merchant_listings' AND column_name IN ('price', 'quantity'))"
        " OR (table_name = 'orders' AND column_name = 'purchase_date') ORDER BY ALL",
    )
    assert [(t["column_name"], t["data_type"]) for t in types] == [
        ("price", "DECIMAL(18,2)"),
        ("quantity", "BIGINT"),
        ("purchase_date", "TIMESTAMP"),
    ]


def test_the_table_format_shows_each_columns_type(demo):
    _, lake = demo
    result = _cli("query", "--lake", str(lake), "SELECT price, quantity FROM merchant_listings")
    assert result.exit_code == 0, result.output
    assert "DECIMAL(18,2)" in result.stdout
    assert "BIGINT" in result.stdout
    assert "(first 200 rows;" in result.stdout or "rows)" in result.stdout


def test_json_is_a_list_of_objects_with_exact_decimals_and_iso_timestamps(demo):
    _, lake = demo
    sql = (
        "SELECT price, quantity, open_date FROM merchant_listings"
        " WHERE price IS NOT NULL AND quantity IS NOT NULL LIMIT 3"
    )
    result = _cli("query", "--lake", str(lake), "--format", "json", sql)
    records = json.loads(result.stdout)
    assert result.exit_code == 0
    assert len(records) == 3
    for record in records:
        assert isinstance(record["price"], str)
        assert "." in record["price"]
        assert isinstance(record["quantity"], int)
        assert record["open_date"][10] == "T"


def test_raw_reports_are_tables_of_text_with_their_lineage(demo):
    _, lake = demo
    manifests = _manifests(lake, LISTINGS)
    [row] = _csv(
        lake,
        'SELECT count(*) AS n, count(DISTINCT report_id) AS reports, min("item-name") AS name,'
        " min(seller_id) AS seller, min(dt) AS dt FROM raw_get_merchant_listings_all_data",
    )
    assert int(row["n"]) == sum(m["rows"] for m in manifests)
    assert int(row["reports"]) == len(manifests)
    assert row["seller"] == manifests[0]["sellerId"]
    assert row["dt"] == min(m["dataStartTime"] or m["createdTime"] for m in manifests)[:10]


def test_tables_lists_every_table_with_rows_and_typed_columns(demo):
    _, lake = demo
    result = _cli("tables", "--lake", str(lake))
    assert result.exit_code == 0, result.output
    listed = {
        line.split()[0]: int(line.split()[1].replace(",", ""))
        for line in result.stdout.splitlines()
        if line and not line.startswith(" ")
    }
    manifests = _manifests(lake, LISTINGS)
    assert listed["merchant_listings"] == sum(m["rows"] for m in manifests)
    assert listed["raw_get_merchant_listings_all_data"] == listed["merchant_listings"]
    assert listed["merchant_listings_latest"] == listed["merchant_listings"]  # one per market
    assert {"orders", "orders_latest", "sales_traffic_by_asin", "settlements"} <= set(listed)
    assert "price DECIMAL(18,2)" in " ".join(result.stdout.split())


def test_the_latest_listings_are_one_snapshot_per_marketplace(demo):
    _, lake = demo
    rows = _csv(
        lake,
        "SELECT marketplace_id, count(DISTINCT report_id) AS reports"
        " FROM merchant_listings_latest GROUP BY 1 ORDER BY 1",
    )
    assert [r["reports"] for r in rows] == ["1", "1"]


def test_curate_rebuilds_the_curated_tables_from_raw(demo, tmp_path):
    _, demo_lake = demo
    lake = tmp_path / "lake"
    shutil.copytree(demo_lake, lake)
    before = _csv(lake, "SELECT count(*) AS n FROM merchant_listings")
    shutil.rmtree(lake / "curated")
    result = _cli("curate", "--lake", str(lake), "--report-type", LISTINGS)
    assert result.exit_code == 0, result.output
    assert _csv(lake, "SELECT count(*) AS n FROM merchant_listings") == before
    assert _csv(lake, "SELECT count(*) AS n FROM orders") == [{"n": "0"}]


def test_bad_sql_prints_duckdbs_message_in_one_line_and_exits_2(demo):
    _, lake = demo
    result = _cli("query", "--lake", str(lake), "SELECT nope FROM merchant_listings")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Binder Error" in result.stderr
    assert "nope" in result.stderr


def test_an_unknown_format_is_one_line_and_exit_2(demo):
    _, lake = demo
    result = _cli("query", "--lake", str(lake), "--format", "xml", "SELECT 1")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --format 'xml' is not one of table, csv, json"
    ]


def test_an_empty_lake_says_it_holds_no_reports_and_exits_2(tmp_path):
    for lake in (tmp_path, tmp_path / "missing"):
        result = _cli("query", "--lake", str(lake), "SELECT 1")
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "spapi-lake demo" in result.stderr


def test_a_lake_with_raw_reports_only_says_it_has_no_curated_data(tmp_path):
    # An item name that opens a quote and never closes it must not swallow the next rows.
    folder = tmp_path / "raw" / f"report_type={LISTINGS}" / "seller_id=A1" / "dt=2026-11-01"
    folder.mkdir(parents=True)
    text = 'item-name\tprice\n"Quoted start\t9.99\nPlain\t1,50\n'
    (folder / "4711.tsv").write_text(text, encoding="utf-8")
    result = _cli(
        "query",
        "--lake",
        str(tmp_path),
        "--format",
        "csv",
        'SELECT "item-name", price, report_id, dt FROM raw_get_merchant_listings_all_data',
    )
    assert result.exit_code == 0, result.output
    assert "no curated data" in result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["item-name", "price", "report_id", "dt"],
        ['"Quoted start', "9.99", "4711", "2026-11-01"],
        ["Plain", "1,50", "4711", "2026-11-01"],
    ]


def test_an_s3_lake_is_pointed_to_athena():
    result = _cli("query", "--lake", "s3://bucket/lake", "SELECT 1")
    assert result.exit_code == 2
    assert "Athena" in result.stderr


def test_curate_names_the_report_types_it_knows_when_given_another(tmp_path):
    result = _cli("curate", "--lake", str(tmp_path), "--report-type", "GET_XML_BROWSE_TREE_DATA")
    assert result.exit_code == 2
    assert "feeds no curated table" in result.stderr
    assert LISTINGS in result.stderr
    assert _cli("curate", "--lake", str(tmp_path), "--since", "yesterday").exit_code == 2
