"""process_notification: one ingest per finished report; bad messages back to the queue."""

import json

import pytest

from domain.errors import ConfigError
from domain.model import ReportStatus
from handlers import process_notification
from tests.unit.handlers.conftest import LISTINGS, OTHER_SELLER, SELLER, leaks

DOCUMENT = "amzn1.spdoc.1.4.eu.54517018502"


def notification(
    report_id="54517018502",
    status="DONE",
    seller=SELLER,
    report_type=LISTINGS,
    document=DOCUMENT,
):
    details = {
        "sellerId": seller,
        "reportId": report_id,
        "reportType": report_type,
        "processingStatus": status,
    }
    if document:
        details["reportDocumentId"] = document
    return json.dumps(
        {
            "notificationVersion": "2020-09-04",
            "notificationType": "REPORT_PROCESSING_FINISHED",
            "payloadVersion": "2020-09-04",
            "eventTime": "2026-11-27T11:58:00.000Z",
            "payload": {"reportProcessingFinishedNotification": details},
            "notificationMetadata": {"notificationId": f"n-{report_id}"},
        }
    )


def batch(*bodies):
    return {
        "Records": [
            {"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body, "eventSource": "aws:sqs"}
            for i, body in enumerate(bodies, start=1)
        ]
    }


def test_a_done_report_starts_one_ingest(world, context, captured):
    result = process_notification.lambda_handler(batch(notification()), context)

    assert result == {"batchItemFailures": []}
    (started,) = world.workflow.started
    assert (started.owner, started.report_id, started.status) == (
        SELLER,
        "54517018502",
        ReportStatus.DONE,
    )
    assert started.document_id == DOCUMENT
    assert captured.metrics()["IngestsStarted"] == 1
    assert leaks(result, text=captured.text()) == []


def test_a_malformed_message_goes_back_to_the_queue_and_the_rest_are_handled(
    world, context, captured
):
    bad = json.dumps({"notificationType": "REPORT_PROCESSING_FINISHED", "payload": {}})

    result = process_notification.lambda_handler(batch(notification(), bad, "not json"), context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert len(world.workflow.started) == 1
    lines = [line for line in captured.logs() if line.get("messageId") in ("m2", "m3")]
    assert [line["errorType"] for line in lines] == ["MalformedNotificationError"] * 2
    assert all("payload" not in line or line["payload"] is None for line in lines)
    assert 'reportProcessingFinishedNotification": {}' not in captured.text()
    assert captured.metrics()["NotificationsMalformed"] == 2


def test_duplicates_in_a_batch_start_one_ingest(world, context, captured):
    result = process_notification.lambda_handler(
        batch(notification(), notification(), notification()), context
    )

    assert result == {"batchItemFailures": []}
    assert world.workflow.calls == 1
    assert captured.metrics()["NotificationsDuplicated"] == 2


def test_a_redelivered_notification_is_acknowledged(world, context):
    process_notification.lambda_handler(batch(notification()), context)

    again = process_notification.lambda_handler(batch(notification()), context)

    assert again == {"batchItemFailures": []}
    assert len(world.workflow.started) == 1


def test_an_unconfigured_seller_or_type_is_acknowledged_but_not_ingested(world, context, captured):
    result = process_notification.lambda_handler(
        batch(
            notification(seller="AUNKNOWNSELLER"),
            notification(report_id="2", report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE"),
        ),
        context,
    )

    assert result == {"batchItemFailures": []}
    assert world.workflow.started == []
    assert captured.metrics()["NotificationsIgnored"] == 2
    ignored = [line for line in captured.logs() if line.get("disposition") == "ignored"]
    assert {line["sellerId"] for line in ignored} == {"AUNKNOWNSELLER", SELLER}


def test_ingesting_every_notification_can_be_turned_on(world, context):
    world.configure(ingest_unconfigured=True)

    process_notification.lambda_handler(batch(notification(seller="AUNKNOWNSELLER")), context)

    assert [s.owner for s in world.workflow.started] == ["AUNKNOWNSELLER"]


def test_a_cancelled_report_is_recorded_as_no_data_without_an_ingest(world, context, captured):
    result = process_notification.lambda_handler(
        batch(notification(status="CANCELLED", document=None, seller=OTHER_SELLER)), context
    )

    assert result == {"batchItemFailures": []}
    assert world.workflow.started == []
    (key,) = world.lake.manifests
    assert key == (
        f"manifests/report_type={LISTINGS}/seller_id={OTHER_SELLER}/dt=2026-11-27/54517018502.json"
    )
    assert world.lake.manifests[key]["outcome"] == "no-data"
    assert world.lake.objects == {}
    assert captured.metrics()["ReportsIngested"] == 1


def test_a_fatal_report_with_a_document_is_ingested(world, context):
    process_notification.lambda_handler(batch(notification(status="FATAL")), context)

    assert [s.status for s in world.workflow.started] == [ReportStatus.FATAL]


def test_a_fatal_report_without_a_document_is_recorded_as_failed(world, context, captured):
    process_notification.lambda_handler(batch(notification(status="FATAL", document=None)), context)

    assert world.workflow.started == []
    (manifest,) = world.lake.manifests.values()
    assert manifest["outcome"] == "fatal"
    assert captured.metrics()["ReportsFailed"] == 1


def test_a_failed_start_returns_only_that_message_to_the_queue(world, context, captured):
    world.workflow.failing.add("2")

    result = process_notification.lambda_handler(
        batch(notification(), notification(report_id="2")), context
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert [s.report_id for s in world.workflow.started] == ["54517018502"]
    line = next(line for line in captured.logs() if line.get("messageId") == "m2")
    assert line["errorType"] == "AwsServiceError"
    assert line["reportId"] == "2"


def test_unreadable_settings_return_every_message_to_the_queue(world, context):
    del world.settings.values["sellers"]

    result = process_notification.lambda_handler(batch(notification()), context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_an_empty_batch_is_fine(world, context):
    assert process_notification.lambda_handler({"Records": []}, context) == {
        "batchItemFailures": []
    }


def test_settings_are_not_needed_when_every_notification_is_ingested(world, context):
    world.configure(ingest_unconfigured=True)
    world.settings.values.clear()

    process_notification.lambda_handler(batch(notification()), context)

    assert len(world.workflow.started) == 1
    with pytest.raises(ConfigError):
        world.container.catalog().sellers()
