"""store_report: the document streamed into the lake, then the manifest; or the manifest alone."""

import gzip

import pytest

from domain.errors import DocumentUrlExpiredError, SealError
from domain.lake import data_key, manifest_key
from domain.model import ReportStatus
from handlers import fetch_document, store_report
from tests.unit.handlers.conftest import DOC_URL, SELLER, TOKEN, TSV, assert_fields, leaks

STORED_FIELDS = ("outcome", "manifestKey", "dataKey", "bytes", "rows", "curate")


def fetched(world, context, status=ReportStatus.DONE, document=True):
    world.report(status, document=document)
    event = {"sellerId": SELLER, "reportId": "54517018502", "sealedToken": world.sealed_token()}
    return fetch_document.lambda_handler(event, context)


def store(context, fetched_state):
    event = {"sellerId": SELLER, **fetched_state}
    return store_report.lambda_handler(event, context)


def test_a_done_report_lands_in_the_lake_with_its_manifest(world, context, captured):
    state = fetched(world, context)
    report = world.reports.reports[(SELLER, "54517018502")]

    result = store(context, state)

    assert_fields(result, STORED_FIELDS)
    assert result["outcome"] == "stored"
    assert result["manifestKey"] == manifest_key(report)
    assert result["dataKey"] == data_key(report)
    assert world.lake.objects[data_key(report)] == TSV.encode()
    assert (result["bytes"], result["rows"]) == (len(TSV.encode()), 2)
    assert world.lake.manifests[manifest_key(report)]["processingStatus"] == "DONE"
    assert world.source.opened == [DOC_URL]
    assert leaks(result, text=captured.text()) == []


def test_ingestion_metrics_are_emitted_once(world, context, captured):
    state = fetched(world, context)
    world.clock.sleep(90)

    store(context, state)
    again = store(context, state)

    metrics = captured.metrics()
    assert metrics["ReportsIngested"] == 1
    assert metrics["BytesIngested"] == len(TSV.encode())
    assert metrics["RowsIngested"] == 2
    assert metrics["EndToEndLatency"] == 90
    assert again["outcome"] == "stored"
    assert world.source.opened == [DOC_URL]  # the second run found the manifest


def test_a_cancelled_report_gets_a_no_data_manifest_only(world, context, captured):
    state = fetched(world, context, ReportStatus.CANCELLED, document=False)

    result = store(context, state)

    assert result == {
        "outcome": "no-data",
        "manifestKey": result["manifestKey"],
        "dataKey": None,
        "bytes": None,
        "rows": None,
        "curate": False,
    }
    assert world.lake.objects == {}
    assert world.lake.manifests[result["manifestKey"]]["outcome"] == "no-data"
    assert captured.metrics()["ReportsIngested"] == 1


def test_a_fatal_report_without_a_document_is_recorded_as_failed(world, context, captured):
    result = store(context, fetched(world, context, ReportStatus.FATAL, document=False))

    assert result["outcome"] == "fatal"
    assert captured.metrics()["ReportsFailed"] == 1


def test_a_fatal_report_with_a_document_stores_it_under_errors(world, context):
    result = store(context, fetched(world, context, ReportStatus.FATAL))

    assert result["outcome"] == "fatal-with-document"
    assert result["dataKey"].startswith("errors/")


def test_an_expired_url_is_raised_for_the_workflow_to_fetch_again(world, context, captured):
    state = fetched(world, context)
    world.source.expired.add(DOC_URL)

    with pytest.raises(DocumentUrlExpiredError):
        store(context, state)

    assert world.lake.manifests == {}
    failure = next(line for line in captured.logs() if line.get("errorType"))
    assert failure["errorType"] == "DocumentUrlExpiredError"
    assert failure["reportId"] == "54517018502"
    assert leaks(text=captured.text()) == []


def test_a_url_sealed_for_another_purpose_is_refused(world, context):
    state = fetched(world, context)
    state["document"]["sealedUrl"] = world.sealed_token()

    with pytest.raises(SealError):
        store(context, state)


def test_the_function_needs_no_access_token(world, context):
    state = fetched(world, context)

    store(context, state)

    assert world.reports.seen_tokens == [TOKEN, TOKEN]  # fetch_document's two calls only
    assert gzip.decompress(world.source.bodies[DOC_URL].body[0]).decode("cp1252") == TSV
