"""Vendor groups on the simulator: who may request what, the FATAL rules, listing, notifications."""

from __future__ import annotations

import gzip
import json

import pytest

from sandbox.clock import ManualClock
from sandbox.contract import validate_notification
from sandbox.settings import DEMO_VENDOR_ID, DEMO_VENDOR_MARKETPLACE, DEMO_VENDOR_REFRESH_TOKEN
from sandbox.times import parse

REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
SUBSCRIPTIONS = "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"
SALES = "GET_VENDOR_SALES_REPORT"
NPPM = "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT"
US, CA, DE = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1PA6795UKMFR9"
NOW = "2026-03-18T12:00:00Z"  # a Wednesday
WEEKS = {"dataStartTime": "2026-03-01", "dataEndTime": "2026-03-14"}  # Sunday .. Saturday
SALES_OPTIONS = {
    "distributorView": "MANUFACTURING",
    "reportPeriod": "WEEK",
    "sellingProgram": "RETAIL",
}
FAST = {op: (100.0, 100) for op in ("createReport", "getReport", "getReports", "getReportDocument")}
VENDOR_CLASS = "com.amazon.partner.account.id.VendorGroupId"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(parse(NOW))


@pytest.fixture
def running(make_simulator, clock):
    return make_simulator(clock=clock, processing_seconds=0, rows=5, rate_limits=FAST)


def _create(running, report_type: str, markets=(US,), **body):
    client = running.seller(DEMO_VENDOR_REFRESH_TOKEN)
    payload = {"reportType": report_type, "marketplaceIds": list(markets), **body}
    return client, client.post(REPORTS, json=payload)


def _finished(running, report_type: str, **body) -> tuple[dict, dict | None]:
    """A vendor's report once terminal, and its document parsed, if it has one."""
    client, response = _create(running, report_type, **body)
    assert response.status_code == 202, response.text
    report = running.wait_for_report(client, response.json()["reportId"])
    if "reportDocumentId" not in report:
        return report, None
    reference = client.get(f"{DOCUMENTS}/{report['reportDocumentId']}").json()
    assert reference["compressionAlgorithm"] == "GZIP"
    download = running.http.get(reference["url"])
    return report, json.loads(gzip.decompress(download.content))


def _fatal_details(running, report_type: str, **body) -> str:
    report, document = _finished(running, report_type, **body)
    assert report["processingStatus"] == "FATAL"
    assert document is not None
    return str(document["errorDetails"])


def test_a_vendor_refresh_token_speaks_for_its_vendor_group(running):
    # given the demo vendor's refresh token
    report, document = _finished(running, SALES, reportOptions=SALES_OPTIONS, **WEEKS)

    # then its report is done, and the document is the vendor's own sales report
    assert report["processingStatus"] == "DONE"
    assert report["marketplaceIds"] == [DEMO_VENDOR_MARKETPLACE]
    assert document is not None
    assert document["reportSpecification"]["reportType"] == SALES
    assert DEMO_VENDOR_ID.startswith("amzn1.vg.")


@pytest.mark.parametrize(
    "report_type",
    [
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
        "GET_SALES_AND_TRAFFIC_REPORT",
    ],
)
def test_a_vendor_asking_for_a_seller_only_type_gets_amazons_400(running, report_type):
    _, response = _create(running, report_type)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    assert error["message"].startswith("Report type ")
    assert error["message"].endswith(f"does not support account ids of type class {VENDOR_CLASS}.")


def test_the_open_listings_type_is_named_by_the_number_amazon_uses(running):
    _, response = _create(running, "GET_FLAT_FILE_OPEN_LISTINGS_DATA")

    assert response.json()["errors"][0]["message"] == (
        f"Report type 107 does not support account ids of type class {VENDOR_CLASS}."
    )


def test_a_seller_asking_for_a_vendor_only_type_gets_400(running):
    response = running.seller().post(
        REPORTS, json={"reportType": SALES, "marketplaceIds": [US], "reportOptions": SALES_OPTIONS}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert "does not support account ids" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("markets", [(DE,), (US, CA)])
def test_a_vendor_report_names_exactly_the_vendors_one_marketplace(running, markets):
    _, response = _create(running, SALES, markets, reportOptions=SALES_OPTIONS, **WEEKS)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert US in response.json()["errors"][0]["message"]


def test_missing_options_end_the_report_fatal_with_amazons_error_document(running):
    details = _fatal_details(running, SALES, **WEEKS)

    assert details == (
        "This report type requires the reportPeriod, distributorView, sellingProgram reportOption "
        "to be specified. Please review the document for this report type on GitHub, provide a "
        "value for this reportOption in your request, and try again."
    )


def test_the_error_document_lists_only_the_options_that_are_missing(running):
    details = _fatal_details(running, SALES, reportOptions={"reportPeriod": "WEEK"}, **WEEKS)

    assert details.startswith(
        "This report type requires the distributorView, sellingProgram reportOption"
    )


def test_the_error_document_is_gzip_json_spaced_as_amazon_writes_it(running):
    client, response = _create(running, "GET_VENDOR_TRAFFIC_REPORT", **WEEKS)
    report = running.wait_for_report(client, response.json()["reportId"])
    url = running.document_url(client, report["reportDocumentId"])

    body = gzip.decompress(running.http.get(url).content)

    assert body.startswith(b'{"errorDetails" : "This report type requires the reportPeriod ')


@pytest.mark.parametrize(
    ("report_type", "name", "value"),
    [
        (SALES, "reportPeriod", "WEEKLY"),
        (SALES, "distributorView", "RETAIL"),
        ("GET_VENDOR_INVENTORY_REPORT", "sellingProgram", "BUSINESS"),  # sales-only program
        ("GET_VENDOR_FORECASTING_REPORT", "sellingProgram", "BUSINESS"),
    ],
)
def test_an_option_value_outside_the_schemas_enum_ends_fatal(running, report_type, name, value):
    options = {**SALES_OPTIONS, name: value}
    if report_type == "GET_VENDOR_FORECASTING_REPORT":
        options = {name: value}

    details = _fatal_details(running, report_type, reportOptions=options, **WEEKS)

    assert details.startswith(f"The value {value} is not valid for the {name} reportOption.")


def test_an_option_the_type_does_not_know_ends_fatal_as_amazon_says(running):
    options = {**SALES_OPTIONS, "ParentReferenceId": "12345"}

    details = _fatal_details(running, SALES, reportOptions=options, **WEEKS)

    assert details.startswith(
        "This report type does not support the ParentReferenceId reportOption"
    )


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("WEEK", "2026-03-02", "2026-03-14"),  # starts on a Monday
        ("WEEK", "2026-03-01", "2026-03-15"),  # an exclusive end: Sunday, the time is ignored
        ("MONTH", "2026-01-01", "2026-02-27"),
        ("QUARTER", "2025-10-01", "2025-11-30"),
        ("YEAR", "2025-01-02", "2025-12-31"),
    ],
)
def test_a_window_not_aligned_to_the_report_period_ends_fatal(running, period, start, end):
    options = {**SALES_OPTIONS, "reportPeriod": period}

    details = _fatal_details(
        running, SALES, reportOptions=options, dataStartTime=start, dataEndTime=end
    )

    assert f"do not align with the {period} reportPeriod" in details


def test_the_time_of_day_is_ignored_for_period_reports(running):
    window = {"dataStartTime": "2026-03-01T00:00:00Z", "dataEndTime": "2026-03-14T23:59:59Z"}

    report, document = _finished(running, SALES, reportOptions=SALES_OPTIONS, **window)

    assert report["processingStatus"] == "DONE"
    assert document is not None
    spec = document["reportSpecification"]
    assert (spec["dataStartTime"], spec["dataEndTime"]) == ("2026-03-01", "2026-03-14")


def test_a_daily_sales_report_spans_at_most_15_days(running):
    options = {**SALES_OPTIONS, "reportPeriod": "DAY"}
    ok = {"dataStartTime": "2026-03-01", "dataEndTime": "2026-03-15"}
    long = {"dataStartTime": "2026-03-01", "dataEndTime": "2026-03-16"}

    fifteen, _ = _finished(running, SALES, reportOptions=options, **ok)
    sixteen = _fatal_details(running, SALES, reportOptions=options, **long)

    assert fifteen["processingStatus"] == "DONE"
    assert "cover 16 DAY periods" in sixteen


def test_a_daily_sales_report_looks_back_at_most_1460_days(running):
    options = {**SALES_OPTIONS, "reportPeriod": "DAY"}
    window = {"dataStartTime": "2022-03-01", "dataEndTime": "2022-03-02"}

    details = _fatal_details(running, SALES, reportOptions=options, **window)

    assert "maximum lookback of 1460 DAY periods" in details


def test_net_ppm_days_become_available_168_hours_after_they_end(running):
    options = {"reportPeriod": "DAY"}
    recent = {"dataStartTime": "2026-03-12", "dataEndTime": "2026-03-12"}
    older = {"dataStartTime": "2026-03-10", "dataEndTime": "2026-03-10"}

    details = _fatal_details(running, NPPM, reportOptions=options, **recent)
    report, _ = _finished(running, NPPM, reportOptions=options, **older)

    assert "not available yet" in details
    assert report["processingStatus"] == "DONE"


@pytest.mark.parametrize(
    ("report_type", "window", "expected"),
    [
        (
            "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT",
            ("2026-03-18T08:00:00Z", "2026-03-18T11:30:00Z"),
            "at least 60 minutes earlier",
        ),
        (
            "GET_VENDOR_REAL_TIME_INVENTORY_REPORT",
            ("2026-03-10T00:00:00Z", "2026-03-10T06:00:00Z"),
            "at most 168 hours before",
        ),
        (
            "GET_VENDOR_REAL_TIME_INVENTORY_REPORT",
            ("2026-03-16T00:00:00Z", "2026-03-17T06:00:00Z"),
            "no more than 24 hours after",
        ),
    ],
)
def test_real_time_windows_break_the_schemas_rules_fatally(running, report_type, window, expected):
    details = _fatal_details(running, report_type, dataStartTime=window[0], dataEndTime=window[1])

    assert expected in details


def test_real_time_sales_needs_a_currency(running):
    window = {"dataStartTime": "2026-03-18T06:00:00Z", "dataEndTime": "2026-03-18T09:00:00Z"}

    details = _fatal_details(running, "GET_VENDOR_REAL_TIME_SALES_REPORT", **window)

    assert "requires the currencyCode reportOption" in details


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "requires the promotionStartDateFrom, promotionStartDateTo reportOption"),
        (
            {
                "promotionStartDateFrom": "2023-01-01T00:00:00Z",
                "promotionStartDateTo": "2023-02-01T00:00:00Z",
            },
            "no more than two years before today",
        ),
    ],
)
def test_promotion_reports_need_a_recent_start_range(running, options, expected):
    details = _fatal_details(running, "GET_PROMOTION_PERFORMANCE_REPORT", reportOptions=options)

    assert expected in details


def test_vendor_reports_are_listed_and_read_like_a_sellers(running):
    # given one done and one FATAL vendor report, and a seller's report
    done, _ = _finished(running, SALES, reportOptions=SALES_OPTIONS, **WEEKS)
    fatal, _ = _finished(running, SALES, **WEEKS)
    seller = running.seller()
    running.wait_for_report(seller, running.create_report(seller, "GET_MERCHANT_LISTINGS_ALL_DATA"))
    vendor = running.seller(DEMO_VENDOR_REFRESH_TOKEN)

    # when each lists vendor sales reports
    listed = vendor.get(REPORTS, params={"reportTypes": SALES}).json()["reports"]
    only_done = vendor.get(REPORTS, params={"reportTypes": SALES, "processingStatuses": "DONE"})
    seen_by_seller = seller.get(REPORTS, params={"reportTypes": SALES}).json()["reports"]

    # then the vendor sees its own, newest first, and the seller none of them
    assert [r["reportId"] for r in listed] == [fatal["reportId"], done["reportId"]]
    assert [r["reportId"] for r in only_done.json()["reports"]] == [done["reportId"]]
    assert vendor.get(f"{REPORTS}/{done['reportId']}").json() == done
    assert seen_by_seller == []
    assert seller.get(f"{REPORTS}/{done['reportId']}").status_code == 404


@pytest.mark.parametrize(("options", "status"), [(SALES_OPTIONS, "DONE"), ({}, "FATAL")])
def test_a_vendors_finished_report_is_announced_with_its_account_id_and_no_seller_id(
    make_simulator, clock, options, status
):
    # given a vendor subscribed to REPORT_PROCESSING_FINISHED
    received: list[dict] = []
    running = make_simulator(
        clock=clock, processing_seconds=0, rows=5, on_report_finished=received.append
    )
    destination = running.grantless().post(
        "/notifications/v1/destinations",
        json={
            "name": "lake",
            "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:us-east-1:123456789012:q"}},
        },
    )
    vendor = running.seller(DEMO_VENDOR_REFRESH_TOKEN)
    body = {
        "payloadVersion": "1.0",
        "destinationId": destination.json()["payload"]["destinationId"],
    }
    assert vendor.post(SUBSCRIPTIONS, json=body).status_code == 200

    # when one of its reports finishes
    report, _ = _finished(running, SALES, reportOptions=options, **WEEKS)

    # then the message fits Amazon's schema and names the vendor group by accountId only
    assert len(received) == 1
    validate_notification(received[0])
    finished = received[0]["payload"]["reportProcessingFinishedNotification"]
    assert finished["accountId"] == DEMO_VENDOR_ID
    assert "sellerId" not in finished
    assert finished["processingStatus"] == status
    assert finished["reportId"] == report["reportId"]
    assert finished["reportDocumentId"] == report["reportDocumentId"]
