"""reconcile: DONE reports missing from the lake are ingested; tokens come from authenticate."""

from datetime import timedelta

import pytest

from domain.errors import InvalidGrantError
from domain.lake import manifest_key
from domain.model import ReportStatus
from handlers import reconcile
from tests.unit.handlers.conftest import LISTINGS, ORDERS, OTHER_SELLER, SELLER, TOKEN, leaks

RESULT_FIELDS = {
    "checked",
    "started",
    "inLake",
    "alreadyStarted",
    "restarted",
    "failedSellers",
    "curating",
    "queries",  # the Data Kiosk sweep: none here, the stack runs no queries
}


def test_a_report_whose_notification_was_lost_is_ingested(world, context, captured):
    lost = world.report(created=world.clock.now() - timedelta(hours=3))
    stored = world.report(report_id="2", created=world.clock.now() - timedelta(hours=2))
    world.lake.put_manifest(manifest_key(stored), {"outcome": "stored"})

    result = reconcile.lambda_handler({}, context)

    assert set(result) == RESULT_FIELDS
    assert (result["checked"], result["started"], result["inLake"]) == (2, 1, 1)
    assert [s.report_id for s in world.workflow.started] == [lost.report_id]
    assert captured.metrics()["ReportsReconciled"] == 1
    assert leaks(result, text=captured.text()) == []


def test_tokens_come_sealed_from_the_authenticate_function(world, context):
    world.report()

    reconcile.lambda_handler({}, context)

    assert world.authenticator.asked == [SELLER, OTHER_SELLER]
    assert TOKEN in world.reconcile_reports.seen_tokens
    assert world.lwa.calls == []  # reconcile never reads LWA credentials itself


def test_only_configured_types_and_the_last_hours_are_swept(world, context):
    world.report(created=world.clock.now() - timedelta(hours=50))
    world.report(report_id="2", report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE")
    world.report(report_id="3", status=ReportStatus.CANCELLED, document=False)

    result = reconcile.lambda_handler({}, context)

    assert result["checked"] == 0
    assert reconcile.lambda_handler({"hours": 72}, context)["started"] == 1


def test_the_sweep_can_be_narrowed(world, context):
    world.report(report_type=ORDERS)
    world.report(report_id="2", seller_id=OTHER_SELLER)

    result = reconcile.lambda_handler({"sellerIds": [SELLER], "reportTypes": [LISTINGS]}, context)

    assert result["checked"] == 0
    assert world.authenticator.asked == [SELLER]


def test_a_seller_that_cannot_be_read_fails_the_run_after_the_others(world, context, captured):
    world.authenticator.revoked.add(SELLER)
    world.report(report_id="9", seller_id=OTHER_SELLER)

    with pytest.raises(InvalidGrantError):
        reconcile.lambda_handler({}, context)

    assert [s.report_id for s in world.workflow.started] == ["9"]
    summary = next(line for line in captured.logs() if line.get("failedSellers"))
    assert summary["failedSellers"] == [SELLER]
