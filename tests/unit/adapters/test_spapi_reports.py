"""Reports API adapter: requests as the model wants them, responses parsed into domain types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.spapi_reports import SpApiReportsApi
from domain.errors import InvalidRequestError, ReportNotFoundError, SpApiError
from domain.model import ReportRequest, ReportStatus
from tests.unit.adapters.support import Script, StubTokens, make_client, reply, sp_error

SELLER = "A3TH9S8BH6GOGM"
URL = "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/doc?X-Amz-Signature=SECRET"
REPORT = {
    "reportId": "54517018502",
    "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "processingStatus": "DONE",
    "createdTime": "2026-11-27T03:35:13.214Z",
    "processingStartTime": "2026-11-27T03:35:20+00:00",
    "processingEndTime": "2026-11-27T03:36:00Z",
    "dataStartTime": "2026-11-26T00:00:00Z",
    "dataEndTime": "2026-11-26T23:59:59Z",
    "marketplaceIds": ["A1PA6795UKMFR9"],
    "reportDocumentId": "amzn1.spdoc.1.4.eu.abc",
    "somethingNew": {"amazon": "adds fields"},
}


def api(script: Script, tokens: StubTokens | None = None) -> SpApiReportsApi:
    return SpApiReportsApi(make_client(script, tokens=tokens), page_size=2)


def test_create_report_posts_the_documented_body_and_returns_the_id() -> None:
    script = Script([reply(202, {"reportId": "123"})])
    request = ReportRequest(
        seller_id=SELLER,
        report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        marketplace_ids=("A1PA6795UKMFR9", "A13V1IB3VIYZZH"),
        data_start=datetime(2026, 11, 26, tzinfo=UTC),
        data_end=datetime(2026, 11, 27, 1, 0, tzinfo=timezone(timedelta(hours=1))),
        options=(("custom", "true"),),
    )

    assert api(script).create_report(request) == "123"
    assert script.requests[0].method == "POST"
    assert script.requests[0].url.path == "/reports/2021-06-30/reports"
    assert script.body() == {
        "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        "marketplaceIds": ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
        "dataStartTime": "2026-11-26T00:00:00Z",
        "dataEndTime": "2026-11-27T00:00:00Z",
        "reportOptions": {"custom": "true"},
    }


def test_create_report_leaves_out_what_the_request_does_not_set() -> None:
    script = Script([reply(202, {"reportId": "123"})])

    api(script).create_report(ReportRequest(SELLER, "GET_X", ("A1PA6795UKMFR9",)))

    assert script.body() == {"reportType": "GET_X", "marketplaceIds": ["A1PA6795UKMFR9"]}


def test_get_report_parses_every_field_and_ignores_unknown_ones() -> None:
    script = Script([reply(200, REPORT)])
    tokens = StubTokens()

    report = api(script, tokens).get_report(SELLER, "54517018502")

    assert script.requests[0].url.path == "/reports/2021-06-30/reports/54517018502"
    assert tokens.sellers == [SELLER]
    assert report.seller_id == SELLER
    assert report.status is ReportStatus.DONE
    assert report.created_time == datetime(2026, 11, 27, 3, 35, 13, 214000, tzinfo=UTC)
    assert report.processing_start == datetime(2026, 11, 27, 3, 35, 20, tzinfo=UTC)
    assert report.data_end == datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC)
    assert report.marketplace_ids == ("A1PA6795UKMFR9",)
    assert report.document_id == "amzn1.spdoc.1.4.eu.abc"


def test_get_report_tolerates_missing_optional_fields() -> None:
    minimal = {k: REPORT[k] for k in ("reportId", "reportType", "processingStatus", "createdTime")}
    script = Script([reply(200, {**minimal, "processingStatus": "IN_QUEUE"})])

    report = api(script).get_report(SELLER, "54517018502")

    assert report.status is ReportStatus.IN_QUEUE
    assert report.document_id is None
    assert report.data_start is None
    assert report.marketplace_ids == ()


def test_a_report_without_required_fields_is_an_error_naming_the_operation() -> None:
    script = Script([reply(200, {"reportId": "1"})])

    with pytest.raises(SpApiError, match="getReport"):
        api(script).get_report(SELLER, "1")


def test_get_reports_follows_next_token_sending_only_the_token() -> None:
    second = {**REPORT, "reportId": "2"}
    third = {**REPORT, "reportId": "3"}
    script = Script(
        [
            reply(200, {"reports": [REPORT, second], "nextToken": "page 2/token=="}),
            reply(200, {"reports": [third]}),
        ]
    )

    reports = api(script).get_reports(
        SELLER,
        report_types=["GET_MERCHANT_LISTINGS_ALL_DATA", "GET_X"],
        statuses=[ReportStatus.DONE, ReportStatus.FATAL],
        marketplace_ids=["A1PA6795UKMFR9"],
        created_since=datetime(2026, 11, 1, tzinfo=UTC),
        created_until=datetime(2026, 11, 27, 12, tzinfo=UTC),
    )

    assert [r.report_id for r in reports] == ["54517018502", "2", "3"]
    assert script.query(0) == {
        "reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA,GET_X",
        "processingStatuses": "DONE,FATAL",
        "marketplaceIds": "A1PA6795UKMFR9",
        "pageSize": "2",
        "createdSince": "2026-11-01T00:00:00Z",
        "createdUntil": "2026-11-27T12:00:00Z",
    }
    assert script.query(1) == {"nextToken": "page 2/token=="}
    assert script.calls == 2


def test_get_reports_is_lazy_and_stops_when_the_caller_does() -> None:
    script = Script([reply(200, {"reports": [REPORT], "nextToken": "more"})])

    reports = api(script).get_reports(SELLER, report_types=["GET_X"])
    assert script.calls == 0
    next(iter(reports))

    assert script.calls == 1


def test_get_reports_checks_the_filters_before_calling() -> None:
    script = Script([reply(200, {"reports": []})])

    with pytest.raises(InvalidRequestError, match="reportTypes"):
        api(script).get_reports(SELLER, report_types=[f"T{i}" for i in range(11)])
    with pytest.raises(InvalidRequestError):
        api(script).get_reports(SELLER, report_types=[])

    assert script.calls == 0


def test_cancel_report_deletes_the_report() -> None:
    script = Script([reply(200)])

    api(script).cancel_report(SELLER, "54517018502")

    assert script.requests[0].method == "DELETE"
    assert script.requests[0].url.path == "/reports/2021-06-30/reports/54517018502"


def test_get_report_document_keeps_the_url_out_of_repr() -> None:
    body = {"reportDocumentId": "amzn1.spdoc.1", "url": URL, "compressionAlgorithm": "GZIP"}
    script = Script([reply(200, body)])

    document = api(script).get_report_document(SELLER, "amzn1.spdoc.1")

    assert script.requests[0].url.path == "/reports/2021-06-30/documents/amzn1.spdoc.1"
    assert document.url == URL
    assert document.gzipped
    assert "SECRET" not in repr(document)


def test_a_document_without_compression_is_plain() -> None:
    script = Script([reply(200, {"reportDocumentId": "d", "url": URL})])

    assert api(script).get_report_document(SELLER, "d").compression is None


def test_a_document_response_without_url_fails_without_echoing_the_body() -> None:
    script = Script([reply(200, {"reportDocumentId": "d", "uri": URL})])

    with pytest.raises(SpApiError) as caught:
        api(script).get_report_document(SELLER, "d")

    assert "SECRET" not in str(caught.value)


def test_an_unknown_report_is_report_not_found() -> None:
    script = Script([sp_error(404, "NotFound", "Report not found", request_id="rid-404")])

    with pytest.raises(ReportNotFoundError) as caught:
        api(script).get_report(SELLER, "404")

    assert caught.value.operation == "getReport"
    assert caught.value.request_id == "rid-404"
