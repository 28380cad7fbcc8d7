"""LocalCloud runs each function as Lambda does: a pool of execution environments as large as
its reserved concurrency, each with its own process state, throttled beyond it; and the SQS
event source mapping delivers batches to process_notification."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from infra.state_machines import FUNCTION_SPECS, QUEUE_MAX_CONCURRENCY
from localcloud.cloud import DEMO_SPEC, LocalCloud
from wiring import runtime

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cloud():
    with LocalCloud(replace(DEMO_SPEC, name="pool"), time_scale=60.0) as running:
        yield running


@pytest.fixture
def override(cloud):
    """Replace functions' handlers for one test (they still run in the functions' pools)."""
    yield cloud.dispatcher.overrides
    cloud.dispatcher.overrides.clear()


def _eventually(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def _busy(entered: threading.Semaphore, release: threading.Event):
    def handler(event, context):
        entered.release()
        assert release.wait(30), "the test never released the function"
        return {"ok": True}

    return handler


def _machine(cloud, name, definition):
    iam = cloud.session.client("iam")
    role = iam.get_role(RoleName=f"{cloud.stack.prefix}role")["Role"]["Arn"]
    sfn = cloud.session.client("stepfunctions")
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]


def _function_arn(cloud, handler):
    awslambda = cloud.session.client("lambda")
    described = awslambda.get_function(FunctionName=f"{cloud.stack.prefix}{handler}")
    return described["Configuration"]["FunctionArn"]


def test_a_function_invoked_beyond_its_reserved_concurrency_is_throttled(cloud, override):
    # Given reconcile (reserved concurrency 1) running
    assert FUNCTION_SPECS["reconcile"].concurrency == 1
    entered, release = threading.Semaphore(0), threading.Event()
    override["reconcile"] = _busy(entered, release)
    before = cloud.dispatcher.stats().get("reconcile")
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(cloud.invoke, "reconcile", {})
        assert entered.acquire(timeout=20)

        # When it is invoked again
        with pytest.raises(ClientError) as throttled:
            cloud.invoke("reconcile", {})
        release.set()

        # Then Lambda's answer is a 429 TooManyRequestsException, and the first one finishes
        assert running.result(timeout=20) == {"ok": True}
    error = throttled.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    stats = cloud.dispatcher.stats()["reconcile"]
    assert stats.throttles - (before.throttles if before else 0) == 1
    assert stats.peak_concurrency == 1


def test_step_functions_retries_a_throttled_task_as_lambda_too_many_requests(cloud, override):
    # Given a task whose function is busy, retried on Lambda.TooManyRequestsException
    entered, release = threading.Semaphore(0), threading.Event()
    override["reconcile"] = _busy(entered, release)
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": _function_arn(cloud, "reconcile"), "Payload": {}},
        "Retry": [
            {
                "ErrorEquals": ["Lambda.TooManyRequestsException"],
                "IntervalSeconds": 60,
                "MaxAttempts": 3,
            }
        ],
        "ResultSelector": {"ok.$": "$.Payload.ok"},
        "End": True,
    }
    arn = _machine(cloud, "throttled-task", {"StartAt": "Reconcile", "States": {"Reconcile": task}})
    throttles = cloud.dispatcher.stats()["reconcile"].throttles
    with ThreadPoolExecutor(1) as pool:
        holding = pool.submit(cloud.invoke, "reconcile", {})
        assert entered.acquire(timeout=20)

        # When the execution runs into the throttle, and the function then frees up
        execution = cloud.start(arn, {})
        _eventually(lambda: cloud.dispatcher.stats()["reconcile"].throttles > throttles)
        release.set()
        holding.result(timeout=20)
    done = cloud.wait(execution, timeout=60)

    # Then the task failed with the error AWS names, and its Retry matched it
    assert done.status == "SUCCEEDED", done.cause
    assert done.output == {"ok": True}
    sfn = cloud.session.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution)["events"]
    [failed, *_] = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert failed["error"] == "Lambda.TooManyRequestsException"
    assert "Status Code: 429" in failed["cause"]


def test_concurrent_invocations_run_in_separate_execution_environments(cloud, override):
    # Given fetch_document holding two invocations at once
    both = threading.Barrier(2, timeout=20)
    seen = []

    def handler(event, context):
        built = runtime.container("fetch_document")
        seen.append(built)
        if event.get("together"):
            both.wait()
        return {}

    override["fetch_document"] = handler
    cloud.cold_start()
    before = cloud.dispatcher.stats().get("fetch_document")
    cold = before.cold_starts if before else 0

    # When two invocations overlap
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: cloud.invoke("fetch_document", {"together": True}), range(2)))

    # Then each has its own container: its own clients and caches, the LocalCloud's clock
    first, second = seen
    assert first is not second
    assert first.http() is not second.http()
    assert first.clock() is cloud.clock
    assert second.clock() is cloud.clock
    stats = cloud.dispatcher.stats()["fetch_document"]
    assert stats.cold_starts - cold == 2
    assert stats.peak_concurrency >= 2


def test_sequential_invocations_reuse_a_warm_execution_environment(cloud, override):
    seen = []
    override["store_report"] = lambda event, context: seen.append(runtime.container("store_report"))
    cloud.cold_start()
    before = cloud.dispatcher.stats().get("store_report")
    cold = before.cold_starts if before else 0

    for _ in range(3):
        cloud.invoke("store_report", {})

    assert seen[0] is seen[1] is seen[2]
    assert cloud.dispatcher.stats()["store_report"].cold_starts - cold == 1


def test_a_cold_start_gives_the_next_invocation_a_new_environment(cloud, override):
    seen = []
    override["store_report"] = lambda event, context: seen.append(runtime.container("store_report"))
    cloud.invoke("store_report", {})

    cloud.cold_start()
    cloud.invoke("store_report", {})

    assert seen[0] is not seen[1]


def test_the_event_source_deletes_what_the_batch_handled_and_redelivers_failures(cloud, override):
    # Given process_notification failing one message of its batch
    delivered: list[str] = []
    records = []

    def handler(event, context):
        records.extend(event["Records"])
        delivered.extend(r["body"] for r in event["Records"])
        failures = [r["messageId"] for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failures]}

    override["process_notification"] = handler
    sqs = cloud.session.client("sqs")
    for body in ("good-1", "good-2", "bad"):
        sqs.send_message(QueueUrl=cloud.stack.queue_url, MessageBody=body)

    # When the event source polls
    cloud.event_source.start()
    try:
        _eventually(lambda: delivered.count("bad") >= 2 and {"good-1", "good-2"} <= set(delivered))
    finally:
        cloud.event_source.stop()
    sqs.purge_queue(QueueUrl=cloud.stack.queue_url)

    # Then handled messages were deleted (delivered once); the failed one came back
    assert delivered.count("good-1") == 1
    assert delivered.count("good-2") == 1
    assert {r["eventSource"] for r in records} == {"aws:sqs"}
    assert {r["eventSourceARN"] for r in records} == {cloud.stack.queue_arn}


def test_the_event_source_runs_up_to_its_maximum_concurrency_of_batches(cloud, override):
    # Given a backlog of more batches than the mapping may run at once
    together = threading.Barrier(QUEUE_MAX_CONCURRENCY, timeout=20)
    calls, lock = [0], threading.Lock()

    def handler(event, context):
        with lock:
            calls[0] += 1
            first_round = calls[0] <= QUEUE_MAX_CONCURRENCY
        if first_round:
            together.wait()  # raises unless the whole first round is in flight at once
        return {"batchItemFailures": []}

    override["process_notification"] = handler
    sqs = cloud.session.client("sqs")
    for start in range(0, 60, 10):
        entries = [{"Id": str(n), "MessageBody": f"m{n}"} for n in range(start, start + 10)]
        sqs.send_message_batch(QueueUrl=cloud.stack.queue_url, Entries=entries)
    before = cloud.dispatcher.stats().get("process_notification")
    deleted = cloud.event_source.stats.deleted

    # When it drains the queue
    cloud.event_source.start()
    try:
        _eventually(lambda: cloud.event_source.stats.deleted - deleted >= 60, timeout=60)
    finally:
        cloud.event_source.stop()

    # Then exactly its maximum concurrency of batches ran at once, within the reserved one
    stats = cloud.dispatcher.stats()["process_notification"]
    assert not together.broken
    assert stats.peak_concurrency == QUEUE_MAX_CONCURRENCY
    assert stats.throttles == (before.throttles if before else 0)


def test_the_rate_limit_table_is_provisioned_as_deployed(cloud):
    dynamodb = cloud.session.client("dynamodb")
    table = dynamodb.describe_table(TableName=f"{cloud.stack.prefix}rate-limits")["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])

    assert table["KeySchema"] == [{"AttributeName": "bucket", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == cloud.stack.key_arn
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    assert cloud.handler_environment()["SPAPI_LAKE_RATE_LIMIT_TABLE"] == table["TableName"]


def test_settle_waits_for_the_event_source_to_drain_the_queue(cloud, override):
    delivered = []
    override["process_notification"] = lambda event, context: delivered.extend(
        r["body"] for r in event["Records"]
    )
    sqs = cloud.session.client("sqs")
    cloud.event_source.start()
    try:
        for n in range(15):
            sqs.send_message(QueueUrl=cloud.stack.queue_url, MessageBody=f"n{n}")

        cloud.settle(timeout=60)
    finally:
        cloud.event_source.stop()

    assert sorted(delivered) == sorted(f"n{n}" for n in range(15))
    attributes = sqs.get_queue_attributes(QueueUrl=cloud.stack.queue_url, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"
