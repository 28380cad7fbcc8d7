"""A vendor group in the serverless flow, executed by moto with the real handlers and the
simulator: request-reports plans its sales report with options, its notification (accountId, no
sellerId) starts the ingest, and reconcile ingests it when its notification is lost. The report
lands under seller_id=<its account id>, beside the seller's.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from localcloud.cloud import DEMO_SPEC, DEMO_VENDOR_SALES, LocalCloud
from sandbox.settings import DEMO_SELLER_ID, DEMO_VENDOR_ID, DEMO_VENDOR_MARKETPLACE
from sandbox.simulator import SimulatorConfig
from tests.workflow.cloud_faults import lost_notifications

pytestmark = pytest.mark.timeout(180)

VENDOR_SALES = "GET_VENDOR_SALES_REPORT"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
# Another request than the weekly one, so that no report already ingested can answer it.
DAILY_SALES = {
    **DEMO_VENDOR_SALES,
    "window": "P7D",
    "options": {**DEMO_VENDOR_SALES["options"], "reportPeriod": "DAY"},
}


@pytest.fixture(scope="module")
def cloud():
    spec = replace(DEMO_SPEC, name="vendor", reports=({"type": LISTINGS}, DEMO_VENDOR_SALES))
    fast = {op: (20.0, 20) for op in ("getReports", "createReport", "getReportDocument")}
    with LocalCloud(spec, SimulatorConfig(processing_seconds=0.1, rate_limits=fast)) as running:
        running.invoke("subscribe", {})
        yield running


def _requested(cloud, execution_input):
    execution = cloud.wait(cloud.start("request-reports", execution_input), timeout=60)
    assert execution.status == "SUCCEEDED", execution.cause
    return execution.output["reports"]


def _notification(cloud, report_id, timeout=10.0):
    """The REPORT_PROCESSING_FINISHED message the simulator sent for this report."""
    deadline = time.monotonic() + timeout
    while True:
        for message in list(cloud.simulator.notifications):
            details = message["payload"]["reportProcessingFinishedNotification"]
            if details["reportId"] == report_id:
                return details
        assert time.monotonic() < deadline, "the notification was never sent"
        time.sleep(0.05)


def _ingests_for(cloud, report_id):
    return [e for e in cloud.executions() if (e.input or {}).get("reportId") == report_id]


def _keys(cloud, report_id):
    return sorted(o["Key"] for o in cloud.objects() if f"/{report_id}." in o["Key"])


def _json(cloud, key):
    body = cloud.session.client("s3").get_object(Bucket=cloud.stack.bucket, Key=key)["Body"]
    return json.loads(body.read())


def _assert_in_the_lake(cloud, report_id):
    """Raw JSON and manifest under the vendor's account id; curated tables may follow."""
    keys = _keys(cloud, report_id)
    partition = f"report_type={VENDOR_SALES}/seller_id={DEMO_VENDOR_ID}/"
    [raw] = [k for k in keys if k.startswith(f"raw/{partition}")]
    [manifest_key] = [k for k in keys if k.startswith(f"manifests/{partition}")]
    assert raw.endswith(f"/{report_id}.json")
    assert not any(k.startswith("errors/") for k in keys)
    document = _json(cloud, raw)
    assert document["reportSpecification"]["reportType"] == VENDOR_SALES
    assert document["reportSpecification"]["reportOptions"]["distributorView"] == "MANUFACTURING"
    manifest = _json(cloud, manifest_key)
    assert (manifest["sellerId"], manifest["outcome"], manifest["key"]) == (
        DEMO_VENDOR_ID,
        "stored",
        raw,
    )
    return manifest


def test_the_vendor_is_subscribed_beside_the_seller(cloud):
    result = cloud.invoke("subscribe", {})

    kinds = {s["sellerId"]: s["kind"] for s in result["subscriptions"]}
    assert kinds == {DEMO_SELLER_ID: "seller", DEMO_VENDOR_ID: "vendor"}


def test_request_reports_plans_vendor_types_for_the_vendor_only_with_their_options(cloud):
    reports = _requested(cloud, {})
    cloud.settle(timeout=120)

    planned = {(r["request"]["sellerId"], r["request"]["reportType"]) for r in reports}
    assert planned == {(DEMO_SELLER_ID, LISTINGS), (DEMO_VENDOR_ID, VENDOR_SALES)}
    [vendor] = [r["request"] for r in reports if r["request"]["sellerId"] == DEMO_VENDOR_ID]
    assert vendor["reportOptions"] == DEMO_VENDOR_SALES["options"]
    assert vendor["marketplaceIds"] == [DEMO_VENDOR_MARKETPLACE]
    # WEEK: whole weeks, Sunday (weekday 6) to Saturday (5).
    assert vendor["dataStartTime"].endswith("T00:00:00Z")
    assert time.strptime(vendor["dataStartTime"][:10], "%Y-%m-%d").tm_wday == 6
    assert time.strptime(vendor["dataEndTime"][:10], "%Y-%m-%d").tm_wday == 5


def test_a_vendor_report_is_ingested_through_its_notification_by_account_id(cloud):
    [report] = _requested(cloud, {"sellerIds": [DEMO_VENDOR_ID]})
    report_id = report["reportId"]
    cloud.settle(timeout=120)

    # The simulator sends it to the subscription made with the vendor's token.
    details = _notification(cloud, report_id)
    assert details["accountId"] == DEMO_VENDOR_ID
    assert details.get("sellerId") is None
    [ingest] = _ingests_for(cloud, report_id)
    assert ingest.status == "SUCCEEDED", ingest.cause
    assert ingest.input["sellerId"] == DEMO_VENDOR_ID
    assert ingest.output["stored"]["outcome"] == "stored"
    _assert_in_the_lake(cloud, report_id)


@pytest.fixture
def daily_sales(cloud):
    """The stack asks for the vendor's daily sales instead, for one test."""

    def configure(reports):
        cloud.session.client("ssm").put_parameter(
            Name=f"{cloud.stack.settings_path}/reports",
            Value=json.dumps(reports),
            Type="String",
            Overwrite=True,
        )
        cloud.cold_start()  # the functions' cached settings are gone

    configure([{"type": LISTINGS}, DAILY_SALES])
    yield
    configure([{"type": LISTINGS}, DEMO_VENDOR_SALES])


def test_a_vendor_report_whose_notification_is_lost_is_ingested_by_reconcile(cloud, daily_sales):
    with lost_notifications(cloud) as dropped:
        [report] = _requested(cloud, {"sellerIds": [DEMO_VENDOR_ID]})
        report_id = report["reportId"]
        _notification(cloud, report_id)
        cloud.settle(timeout=60)
    assert report["request"]["reportOptions"]["reportPeriod"] == "DAY"
    assert any(report_id in body for body in dropped)
    assert _keys(cloud, report_id) == []
    assert _ingests_for(cloud, report_id) == []

    swept = cloud.invoke("reconcile", {})
    cloud.settle(timeout=120)

    assert swept["started"] == 1
    assert swept["failedSellers"] == []
    [ingest] = _ingests_for(cloud, report_id)
    assert ingest.status == "SUCCEEDED", ingest.cause
    manifest = _assert_in_the_lake(cloud, report_id)
    assert manifest["marketplaceIds"] == [DEMO_VENDOR_MARKETPLACE]
    # In the lake now: the next sweep finds it there and starts nothing.
    again = cloud.invoke("reconcile", {"sellerIds": [DEMO_VENDOR_ID]})
    assert (again["started"], again["inLake"]) == (0, again["checked"])
