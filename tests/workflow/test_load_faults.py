"""Load is a fault like any other: bursts against Amazon's default buckets, on LocalCloud with
the deployed timing, time-scaled. Each of these lost reports before the shared rate limit."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import replace

import pytest

from localcloud.cloud import DEMO_SPEC, LocalCloud
from sandbox.settings import DEMO_SELLER_ID, SimulatorConfig

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
NA = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8", "A2Q3Y263D00KWC"]
FIVE_TYPES = (
    "GET_FLAT_FILE_OPEN_LISTINGS_DATA",
    "GET_MERCHANT_LISTINGS_INACTIVE_DATA",
    "GET_MERCHANT_LISTINGS_DATA_LITE",
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
    "GET_AFN_INVENTORY_DATA",
)
FAILED = ("FAILED", "TIMED_OUT", "ABORTED")
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret", "demo-secret")
# Fast enough for a test, slow enough that a container's work is small against the buckets.
SCALE = 100.0


def _manifests(cloud: LocalCloud) -> Counter[str]:
    s3 = cloud.session.client("s3")
    listed = s3.list_objects_v2(Bucket=cloud.stack.bucket, Prefix="manifests/").get("Contents", [])
    return Counter(item["Key"].rsplit("/", 1)[-1].removesuffix(".json") for item in listed)


def _settle(cloud: LocalCloud, expected: int, timeout: float) -> None:
    """Until `expected` manifests exist and nothing runs or waits on the queue."""
    deadline = time.monotonic() + timeout
    while sum(_manifests(cloud).values()) < expected:
        if time.monotonic() > deadline:
            failed = [(e.name, e.error) for e in cloud.executions() if e.status in FAILED]
            raise AssertionError(f"{sum(_manifests(cloud).values())} of {expected}; {failed}")
        time.sleep(0.5)
    cloud.settle(timeout=timeout)


@pytest.fixture(scope="module")
def burst():
    """40 reports finish at once for one seller: getReportDocument's bucket (burst 15, one a
    minute) needs 25 simulated minutes, 30 s of wall time here."""
    spec = replace(DEMO_SPEC, name=f"burst{uuid.uuid4().hex[:6]}", visibility_timeout=30)
    config = SimulatorConfig(processing_seconds=30.0, rows=20)
    with LocalCloud(spec, config, time_scale=50.0, poll_queue=True) as cloud:
        cloud.invoke("subscribe", {})
        ids = cloud.simulator.generate(DEMO_SELLER_ID, LISTINGS, ("ATVPDKIKX0DER",), 40)
        _settle(cloud, 40, timeout=100)
        yield cloud, ids


def test_a_burst_of_40_reports_is_stored_whole_with_no_failed_execution(burst):
    cloud, ids = burst

    manifests = _manifests(cloud)
    executions = cloud.executions()

    assert set(manifests) == set(ids)
    assert set(manifests.values()) == {1}  # no duplicates
    assert [e.name for e in executions if e.status in FAILED] == []
    assert len(executions) == 40


def test_the_burst_waited_in_wait_states_and_get_report_ran_once_per_report(burst):
    cloud, _ = burst

    waited = [e.output["rateLimitWaits"] for e in cloud.executions()]

    # The tokens after the burst of 15 come a minute apart: executions parked in Wait states
    # for them (how many depends on how fast the notifications arrived).
    assert sum(1 for n in waited if n > 0) >= 5
    calls, throttled = dict(cloud.simulator.calls), dict(cloud.simulator.throttled)
    assert cloud.simulator.calls["getReport"] - throttled.get("getReport", 0) == 40, (
        calls,
        throttled,
    )
    # One getReportDocument per report, and one more per URL that expired before its download
    # (on a busy machine, 300 simulated seconds are a few real ones).
    refreshes = sum(e.output["urlRefreshes"] for e in cloud.executions())
    answered = calls["getReportDocument"] - throttled.get("getReportDocument", 0)
    assert answered == 40 + refreshes, (calls, throttled)


def test_containers_sharing_one_bucket_never_exceed_amazons_burst(burst):
    cloud, _ = burst

    fetchers = cloud.dispatcher.stats()["fetch_document"]

    # Several execution environments called getReportDocument, and together they stayed within
    # Amazon's bucket. Per-container buckets would have let 15 through in each environment (a
    # dozen 429s at least). One 429 is tolerated: Amazon's bucket starts when our first call
    # arrives, and on a loaded machine that can be later than the margin allows (≤ 1 %, the
    # target of make load).
    assert fetchers.cold_starts >= 2
    assert fetchers.peak_concurrency >= 2
    assert cloud.simulator.throttled["getReportDocument"] <= 1
    assert cloud.simulator.throttled["getReport"] <= 1


def test_no_secret_in_a_waiting_executions_history(burst):
    cloud, _ = burst
    sfn = cloud.session.client("stepfunctions")
    waited = next(e for e in cloud.executions() if e.output["rateLimitWaits"] > 0)

    events = sfn.get_execution_history(executionArn=waited.arn, maxResults=1000)["events"]

    text = json.dumps(events, default=str)
    assert "WaitStateEntered" in text
    assert [m for m in SECRET_MARKERS if m in text] == []


@pytest.fixture
def quiet_cloud():
    spec = replace(DEMO_SPEC, name=f"restart{uuid.uuid4().hex[:6]}")
    with LocalCloud(spec, SimulatorConfig(processing_seconds=1.0), time_scale=SCALE) as cloud:
        cloud.invoke("subscribe", {})
        yield cloud


def test_a_failed_ingest_is_restarted_by_reconcile_and_lands_once(quiet_cloud):
    cloud = quiet_cloud
    # Every URL expires: the ingest fails after its refreshes, as a broken download would.
    cloud.simulator.faults.expire_urls = 100
    [report_id] = cloud.simulator.generate(DEMO_SELLER_ID, LISTINGS, ("ATVPDKIKX0DER",), 1)
    [failed] = cloud.settle(timeout=60)
    assert failed.status == "FAILED"
    assert _manifests(cloud) == Counter()

    cloud.simulator.faults.reset()
    swept = cloud.invoke("reconcile", {})
    executions = cloud.settle(timeout=60)

    assert (swept["started"], swept["restarted"]) == (1, 1)
    attempts = sorted((e.name, e.status) for e in executions)
    assert attempts == [
        (f"{DEMO_SELLER_ID}-{report_id}", "FAILED"),
        (f"{DEMO_SELLER_ID}-{report_id}-a2", "SUCCEEDED"),
    ]
    assert _manifests(cloud) == Counter({report_id: 1})
    # Once it is in the lake, another sweep starts nothing.
    assert cloud.invoke("reconcile", {})["started"] == 0


def test_a_redelivered_notification_restarts_a_failed_ingest(quiet_cloud):
    cloud = quiet_cloud
    cloud.simulator.faults.expire_urls = 100
    [report_id] = cloud.simulator.generate(DEMO_SELLER_ID, LISTINGS, ("ATVPDKIKX0DER",), 1)
    cloud.settle(timeout=60)
    cloud.simulator.faults.reset()
    [notification] = [
        n
        for n in cloud.simulator.notifications
        if n["payload"]["reportProcessingFinishedNotification"]["reportId"] == report_id
    ]

    cloud.session.client("sqs").send_message(
        QueueUrl=cloud.stack.queue_url, MessageBody=json.dumps(notification)
    )
    executions = cloud.settle(timeout=60)

    assert sorted(e.status for e in executions) == ["FAILED", "SUCCEEDED"]
    assert _manifests(cloud) == Counter({report_id: 1})


def test_request_reports_places_20_requests_for_one_seller_without_a_failure():
    # 5 types × 4 marketplaces: createReport's burst is 15, then one a minute.
    seller = {"name": "demo", "sellerId": DEMO_SELLER_ID, "marketplaces": NA}
    spec = replace(
        DEMO_SPEC,
        name=f"place{uuid.uuid4().hex[:6]}",
        sellers=(seller,),
        reports=tuple({"type": t} for t in FIVE_TYPES),
    )
    with LocalCloud(
        spec, SimulatorConfig(processing_seconds=30.0, rows=20), time_scale=SCALE
    ) as cloud:
        cloud.invoke("subscribe", {})

        execution = cloud.wait(cloud.start("request-reports", {}), timeout=60)
        cloud.settle(timeout=60)

        assert execution.status == "SUCCEEDED", execution.cause
        assert len(execution.output["reports"]) == 20
        assert execution.output["failures"] == []
        assert cloud.simulator.calls["createReport"] == 20
        # One getReports per seller and report type for the reuse check, not one per request.
        assert cloud.simulator.calls["getReports"] == 5
        assert cloud.simulator.throttled["createReport"] == 0
        assert sum(_manifests(cloud).values()) == 20
