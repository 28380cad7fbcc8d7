"""The serverless pipeline end to end: the deployed state machines executed by moto, the real
handlers in-process, the simulator behind them, and moto's S3, SQS, SSM, Secrets Manager and KMS.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace

import pytest

from localcloud.cloud import DEMO_SPEC, LocalCloud
from sandbox.simulator import SimulatorConfig

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
SALES = "GET_SALES_AND_TRAFFIC_REPORT"
# Identical reports are reused for an hour, so each test asks for a type of its own.
OPEN_LISTINGS = "GET_FLAT_FILE_OPEN_LISTINGS_DATA"
INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
SHIPMENTS = "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"
CUSTOMER_RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
SUPPRESSED = "GET_MERCHANTS_LISTINGS_FYP_REPORT"
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"
TYPES = (
    LISTINGS, ORDERS, SALES, OPEN_LISTINGS, INVENTORY, RETURNS, SHIPMENTS,
    CUSTOMER_RETURNS, SUPPRESSED, REIMBURSEMENTS,
)  # fmt: skip
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret", "demo-secret")


@pytest.fixture(scope="module")
def cloud():
    spec = replace(DEMO_SPEC, name="wf", reports=tuple({"type": t} for t in TYPES))
    # The simulator's buckets are faster than Amazon's; the functions learn them from the
    # rate-limit header exactly as they learn Amazon's.
    fast = {op: (20.0, 20) for op in ("getReports", "createReport", "getReportDocument")}
    config = SimulatorConfig(processing_seconds=0.1, rate_limits=fast)
    with LocalCloud(spec, config) as running:
        running.invoke("subscribe", {})
        yield running


@pytest.fixture(autouse=True)
def clean_faults(cloud):
    cloud.simulator.faults.reset()
    yield
    cloud.simulator.faults.reset()


def _request(cloud, report_types, timeout=60):
    execution = cloud.wait(cloud.start("request-reports", {"reportTypes": report_types}), timeout)
    assert execution.status == "SUCCEEDED", execution.cause
    return execution


def _report_ids(execution):
    return [r["reportId"] for r in execution.output["reports"]]


def _ingests_for(cloud, report_id):
    return [e for e in cloud.executions() if e.input and e.input.get("reportId") == report_id]


def _keys(cloud, report_id):
    return sorted(o["Key"] for o in cloud.objects() if f"/{report_id}." in o["Key"])


def _history_text(cloud, execution_arn):
    sfn = cloud.session.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return json.dumps(events, default=str)


def test_happy_path_lands_encrypted_objects_and_manifests(cloud):
    requested = _request(cloud, [LISTINGS, SALES])
    ids = _report_ids(requested)
    cloud.settle()
    assert len(ids) == 2
    for report_id in ids:
        [ingest] = _ingests_for(cloud, report_id)
        assert ingest.status == "SUCCEEDED"
        keys = _keys(cloud, report_id)
        # Both types are in the registry: CurateReport leaves their typed Parquet beside them.
        assert {k.split("/")[0] for k in keys} == {"curated", "manifests", "raw"}
    for item in cloud.objects():
        assert item["ServerSideEncryption"] == "aws:kms"
        assert item["SSEKMSKeyId"] == cloud.stack.key_arn


def test_a_duplicate_notification_is_ingested_once(cloud):
    [report_id] = _report_ids(_request(cloud, [ORDERS]))
    cloud.settle()
    sent = cloud.simulator.notifications
    message = next(
        m
        for m in sent
        if m["payload"]["reportProcessingFinishedNotification"]["reportId"] == report_id
    )
    sqs = cloud.session.client("sqs")
    for _ in range(3):
        sqs.send_message(QueueUrl=cloud.stack.queue_url, MessageBody=json.dumps(message))
    cloud.settle()
    assert len(_ingests_for(cloud, report_id)) == 1
    assert len([k for k in _keys(cloud, report_id) if k.startswith("raw/")]) == 1


def test_an_expired_url_is_fetched_again(cloud):
    cloud.simulator.faults.expire_urls = 1
    [report_id] = _report_ids(_request(cloud, [OPEN_LISTINGS]))
    cloud.settle()
    [ingest] = _ingests_for(cloud, report_id)
    assert ingest.status == "SUCCEEDED"
    assert ingest.output["urlRefreshes"] == 1
    assert cloud.simulator.faults.expire_urls == 0


def test_a_fatal_report_stores_its_error_document(cloud):
    cloud.simulator.faults.fatal.add(REIMBURSEMENTS)
    [report_id] = _report_ids(_request(cloud, [REIMBURSEMENTS]))
    cloud.settle()
    keys = _keys(cloud, report_id)
    assert any(k.startswith("errors/") for k in keys)
    assert not any(k.startswith("raw/") for k in keys)


def test_a_cancelled_report_records_no_data_and_starts_no_ingest(cloud):
    cloud.simulator.faults.cancelled.add(INVENTORY)
    [report_id] = _report_ids(_request(cloud, [INVENTORY]))
    cloud.settle()
    [manifest_key] = _keys(cloud, report_id)
    body = cloud.session.client("s3").get_object(Bucket=cloud.stack.bucket, Key=manifest_key)
    assert json.loads(body["Body"].read())["outcome"] == "no-data"
    assert _ingests_for(cloud, report_id) == []


def test_a_malformed_message_is_a_batch_failure_and_ends_in_the_dlq(cloud):
    sqs = cloud.session.client("sqs")
    sqs.send_message(QueueUrl=cloud.stack.queue_url, MessageBody='{"notificationType": 42')
    failures = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        failures += cloud.pump_notifications(wait_seconds=1)["failed"]
        dead = sqs.receive_message(QueueUrl=cloud.stack.dlq_url, WaitTimeSeconds=0)
        if dead.get("Messages"):
            break
    assert failures == cloud.spec.max_receive_count
    assert dead["Messages"][0]["Body"] == '{"notificationType": 42'


def test_throttling_is_retried_and_the_workflow_succeeds(cloud):
    # The functions adopt the simulator's x-amzn-RateLimit-Limit on their first successes, as
    # they would Amazon's; a 429 then costs one refill interval of the real bucket.
    _request(cloud, [LISTINGS])
    cloud.simulator.faults.throttle_storm = 3
    requested = _request(cloud, [RETURNS], timeout=120)
    cloud.settle(timeout=120)
    [report_id] = _report_ids(requested)
    assert cloud.simulator.faults.throttle_storm == 0
    assert [e.status for e in _ingests_for(cloud, report_id)] == ["SUCCEEDED"]


def test_a_revoked_refresh_token_fails_fast_with_a_clear_cause(cloud):
    cloud.simulator.faults.revoked_refresh_tokens.add(
        next(iter(cloud.spec.refresh_tokens.values()))
    )
    cloud.cold_start()  # a warm function would still hold a valid access token
    calls_before = cloud.dispatcher.calls.get("authenticate", 0)
    execution = cloud.wait(cloud.start("request-reports", {"reportTypes": [SHIPMENTS]}))
    # Visible: the execution fails, and its cause lists the request and why.
    assert execution.status == "FAILED"
    assert execution.error == "RequestsUnplacedError"
    cause = json.loads(execution.cause)
    assert cause["reports"] == []
    assert [f["error"] for f in cause["failures"]] == ["InvalidGrantError"]
    assert "authorise" in cause["failures"][0]["cause"]
    assert cloud.dispatcher.calls["authenticate"] - calls_before == 1


def test_a_lost_notification_is_healed_by_reconcile(cloud):
    [report_id] = _report_ids(_request(cloud, [CUSTOMER_RETURNS]))
    deadline = time.monotonic() + 10
    while report_id not in json.dumps(cloud.simulator.notifications):
        assert time.monotonic() < deadline, "the notification was never sent"
        time.sleep(0.05)
    sqs = cloud.session.client("sqs")
    sqs.purge_queue(QueueUrl=cloud.stack.queue_url)  # the notification never arrives
    assert _keys(cloud, report_id) == []
    result = cloud.invoke("reconcile", {})
    cloud.settle()
    assert result["started"] >= 1
    assert any(k.startswith("raw/") for k in _keys(cloud, report_id))


def test_no_secret_reaches_an_execution_or_a_log(cloud, caplog, capfd):
    capfd.readouterr()
    with caplog.at_level(logging.DEBUG):
        [report_id] = _report_ids(_request(cloud, [SUPPRESSED]))
        cloud.settle()
    # Powertools writes the functions' JSON logs to stdout; libraries log through logging.
    captured = capfd.readouterr()
    texts = [caplog.text, captured.out, captured.err]
    sfn = cloud.session.client("stepfunctions")
    for arn in (cloud.stack.request_reports_arn, cloud.stack.ingest_report_arn):
        for execution in sfn.list_executions(stateMachineArn=arn, maxResults=1000)["executions"]:
            texts.append(_history_text(cloud, execution["executionArn"]))
    seen = "\n".join(texts)
    assert report_id in captured.out, "the functions' logs were not captured"
    assert report_id in seen
    assert [m for m in SECRET_MARKERS if m in seen] == []
