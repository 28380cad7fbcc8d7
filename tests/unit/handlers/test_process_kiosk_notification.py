"""process_notification with DATA_KIOSK_QUERY_PROCESSING_FINISHED: one ingest-query per query."""

import json

import pytest

from domain.datakiosk.model import QueryStatus
from handlers import process_notification
from tests.unit.handlers.conftest import OTHER_SELLER, SELLER, leaks
from tests.unit.handlers.test_process_notification import batch, notification

TOKEN = "AAMA-EFRSURBSGhKZlpVSWVwOW96aU1xa2p6amVJdGp1YlZxMndOelFXa2hydStrUjZvVmFRRWVINldMNnFUVz"
QUERY_TEXT = 'query {analytics_economics_2024_03_15 {economics(startDate:"2026-11-01"){msku}}}'
QUERIES = [{"name": "economics", "partners": [SELLER], "file": "queries/economics.graphql"}]


def query_notification(
    query_id="61000000001", status="DONE", seller=SELLER, document="amzn1.tortuga.4.na.d1"
):
    payload = {
        "accountId": f"amzn1.merchant.o.{seller}",
        "queryId": query_id,
        "query": QUERY_TEXT,
        "processingStatus": status,
    }
    if document:
        payload["dataDocumentId"] = document
        payload["pagination"] = {"nextToken": TOKEN}
    return json.dumps(
        {
            "notificationVersion": "2023-11-15",
            "notificationType": "DATA_KIOSK_QUERY_PROCESSING_FINISHED",
            "payloadVersion": "2023-11-15",
            "eventTime": "2026-11-27T11:58:00.000Z",
            "payload": payload,
            "notificationMetadata": {"notificationId": f"n-{query_id}"},
        }
    )


@pytest.fixture
def queries(world):
    world.settings.values["queries"] = json.dumps(QUERIES)
    return world


def test_a_finished_query_starts_one_ingest_query(queries, context, captured):
    result = process_notification.lambda_handler(batch(query_notification()), context)

    assert result == {"batchItemFailures": []}
    (started,) = queries.workflow.started_queries
    assert (started.owner, started.query_id, started.status) == (
        SELLER,
        "61000000001",
        QueryStatus.DONE,
    )
    assert queries.workflow.started == []
    assert captured.metrics()["QueryIngestsStarted"] == 1


def test_the_log_line_names_the_query_and_never_its_token_or_text(queries, context, captured):
    process_notification.lambda_handler(batch(query_notification()), context)

    (line,) = [line for line in captured.logs() if line.get("messageId") == "m1"]
    assert line["notificationType"] == "DATA_KIOSK_QUERY_PROCESSING_FINISHED"
    assert (line["sellerId"], line["queryId"], line["processingStatus"]) == (
        SELLER,
        "61000000001",
        "DONE",
    )
    assert line["disposition"] == "started"
    text = captured.text()
    assert TOKEN not in text
    assert QUERY_TEXT not in text
    assert leaks(text=text) == []


def test_a_mixed_batch_is_dispatched_message_by_message(queries, context, captured):
    # given a report, a query, that query again, a malformed message and a query of a partner
    # that runs no queries
    bodies = (
        notification(),
        query_notification(),
        query_notification(),
        json.dumps({"notificationType": "DATA_KIOSK_QUERY_PROCESSING_FINISHED", "payload": {}}),
        query_notification(query_id="61000000002", seller=OTHER_SELLER),
    )

    # when the batch arrives
    result = process_notification.lambda_handler(batch(*bodies), context)

    # then only the malformed message returns to the queue, and each ingest starts once
    assert result == {"batchItemFailures": [{"itemIdentifier": "m4"}]}
    assert [s.report_id for s in queries.workflow.started] == ["54517018502"]
    assert [q.query_id for q in queries.workflow.started_queries] == ["61000000001"]
    dispositions = {line["messageId"]: line["disposition"] for line in captured.logs()}
    assert dispositions == {
        "m1": "started",
        "m2": "started",
        "m3": "duplicate",
        "m4": "failed",
        "m5": "ignored",
    }
    metrics = captured.metrics()
    assert (metrics["IngestsStarted"], metrics["QueryIngestsStarted"]) == (1, 1)
    assert (metrics["NotificationsDuplicated"], metrics["NotificationsIgnored"]) == (1, 1)
    assert metrics["NotificationsMalformed"] == 1


@pytest.mark.parametrize(("status", "document"), [("FATAL", None), ("CANCELLED", None)])
def test_fatal_and_cancelled_queries_are_ingested_too(queries, context, status, document):
    process_notification.lambda_handler(
        batch(query_notification(status=status, document=document)), context
    )

    assert [q.status.value for q in queries.workflow.started_queries] == [status]
    assert queries.lake.manifests == {}


def test_without_a_queries_setting_query_notifications_are_ignored(world, context, captured):
    result = process_notification.lambda_handler(batch(query_notification()), context)

    assert result == {"batchItemFailures": []}
    assert world.workflow.started_queries == []
    assert captured.metrics()["NotificationsIgnored"] == 1


def test_ingesting_every_notification_takes_every_query_too(world, context):
    world.configure(ingest_unconfigured=True)
    world.settings.values.clear()

    process_notification.lambda_handler(batch(query_notification(seller="AUNKNOWN")), context)

    assert [q.owner for q in world.workflow.started_queries] == ["AUNKNOWN"]


def test_a_broken_queries_setting_returns_query_messages_to_the_queue(world, context, captured):
    world.settings.values["queries"] = "[{"

    result = process_notification.lambda_handler(
        batch(notification(), query_notification()), context
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    line = next(line for line in captured.logs() if line.get("messageId") == "m2")
    assert line["errorType"] == "ConfigError"
    assert len(world.workflow.started) == 1
