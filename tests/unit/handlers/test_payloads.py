"""The JSON shapes of state payloads: round trips, and clear errors for broken ones."""

from datetime import UTC, datetime

import pytest

from domain.model import Report, ReportRequest, ReportStatus
from tests.fakes import FakeSealer
from wiring import payloads
from wiring.payloads import PayloadError

REPORT = Report(
    seller_id="A3TH9S8BH6GOGM",
    report_id="54517018502",
    report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    status=ReportStatus.FATAL,
    created_time=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
    marketplace_ids=("A1PA6795UKMFR9",),
    data_start=datetime(2026, 11, 26, tzinfo=UTC),
    data_end=datetime(2026, 11, 27, tzinfo=UTC),
    processing_end=datetime(2026, 11, 27, 3, 5, tzinfo=UTC),
    document_id="amzn1.spdoc.1.4.eu.d1",
    report_schedule_id="sched-1",
)


def test_a_report_survives_the_trip_through_state():
    assert payloads.report_from_json(payloads.report_to_json(REPORT)) == REPORT


def test_a_request_survives_the_trip_through_state():
    request = ReportRequest(
        "A3TH9S8BH6GOGM",
        "GET_SALES_AND_TRAFFIC_REPORT",
        ("A1PA6795UKMFR9",),
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 2, tzinfo=UTC),
        (("asinGranularity", "SKU"), ("dateGranularity", "DAY")),
    )

    data = payloads.request_to_json(request)

    assert data["reportOptions"] == {"asinGranularity": "SKU", "dateGranularity": "DAY"}
    assert data["dataStartTime"] == "2026-11-01T00:00:00Z"
    assert payloads.request_from_json(data) == request


def test_a_null_document_stays_null():
    sealer = FakeSealer()
    assert payloads.document_to_json(None, sealer) is None
    assert payloads.document_from_json(None, sealer) is None
    assert sealer.sealed == {}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"processingStatus": "DONE?"}, "processingStatus"),
        ({"createdTime": None}, "createdTime"),
        ({"dataStartTime": "yesterday"}, "dataStartTime"),
        ({"reportId": 54517018502}, "reportId"),
        ({"marketplaceIds": "A1PA6795UKMFR9"}, "marketplaceIds"),
    ],
)
def test_a_broken_report_names_the_field(change, complaint):
    with pytest.raises(PayloadError, match=complaint):
        payloads.report_from_json({**payloads.report_to_json(REPORT), **change})


def test_hours_must_be_a_positive_number():
    assert payloads.number({"hours": 6}, "hours") == 6.0
    assert payloads.number({}, "hours") is None
    for bad in (0, "6", True):
        with pytest.raises(PayloadError, match="hours"):
            payloads.number({"hours": bad}, "hours")
