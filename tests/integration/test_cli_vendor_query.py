"""After `spapi-lake demo`, the vendor's sales are curated and `spapi-lake query` reads them typed:
the issue's "done when" query, `SELECT * FROM vendor_sales_by_asin_latest LIMIT 5`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner, Result

from handlers.cli import app
from handlers.cli_demo import VENDOR_EXAMPLE
from sandbox.settings import DEMO_VENDOR_ID, DEMO_VENDOR_MARKETPLACE

SALES = "GET_VENDOR_SALES_REPORT"


def _query(lake: Path, sql: str, fmt: str = "json") -> Result:
    result = CliRunner().invoke(app, ["query", "--lake", str(lake), "--format", fmt, sql])
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result


def _manifest(lake: Path) -> dict:
    [path] = (lake / "manifests" / f"report_type={SALES}").glob("**/*.json")
    return json.loads(path.read_text())


def test_the_demo_curates_the_vendor_sales_report_into_both_tables_without_failures(demo):
    result, lake = demo
    manifest = _manifest(lake)
    tables = {t["table"]: t for t in manifest["curated"]["tables"]}
    assert sorted(tables) == ["vendor_sales_aggregate", "vendor_sales_by_asin"]
    assert all(t["parseFailures"] == {} and t["rows"] > 0 for t in tables.values())
    assert VENDOR_EXAMPLE in " ".join(result.stdout.split())


def test_the_done_when_query_returns_five_typed_rows_of_the_vendors_latest_sales(demo):
    _, lake = demo
    rows = json.loads(_query(lake, VENDOR_EXAMPLE).stdout)
    assert len(rows) == 5
    for row in rows:
        date.fromisoformat(row["start_date"])
        date.fromisoformat(row["last_updated_date"])
        assert isinstance(row["shipped_units"], int)
        assert isinstance(row["shipped_revenue_amount"], str)  # exact decimals, as text
        assert "." in row["shipped_revenue_amount"]
        assert (row["distributor_view"], row["selling_program"], row["report_period"]) == (
            "MANUFACTURING",
            "RETAIL",
            "WEEK",
        )
        assert row["seller_id"] == DEMO_VENDOR_ID  # the partner id: the vendor's account id
        assert row["marketplace_id"] == DEMO_VENDOR_MARKETPLACE
        assert row["asin"]


def test_the_view_columns_have_the_registrys_sql_types(demo):
    _, lake = demo
    sql = (
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = 'vendor_sales_by_asin_latest' AND column_name IN"
        " ('start_date', 'shipped_units', 'shipped_revenue_amount', 'report_period',"
        " 'last_updated_date') ORDER BY ALL"
    )
    found = list(csv.reader(io.StringIO(_query(lake, sql, "csv").stdout)))
    assert found[1:] == [
        ["last_updated_date", "DATE"],
        ["report_period", "VARCHAR"],
        ["shipped_revenue_amount", "DECIMAL(18,2)"],
        ["shipped_units", "BIGINT"],
        ["start_date", "DATE"],
    ]


def test_the_latest_view_has_one_row_per_week_and_asin(demo):
    _, lake = demo
    sql = (
        "SELECT count(*) AS n, count(DISTINCT (start_date, asin)) AS keys,"
        " count(DISTINCT start_date) AS weeks FROM vendor_sales_by_asin_latest"
    )
    [row] = json.loads(_query(lake, sql).stdout)
    assert row["n"] == row["keys"] > 0
    assert row["weeks"] == 2  # the demo asks for the last two whole weeks
