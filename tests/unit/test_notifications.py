"""REPORT_PROCESSING_FINISHED parsing: tolerant of real-world variants, clear on garbage."""

import json

import pytest

from domain.errors import MalformedNotificationError
from domain.model import ReportStatus
from domain.notifications import parse_notification

OFFICIAL = {
    "notificationVersion": "2020-09-04",
    "notificationType": "REPORT_PROCESSING_FINISHED",
    "payloadVersion": "2020-09-04",
    "eventTime": "2020-07-14T03:35:13.214Z",
    "payload": {
        "reportProcessingFinishedNotification": {
            "sellerId": "A3TH9S8BH6GOGM",
            "accountId": "amzn1.merchant.o.A3TH9S8BH6GOGM",
            "reportId": "54517018502",
            "reportType": "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA",
            "processingStatus": "DONE",
            "reportDocumentId": "amzn1.spdoc.1.4.eu.d8c879f2.TACV7Y196TEUJ.47700",
        }
    },
    "notificationMetadata": {
        "applicationId": "amzn1.sellerapps.app.aacccfff",
        "subscriptionId": "subscription-id-d0e9e693",
        "publishTime": "2020-07-13T19:42:04.284Z",
        "notificationId": "d0e9e693-c3ad-4373-979f-ed4ec98dd746",
    },
}


def _with(**details):
    message = json.loads(json.dumps(OFFICIAL))
    message["payload"]["reportProcessingFinishedNotification"].update(details)
    return message


def _pascal(value):
    if isinstance(value, dict):
        return {k[0].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    return value


def test_the_official_example_parses():
    finished = parse_notification(json.dumps(OFFICIAL))
    assert finished.report_id == "54517018502"
    assert finished.status is ReportStatus.DONE
    assert finished.seller_id == "A3TH9S8BH6GOGM"
    assert finished.document_id.endswith(".47700")
    assert finished.notification_id == "d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    assert finished.event_time.year == 2020


def test_pascal_case_keys_parse_the_same():
    assert parse_notification(_pascal(OFFICIAL)) == parse_notification(OFFICIAL)


@pytest.mark.parametrize("version", ["1.0", "2020-09-04", "2099-01-01"])
def test_any_payload_version_is_accepted(version):
    assert parse_notification({**OFFICIAL, "payloadVersion": version}).report_id == "54517018502"


def test_a_missing_account_id_is_tolerated():
    message = _with()
    del message["payload"]["reportProcessingFinishedNotification"]["accountId"]
    assert parse_notification(message).account_id is None


def test_a_vendor_message_without_seller_id_is_owned_by_its_account():
    finished = parse_notification(_with(sellerId=None, accountId="amzn1.vg.123"))
    assert finished.seller_id is None
    assert finished.owner == "amzn1.vg.123"


def test_cancelled_and_fatal_have_no_document_to_require():
    message = _with(processingStatus="CANCELLED")
    del message["payload"]["reportProcessingFinishedNotification"]["reportDocumentId"]
    assert parse_notification(message).document_id is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({**OFFICIAL, "notificationType": "ANY_OFFER_CHANGED"}, "notificationType"),
        ({**OFFICIAL, "payload": {}}, "reportProcessingFinishedNotification"),
        (_with(reportId=None), "no reportId"),
        (_with(processingStatus="IN_PROGRESS"), "not one of DONE, CANCELLED, FATAL"),
        (_with(sellerId=None, accountId=None), "neither a sellerId nor an accountId"),
        (_with(reportType={"a": 1}), "not a string"),
    ],
)
def test_malformed_messages_get_a_clear_one_line_error(body, problem):
    with pytest.raises(MalformedNotificationError, match=problem) as caught:
        parse_notification(body)
    assert "\n" not in str(caught.value)


def test_a_bad_event_time_does_not_lose_the_report():
    assert parse_notification({**OFFICIAL, "eventTime": "yesterday"}).event_time is None


# Amazon's second example (ReportProcessingFinishedNotification schema, 2024-03-20): a vendor
# group's message has accountId and no sellerId at all.
VENDOR_EXAMPLE = {
    **OFFICIAL,
    "payload": {
        "reportProcessingFinishedNotification": {
            "accountId": "amzn1.vg.6213651",
            "reportId": "54517018502",
            "reportType": "GET_VENDOR_SALES_REPORT",
            "processingStatus": "DONE",
            "reportDocumentId": "amzn1.spdoc.1.4.na.d8c879f2.TACV7Y196TEUJ.47700",
        }
    },
}


def test_amazons_vendor_example_is_owned_by_its_vendor_group():
    finished = parse_notification(json.dumps(VENDOR_EXAMPLE))

    assert (finished.seller_id, finished.account_id) == (None, "amzn1.vg.6213651")
    assert finished.owner == "amzn1.vg.6213651"
    assert (finished.report_type, finished.status) == ("GET_VENDOR_SALES_REPORT", ReportStatus.DONE)


def test_a_vendor_message_in_pascal_case_is_owned_by_its_account_too():
    assert parse_notification(_pascal(VENDOR_EXAMPLE)).owner == "amzn1.vg.6213651"


def test_a_sellers_message_is_owned_by_its_seller_id_not_its_merchant_account_id():
    assert parse_notification(OFFICIAL).owner == "A3TH9S8BH6GOGM"
