"""The vendor `_latest` views: restated periods resolve to the newest lastUpdatedDate, whenever
each report arrived, per period, ASIN and report options.

The views run as their DuckDB transpilation over a fixture lake of curated Parquet files.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlglot

from domain import registry
from domain.registry.views import latest_view_sql
from tests.unit.test_views import MONDAY, _latest, _write

BY_ASIN = registry.table("vendor_sales_by_asin")
AGGREGATE = registry.table("vendor_sales_aggregate")
WEEK = {"start_date": date(2026, 11, 1), "end_date": date(2026, 11, 7), "report_period": "WEEK"}
RETAIL = {"distributor_view": "MANUFACTURING", "selling_program": "RETAIL"}


def _sales(asin: str, units: int, updated: date | None, **options: object) -> dict[str, object]:
    row = {**WEEK, **RETAIL, "asin": asin, "shipped_units": units, "last_updated_date": updated}
    return {**row, **options}


def test_the_newest_last_updated_date_wins_even_when_its_report_arrived_first(tmp_path):
    restated, first = date(2026, 11, 20), date(2026, 11, 10)
    _write(tmp_path, BY_ASIN, "NEW", [_sales("B0A", 12, restated), _sales("B0B", 7, restated)])
    # The older version of the same week, fetched again later (a backfill): it must not win.
    late = MONDAY + timedelta(days=3)
    _write(tmp_path, BY_ASIN, "OLD", [_sales("B0A", 10, first)], ends=MONDAY, ingested=late)

    kept = _latest(tmp_path, BY_ASIN, "asin", "shipped_units", "last_updated_date", "report_id")

    assert kept == [("B0A", 12, restated, "NEW"), ("B0B", 7, restated, "NEW")]


def test_an_asin_missing_from_the_restatement_keeps_its_last_known_row(tmp_path):
    _write(
        tmp_path, BY_ASIN, "OLD", [_sales("B0A", 10, date(2026, 11, 10)), _sales("B0C", 3, None)]
    )
    _write(tmp_path, BY_ASIN, "NEW", [_sales("B0A", 12, date(2026, 11, 20))])
    kept = _latest(tmp_path, BY_ASIN, "asin", "shipped_units", "report_id")
    assert kept == [("B0A", 12, "NEW"), ("B0C", 3, "OLD")]


def test_a_row_without_last_updated_date_loses_to_a_dated_one_even_if_newer(tmp_path):
    _write(tmp_path, BY_ASIN, "DATED", [_sales("B0A", 10, date(2026, 11, 10))])
    later = MONDAY + timedelta(days=7)
    _write(tmp_path, BY_ASIN, "UNDATED", [_sales("B0A", 99, None)], ends=later, ingested=later)
    assert _latest(tmp_path, BY_ASIN, "asin", "report_id") == [("B0A", "DATED")]


def test_same_day_versions_fall_back_to_the_window_end_then_the_arrival(tmp_path):
    same = date(2026, 11, 20)
    _write(tmp_path, BY_ASIN, "FIRST", [_sales("B0A", 10, same)])
    later = MONDAY + timedelta(hours=1)
    _write(tmp_path, BY_ASIN, "SECOND", [_sales("B0A", 11, same)], ingested=later)
    assert _latest(tmp_path, BY_ASIN, "asin", "shipped_units") == [("B0A", 11)]


def test_other_report_options_and_periods_are_other_rows_not_restatements(tmp_path):
    old, new = date(2026, 11, 10), date(2026, 11, 20)
    day = {"start_date": date(2026, 11, 1), "end_date": date(2026, 11, 1), "report_period": "DAY"}
    _write(
        tmp_path,
        BY_ASIN,
        "OLD",
        [
            _sales("B0A", 10, old),
            _sales("B0A", 8, old, distributor_view="SOURCING"),
            _sales("B0A", 1, old, selling_program="BUSINESS"),
            _sales("B0A", 2, old, **day),
        ],
    )
    _write(tmp_path, BY_ASIN, "NEW", [_sales("B0A", 12, new)])
    kept = _latest(
        tmp_path, BY_ASIN, "report_period", "distributor_view", "selling_program", "shipped_units"
    )
    assert kept == [
        ("DAY", "MANUFACTURING", "RETAIL", 2),
        ("WEEK", "MANUFACTURING", "BUSINESS", 1),
        ("WEEK", "MANUFACTURING", "RETAIL", 12),
        ("WEEK", "SOURCING", "RETAIL", 8),
    ]


def test_the_aggregate_keeps_one_row_per_period_and_options_from_the_newest_version(tmp_path):
    week = {**WEEK, **RETAIL}
    _write(
        tmp_path,
        AGGREGATE,
        "NEW",
        [{**week, "shipped_units": 40, "last_updated_date": date(2026, 11, 20)}],
    )
    _write(
        tmp_path,
        AGGREGATE,
        "OLD",
        [{**week, "shipped_units": 30, "last_updated_date": date(2026, 11, 10)}],
        ingested=MONDAY + timedelta(days=2),
    )
    assert _latest(tmp_path, AGGREGATE, "shipped_units", "report_id") == [(40, "NEW")]


def test_the_restatement_order_survives_transpilation_from_athena_to_duckdb():
    for table in (BY_ASIN, AGGREGATE):
        athena = sqlglot.parse_one(latest_view_sql(table), read="athena")
        local = sqlglot.transpile(latest_view_sql(table), read="athena", write="duckdb")[0]
        window = athena.find(sqlglot.exp.Window)
        assert window is not None
        order = [o.this.name for o in window.args["order"].expressions]
        assert order[:2] == ["last_updated_date", "data_end_time"]
        # DuckDB sorts NULLs last by default, so sqlglot drops the words, not the order.
        assert 'ORDER BY "last_updated_date" DESC, "data_end_time" DESC' in local
