"""fetch_document: getReport, then getReportDocument; the document URL leaves sealed."""

import pytest

from domain.authenticating import DOCUMENT_URL
from domain.errors import ReportNotReadyError, ThrottleDeadlineError
from domain.model import ReportStatus
from handlers import fetch_document
from tests.unit.handlers.conftest import DOC_URL, SELLER, TOKEN, assert_fields, leaks
from wiring.payloads import PayloadError

REPORT_FIELDS = (
    "sellerId",
    "reportId",
    "reportType",
    "processingStatus",
    "createdTime",
    "marketplaceIds",
    "dataStartTime",
    "dataEndTime",
    "processingStartTime",
    "processingEndTime",
    "reportDocumentId",
    "reportScheduleId",
)


def fetch(world, context, report_id="54517018502", **event):
    base = {"sellerId": SELLER, "reportId": report_id, "sealedToken": world.sealed_token()}
    return fetch_document.lambda_handler({**base, **event}, context)


def test_a_done_report_comes_with_its_document_url_sealed(world, context, captured):
    report = world.report()

    result = fetch(world, context)

    assert_fields(result, ["report", "document"])
    assert_fields(result["report"], REPORT_FIELDS)
    assert result["report"]["reportId"] == report.report_id
    assert result["report"]["processingStatus"] == "DONE"
    assert result["report"]["dataStartTime"] == "2026-11-26T00:00:00Z"
    document = result["document"]
    assert set(document) == {"documentId", "sealedUrl", "compression"}
    assert document["documentId"] == report.document_id
    assert document["compression"] == "GZIP"
    assert world.sealer.unseal(document["sealedUrl"], DOCUMENT_URL) == DOC_URL
    assert world.reports.seen_tokens == [TOKEN, TOKEN]  # getReport, getReportDocument
    assert leaks(result, text=captured.text()) == []


def test_log_lines_name_the_report_and_seller(world, context, captured):
    world.report()

    fetch(world, context)

    line = next(line for line in captured.logs() if line.get("handler") == "fetch_document")
    assert (line["sellerId"], line["reportId"], line["reportType"]) == (
        SELLER,
        "54517018502",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
    )


@pytest.mark.parametrize(
    ("status", "has_document"),
    [(ReportStatus.CANCELLED, False), (ReportStatus.FATAL, False)],
)
def test_nothing_to_download_means_a_null_document(world, context, status, has_document):
    world.report(status, document=has_document)

    result = fetch(world, context)

    assert result["document"] is None
    assert result["report"]["processingStatus"] == status.value
    assert world.reports.document_calls == 0


def test_a_fatal_report_with_a_document_is_fetched(world, context):
    world.report(ReportStatus.FATAL)

    result = fetch(world, context)

    assert result["document"]["documentId"].startswith("amzn1.spdoc")


def test_a_report_still_in_progress_is_not_ready(world, context):
    world.report(ReportStatus.IN_PROGRESS, document=False)
    world.reports.polls_until_done = 99

    with pytest.raises(ReportNotReadyError):
        fetch(world, context)


def test_an_event_without_a_sealed_token_is_refused(world, context):
    world.report()

    with pytest.raises(PayloadError, match="sealedToken"):
        fetch_document.lambda_handler({"sellerId": SELLER, "reportId": "54517018502"}, context)
    assert world.reports.get_report_calls == 0


def test_a_long_wait_for_the_document_token_goes_to_the_workflow_with_the_report(
    world, context, captured
):
    world.report()
    world.limits.free = {"getReportDocument": 0}

    waiting = fetch(world, context)

    assert waiting["document"] is None
    assert waiting["report"]["reportId"] == "54517018502"
    pace = waiting["pace"]
    assert (pace["waiting"], pace["waitSeconds"], pace["waits"]) == (True, 60, 1)
    assert pace["ticket"]["operation"] == "getReportDocument"
    assert world.reports.document_calls == 0  # no URL is fetched to go stale in a Wait
    assert captured.metrics()["RateLimitWaits"] == 1


def test_after_the_wait_the_reserved_token_is_used_and_get_report_is_not_repeated(world, context):
    world.report()
    world.limits.free = {"getReportDocument": 0}
    waiting = fetch(world, context)
    world.clock.sleep(waiting["pace"]["waitSeconds"])

    result = fetch(world, context, report=waiting["report"], pace=waiting["pace"])

    assert result["pace"]["waiting"] is False
    assert result["document"]["documentId"].startswith("amzn1.spdoc")
    assert world.reports.get_report_calls == 1
    assert [t.operation for t in world.limits.honoured] == ["getReportDocument"]


def test_a_token_beyond_the_deadline_fails_the_step_in_one_line(world, context):
    world.report()
    world.limits.free = {"getReportDocument": 0}
    world.limits.interval = 25 * 3600.0

    with pytest.raises(ThrottleDeadlineError, match="getReportDocument: still rate-limited"):
        fetch(world, context)
