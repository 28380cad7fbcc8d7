"""Vendors in the serverless flow: notifications routed by accountId, subscriptions and
reconcile sweeps per partner, with each partner's own token and report types."""

import json
from datetime import timedelta

import pytest

from domain.errors import InvalidGrantError
from domain.lake import manifest_key
from domain.model import ReportStatus
from handlers import process_notification, reconcile, subscribe
from tests.unit.handlers.conftest import (
    DE,
    LISTINGS,
    REPORTS,
    SELLER,
    SELLERS,
    TOKEN,
    leaks,
)
from tests.unit.handlers.test_process_notification import batch

VENDOR = "amzn1.vg.6213651"
UNKNOWN_VENDOR = "amzn1.vg.9999999"
VENDOR_TOKEN = "Atza|IwEBIExampleVendorAccessToken"
VENDOR_SALES = "GET_VENDOR_SALES_REPORT"
SALES_OPTIONS = {"reportPeriod": "WEEK", "distributorView": "MANUFACTURING",
                 "sellingProgram": "RETAIL"}  # fmt: skip
VENDOR_ENTRY = {"name": "acme-vendor", "kind": "vendor", "accountId": VENDOR, "marketplaces": [DE]}


@pytest.fixture
def vendors(world):
    """The stack's sellers plus a vendor group with its sales report; the vendor's token."""
    world.settings.values["sellers"] = json.dumps([*SELLERS, VENDOR_ENTRY])
    world.settings.values["reports"] = json.dumps(
        [*REPORTS, {"type": VENDOR_SALES, "window": "P14D", "options": SALES_OPTIONS}]
    )
    world.authenticator.tokens[VENDOR] = VENDOR_TOKEN
    world.lwa.tokens[VENDOR] = VENDOR_TOKEN
    return world


def vendor_notification(report_id="61000000001", account=VENDOR, report_type=VENDOR_SALES):
    """Shaped like Amazon's vendor example: accountId, no sellerId."""
    return json.dumps(
        {
            "notificationVersion": "2020-09-04",
            "notificationType": "REPORT_PROCESSING_FINISHED",
            "payloadVersion": "2020-09-04",
            "eventTime": "2026-11-27T11:58:00.000Z",
            "payload": {
                "reportProcessingFinishedNotification": {
                    "accountId": account,
                    "reportId": report_id,
                    "reportType": report_type,
                    "processingStatus": "DONE",
                    "reportDocumentId": f"amzn1.spdoc.1.4.na.{report_id}",
                }
            },
            "notificationMetadata": {"notificationId": f"n-{report_id}"},
        }
    )


# --- process_notification --------------------------------------------------------------------


def test_a_vendor_notification_without_seller_id_starts_its_ingest(vendors, context, captured):
    result = process_notification.lambda_handler(batch(vendor_notification()), context)

    assert result == {"batchItemFailures": []}
    (started,) = vendors.workflow.started
    assert (started.owner, started.seller_id, started.report_type) == (VENDOR, None, VENDOR_SALES)
    line = next(line for line in captured.logs() if line.get("disposition") == "started")
    assert line["sellerId"] == VENDOR
    assert leaks(result, text=captured.text()) == []


def test_a_notification_for_an_unknown_vendor_is_ignored_like_an_unknown_seller(
    vendors, context, captured
):
    result = process_notification.lambda_handler(
        batch(vendor_notification(account=UNKNOWN_VENDOR)), context
    )

    assert result == {"batchItemFailures": []}
    assert vendors.workflow.started == []
    assert captured.metrics()["NotificationsIgnored"] == 1
    (line,) = [line for line in captured.logs() if line.get("disposition") == "ignored"]
    assert line["sellerId"] == UNKNOWN_VENDOR


def test_a_type_the_vendor_may_not_request_is_ignored_even_if_sellers_get_it(vendors, context):
    # LISTINGS is configured, but for sellers only: Amazon never makes it for a vendor group.
    process_notification.lambda_handler(batch(vendor_notification(report_type=LISTINGS)), context)

    assert vendors.workflow.started == []


def test_a_vendor_message_with_neither_id_goes_back_to_the_queue(vendors, context):
    body = json.loads(vendor_notification())
    del body["payload"]["reportProcessingFinishedNotification"]["accountId"]

    result = process_notification.lambda_handler(batch(json.dumps(body)), context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


# --- subscribe -------------------------------------------------------------------------------


def test_vendors_are_subscribed_beside_sellers_on_the_same_destination(vendors, context):
    result = subscribe.lambda_handler({}, context)

    by_partner = {s["sellerId"]: s for s in result["subscriptions"]}
    assert by_partner[VENDOR]["kind"] == "vendor"
    assert by_partner[SELLER]["kind"] == "seller"
    assert (VENDOR, "REPORT_PROCESSING_FINISHED") in vendors.notifications.subscriptions
    assert {sub.destination_id for sub in vendors.notifications.subscriptions.values()} == {
        result["destinationId"]
    }


def test_a_vendor_can_be_subscribed_alone_by_its_account_id(vendors, context):
    result = subscribe.lambda_handler({"sellerIds": [VENDOR]}, context)

    assert [s["sellerId"] for s in result["subscriptions"]] == [VENDOR]


# --- reconcile -------------------------------------------------------------------------------


def test_a_vendor_report_is_reconciled_with_the_vendors_token_and_types(vendors, context):
    lost = vendors.report(
        report_id="61000000002",
        report_type=VENDOR_SALES,
        seller_id=VENDOR,
        created=vendors.clock.now() - timedelta(hours=3),
    )

    result = reconcile.lambda_handler({}, context)

    assert result["started"] == 1
    (started,) = vendors.workflow.started
    assert (started.owner, started.report_id) == (VENDOR, lost.report_id)
    assert VENDOR in vendors.authenticator.asked
    assert VENDOR_TOKEN in vendors.reconcile_reports.seen_tokens
    assert f"seller_id={VENDOR}/" in manifest_key(lost)


def test_reconcile_asks_vendors_only_for_vendor_types_and_sellers_only_for_seller_types(
    vendors, context
):
    # Reports of the wrong kind's types: a sweep that asked for them would start their ingest.
    vendors.report(report_id="1", report_type=LISTINGS, seller_id=VENDOR)
    vendors.report(report_id="2", report_type=VENDOR_SALES, seller_id=SELLER)

    result = reconcile.lambda_handler({}, context)

    assert (result["checked"], result["started"]) == (0, 0)


def test_a_vendor_already_in_the_lake_is_left_alone(vendors, context):
    stored = vendors.report(report_type=VENDOR_SALES, seller_id=VENDOR)
    vendors.lake.put_manifest(manifest_key(stored), {"outcome": "stored", "curated": {}})

    result = reconcile.lambda_handler({"sellerIds": [VENDOR]}, context)

    assert (result["checked"], result["inLake"], result["started"]) == (1, 1, 0)
    assert vendors.authenticator.asked == [VENDOR]


def test_a_vendor_whose_token_is_revoked_fails_the_run_after_the_sellers(vendors, context):
    vendors.authenticator.revoked.add(VENDOR)
    vendors.report(report_id="9")

    with pytest.raises(InvalidGrantError):
        reconcile.lambda_handler({}, context)

    assert [s.report_id for s in vendors.workflow.started] == ["9"]
    assert TOKEN in vendors.reconcile_reports.seen_tokens


def test_a_cancelled_vendor_report_is_not_swept(vendors, context):
    vendors.report(
        report_type=VENDOR_SALES, seller_id=VENDOR, status=ReportStatus.CANCELLED, document=False
    )

    assert reconcile.lambda_handler({}, context)["checked"] == 0
