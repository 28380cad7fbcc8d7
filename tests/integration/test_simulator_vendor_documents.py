"""Vendor report documents on the simulator: valid per Amazon's schemas, periods, restatements."""

from __future__ import annotations

import gzip
import itertools
import json
from datetime import date, timedelta

import pytest

from sandbox.clock import ManualClock
from sandbox.report_schemas import validator
from sandbox.settings import DEMO_VENDOR_ID, DEMO_VENDOR_REFRESH_TOKEN
from sandbox.times import parse

REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
SALES = "GET_VENDOR_SALES_REPORT"
INVENTORY = "GET_VENDOR_INVENTORY_REPORT"
US = "ATVPDKIKX0DER"
NOW = "2026-03-18T12:00:00Z"  # a Wednesday
TODAY = "2026-03-18"
ROWS = 12  # ASINs in the vendor's catalog
# A window aligned to every period: DAY (15 days at most), WEEK, MONTH, QUARTER, YEAR.
WINDOWS = {
    "DAY": ("2026-03-01", "2026-03-07"),
    "WEEK": ("2026-02-15", "2026-03-14"),
    "MONTH": ("2025-11-01", "2026-02-28"),
    "QUARTER": ("2025-01-01", "2025-12-31"),
    "YEAR": ("2024-01-01", "2025-12-31"),
}
FAST = {op: (100.0, 100) for op in ("createReport", "getReport", "getReportDocument")}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(parse(NOW))


@pytest.fixture
def running(make_simulator, clock):
    return make_simulator(clock=clock, processing_seconds=0, rows=ROWS, rate_limits=FAST)


def _document(running, report_type: str, options: dict | None = None, **body) -> dict:
    """A vendor's DONE report's document, checked against Amazon's schema for its type."""
    client = running.seller(DEMO_VENDOR_REFRESH_TOKEN)
    payload = {"reportType": report_type, "marketplaceIds": [US], **body}
    if options is not None:
        payload["reportOptions"] = options
    response = client.post(REPORTS, json=payload)
    assert response.status_code == 202, response.text
    report = running.wait_for_report(client, response.json()["reportId"])
    assert report["processingStatus"] == "DONE", report
    reference = client.get(f"{DOCUMENTS}/{report['reportDocumentId']}").json()
    download = running.http.get(reference["url"])
    assert download.headers["content-type"] == "application/json; charset=UTF-8"
    document = json.loads(gzip.decompress(download.content))
    errors = [e.message for e in validator(report_type).iter_errors(document)]
    assert errors == [], errors[:3]
    return dict(document)


def _period(period: str) -> dict[str, str]:
    start, end = WINDOWS[period]
    return {"dataStartTime": start, "dataEndTime": end}


def _weeks(start: str, count: int) -> list[tuple[str, str]]:
    first = date.fromisoformat(start)
    return [
        (str(first + timedelta(weeks=n)), str(first + timedelta(weeks=n, days=6)))
        for n in range(count)
    ]


SALES_COMBINATIONS = list(
    itertools.product(("MANUFACTURING", "SOURCING"), ("RETAIL", "BUSINESS", "FRESH"))
)


@pytest.mark.parametrize(("view", "program"), SALES_COMBINATIONS)
def test_sales_documents_fit_the_schema_and_its_conditional_fields(running, view, program):
    options = {"distributorView": view, "reportPeriod": "WEEK", "sellingProgram": program}

    document = _document(running, SALES, options, **_period("WEEK"))

    rows = document["salesAggregate"] + document["salesByAsin"]
    # orderedRevenue and orderedUnits only for MANUFACTURING; customerReturns only for RETAIL
    # or BUSINESS, as the schema describes them.
    assert all(("orderedUnits" in r) == (view == "MANUFACTURING") for r in rows)
    assert all(("orderedRevenue" in r) == (view == "MANUFACTURING") for r in rows)
    assert all(("customerReturns" in r) == (program != "FRESH") for r in rows)
    assert {r["shippedRevenue"]["currencyCode"] for r in rows} == {"USD"}


@pytest.mark.parametrize("period", list(WINDOWS))
def test_a_sales_report_has_one_row_per_period_and_per_asin_in_each(running, period):
    options = {
        "distributorView": "MANUFACTURING",
        "reportPeriod": period,
        "sellingProgram": "RETAIL",
    }

    document = _document(running, SALES, options, **_period(period))

    periods = [(r["startDate"], r["endDate"]) for r in document["salesAggregate"]]
    expected = {"DAY": 7, "WEEK": 4, "MONTH": 4, "QUARTER": 4, "YEAR": 2}[period]
    assert len(periods) == expected
    assert periods[0][0] == WINDOWS[period][0]
    assert periods[-1][1] == WINDOWS[period][1]
    by_asin = document["salesByAsin"]
    assert len(by_asin) == expected * ROWS
    assert [(r["startDate"], r["endDate"]) for r in by_asin[::ROWS]] == periods
    assert len({r["asin"] for r in by_asin}) == ROWS


def test_weekly_periods_run_sunday_to_saturday_and_the_aggregate_sums_the_asins(running):
    options = {
        "distributorView": "MANUFACTURING",
        "reportPeriod": "WEEK",
        "sellingProgram": "RETAIL",
    }

    document = _document(running, SALES, options, **_period("WEEK"))

    aggregates = document["salesAggregate"]
    assert [(r["startDate"], r["endDate"]) for r in aggregates] == _weeks("2026-02-15", 4)
    for aggregate in aggregates:
        rows = [r for r in document["salesByAsin"] if r["startDate"] == aggregate["startDate"]]
        assert aggregate["shippedUnits"] == sum(r["shippedUnits"] for r in rows)
        assert aggregate["orderedUnits"] == sum(r["orderedUnits"] for r in rows)
        revenue = sum(r["shippedRevenue"]["amount"] for r in rows)
        assert aggregate["shippedRevenue"]["amount"] == pytest.approx(revenue, abs=0.01)


def test_the_specification_echoes_the_request_with_the_data_version(running):
    options = {"distributorView": "SOURCING", "reportPeriod": "WEEK", "sellingProgram": "FRESH"}

    document = _document(running, SALES, options, **_period("WEEK"))

    assert document["reportSpecification"] == {
        "reportType": SALES,
        "reportOptions": options,
        "lastUpdatedDate": TODAY,
        "dataStartTime": "2026-02-15",
        "dataEndTime": "2026-03-14",
        "marketplaceIds": [US],
    }


@pytest.mark.parametrize(
    ("view", "period", "program"),
    list(
        itertools.product(
            ("MANUFACTURING", "SOURCING"), ("DAY", "WEEK", "MONTH"), ("RETAIL", "FRESH")
        )
    ),
)
def test_inventory_documents_fit_the_schema(running, view, period, program):
    options = {"distributorView": view, "reportPeriod": period, "sellingProgram": program}

    document = _document(running, INVENTORY, options, **_period(period))

    rows = document["inventoryByAsin"]
    assert len(document["inventoryAggregate"]) * ROWS == len(rows)
    # Not available at daily granularity (amzn/selling-partner-api-models#4809).
    assert all(("unhealthyInventoryUnits" in r) == (period != "DAY") for r in rows)


def test_inventory_units_may_go_negative_where_the_schema_allows_it(make_simulator, clock):
    running = make_simulator(clock=clock, processing_seconds=0, rows=60, rate_limits=FAST)
    options = {
        "distributorView": "MANUFACTURING",
        "reportPeriod": "DAY",
        "sellingProgram": "RETAIL",
    }

    rows = _document(running, INVENTORY, options, **_period("DAY"))["inventoryByAsin"]

    assert any(r["netReceivedInventoryUnits"] < 0 for r in rows)
    assert any(r["netReceivedInventoryCost"]["amount"] < 0 for r in rows)
    assert all(r["unsellableOnHandInventoryUnits"] >= 0 for r in rows)


@pytest.mark.parametrize("period", ["DAY", "WEEK", "QUARTER"])
def test_traffic_documents_fit_the_schema(running, period):
    document = _document(
        running, "GET_VENDOR_TRAFFIC_REPORT", {"reportPeriod": period}, **_period(period)
    )

    assert len(document["trafficByAsin"]) == len(document["trafficAggregate"]) * ROWS
    for aggregate in document["trafficAggregate"]:
        rows = [r for r in document["trafficByAsin"] if r["startDate"] == aggregate["startDate"]]
        assert aggregate["glanceViews"] == sum(r["glanceViews"] for r in rows)


@pytest.mark.parametrize(
    ("period", "window"),
    [
        ("DAY", ("2026-03-01", "2026-03-10")),
        ("WEEK", ("2026-02-01", "2026-03-07")),
        ("MONTH", ("2025-03-01", "2026-02-28")),
    ],
)
def test_net_ppm_documents_fit_the_schema_with_margins_between_0_and_1(running, period, window):
    options = {"reportPeriod": period}
    body = {"dataStartTime": window[0], "dataEndTime": window[1]}

    document = _document(running, "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", options, **body)

    margins = document["netPureProductMarginAggregate"] + document["netPureProductMarginByAsin"]
    assert all(0 <= r["netPureProductMargin"] <= 1 for r in margins)


@pytest.mark.parametrize("program", ["RETAIL", "FRESH"])
def test_forecast_documents_have_weekly_forecasts_from_the_generation_sunday(running, program):
    document = _document(running, "GET_VENDOR_FORECASTING_REPORT", {"sellingProgram": program})

    rows = document["forecastByAsin"]
    assert document["reportSpecification"]["lastUpdatedDate"] == TODAY
    assert {r["forecastGenerationDate"] for r in rows} == {"2026-03-15"}
    assert [(r["startDate"], r["endDate"]) for r in rows[:3]] == _weeks("2026-03-15", 3)
    assert all(
        r["meanForecastUnits"]
        <= r["p70ForecastUnits"]
        <= r["p80ForecastUnits"]
        <= r["p90ForecastUnits"]
        for r in rows
    )


@pytest.mark.parametrize(
    ("report_type", "options", "window"),
    [
        (
            "GET_VENDOR_REAL_TIME_SALES_REPORT",
            {"currencyCode": "USD"},
            ("2026-03-17T20:30:00Z", "2026-03-18T14:00:00Z"),
        ),
        (
            "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT",
            None,
            ("2026-03-18T02:00:00Z", "2026-03-18T10:59:00Z"),
        ),
        (
            "GET_VENDOR_REAL_TIME_INVENTORY_REPORT",
            None,
            ("2026-03-17T13:15:00Z", "2026-03-18T12:00:00Z"),
        ),
    ],
)
def test_real_time_documents_cover_the_full_hours_that_have_passed(
    running, report_type, options, window
):
    body = {"dataStartTime": window[0], "dataEndTime": window[1]}

    document = _document(running, report_type, options, **body)

    rows = document["reportData"]
    assert rows
    hours = sorted({(r["startTime"], r["endTime"]) for r in rows})
    assert all(parse(end) - parse(start) == 3600 for start, end in hours)
    assert hours[0][0] >= window[0]
    assert hours[-1][1] <= min(window[1], NOW)
    assert all(start.endswith(":00:00Z") for start, _ in hours)
    assert document["reportSpecification"]["dataStartTime"] == window[0]


def test_the_vendors_promotion_report_carries_vendor_funding_and_starts_in_the_range(running):
    options = {
        "promotionStartDateFrom": "2025-12-01T00:00:00Z",
        "promotionStartDateTo": "2026-03-01T00:00:00Z",
    }

    promotions = _document(running, "GET_PROMOTION_PERFORMANCE_REPORT", options)["promotions"]

    assert promotions
    for promotion in promotions:
        assert options["promotionStartDateFrom"] <= promotion["startDateTime"]
        assert promotion["startDateTime"] <= options["promotionStartDateTo"]
        assert "vendorCode" in promotion
        assert "merchantId" not in promotion
        assert promotion["unitsSold"] == sum(
            p["productUnitsSold"] for p in promotion["includedProducts"]
        )


def test_a_sellers_promotion_report_names_the_merchant_and_no_vendor_funding(running):
    options = {
        "promotionStartDateFrom": "2025-12-01T00:00:00Z",
        "promotionStartDateTo": "2026-03-01T00:00:00Z",
    }
    client = running.seller()
    body = {
        "reportType": "GET_PROMOTION_PERFORMANCE_REPORT",
        "marketplaceIds": [US],
        "reportOptions": options,
    }
    report = running.wait_for_report(client, client.post(REPORTS, json=body).json()["reportId"])
    url = running.document_url(client, report["reportDocumentId"])

    document = json.loads(gzip.decompress(running.http.get(url).content))

    assert list(validator("GET_PROMOTION_PERFORMANCE_REPORT").iter_errors(document)) == []
    assert {p["merchantId"] for p in document["promotions"]} == {running.seller_id}
    assert all("vendorCode" not in p and "amountSpent" not in p for p in document["promotions"])


def test_coupon_documents_fit_the_schema_and_add_up(running):
    options = {
        "campaignStartDateFrom": "2025-09-01T00:00:00Z",
        "campaignStartDateTo": "2026-03-15T00:00:00Z",
    }

    campaigns = _document(running, "GET_COUPON_PERFORMANCE_REPORT", options)["campaigns"]

    assert campaigns
    for campaign in campaigns:
        coupons = campaign["coupons"]
        assert campaign["totalClips"] == sum(c["clips"] for c in coupons)
        assert campaign["totalRedemptions"] == sum(c["redemptions"] for c in coupons)
        assert all(options["campaignStartDateFrom"] <= c["startDateTime"] for c in coupons)
        shared = campaign["budgetType"] == "SHARED_BUDGET"
        assert all(("budget" in c) != shared for c in coupons)


def _by_asin(document: dict) -> dict[tuple[str, str], dict]:
    return {(r["asin"], r["startDate"]): r for r in document["salesByAsin"]}


def test_the_same_period_requested_later_is_restated_with_a_newer_date(running, clock):
    # given the vendor's weekly sales for the same two weeks, asked for twice the same day
    options = {
        "distributorView": "MANUFACTURING",
        "reportPeriod": "WEEK",
        "sellingProgram": "RETAIL",
    }
    window = {"dataStartTime": "2026-03-01", "dataEndTime": "2026-03-14"}
    first = _document(running, SALES, options, **window)
    again = _document(running, SALES, options, **window)

    # when it is asked for again three days later
    clock.advance(3 * 86400)
    later = _document(running, SALES, options, **window)

    # then same-day reports agree, and the later one is a restatement of the same rows
    assert _by_asin(first) == _by_asin(again)
    assert first["reportSpecification"]["lastUpdatedDate"] == TODAY
    assert later["reportSpecification"]["lastUpdatedDate"] == "2026-03-21"
    assert _by_asin(later).keys() == _by_asin(first).keys()
    changed = [key for key, row in _by_asin(later).items() if row != _by_asin(first)[key]]
    assert changed
    for key in changed:  # slightly: a few percent at most
        before, after = _by_asin(first)[key]["orderedUnits"], _by_asin(later)[key]["orderedUnits"]
        assert abs(after - before) <= max(2, before * 0.07)


def test_vendor_documents_belong_to_the_vendor_group(running):
    options = {
        "distributorView": "MANUFACTURING",
        "reportPeriod": "WEEK",
        "sellingProgram": "RETAIL",
    }
    vendor = running.seller(DEMO_VENDOR_REFRESH_TOKEN)
    body = {
        "reportType": SALES,
        "marketplaceIds": [US],
        "reportOptions": options,
        **_period("WEEK"),
    }
    report = running.wait_for_report(vendor, vendor.post(REPORTS, json=body).json()["reportId"])

    as_seller = running.seller().get(f"{DOCUMENTS}/{report['reportDocumentId']}")

    assert as_seller.status_code == 404
    assert DEMO_VENDOR_ID.startswith("amzn1.vg.")
