"""`spapi-lake run` in its cloud shape: an s3:// lake, and waiting on an SQS queue.

Simulator → SQS (moto) → CLI → S3 (moto), all over real loopback HTTP.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers
from rich.console import Console
from typer.testing import CliRunner

from domain.queue_waiting import QueuePolicy
from domain.subscribing import SubscriptionEnsurer
from domain.waiting import PollPolicy
from handlers.cli import app, execute
from handlers.cli_run import RunArgs, run_reports
from sandbox.sqs_delivery import SqsDelivery, boto3_sqs
from tests.integration.aws.conftest import ACCOUNT, REGION, MotoServer
from tests.integration.spapi_wiring import credentials_env, quicken, wire
from wiring.container import LocalContainer

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
BUCKET = "spapi-lake-test"
QUEUE = "spapi-lake-notifications"
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret", "demo-secret")
# Long enough that the waiter's first getReport sees the report unfinished, so the
# notification (not that check) is what releases it.
QUEUED_PROCESSING_SECONDS = 0.5


@pytest.fixture
def s3(aws: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer) -> Any:
    """A bucket on the moto server, which is also where the CLI's own boto3 clients go."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    client = aws("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def queue_url(s3: Any, aws: Callable[[str], Any]) -> str:
    return str(aws("sqs").create_queue(QueueName=QUEUE)["QueueUrl"])


@pytest.fixture
def notifying(make_simulator: Callable[..., Any], moto_server: MotoServer, queue_url: str) -> Any:
    """A simulator whose seller is subscribed, through our own SubscriptionEnsurer, to the
    queue: every finished report is notified there."""
    delivery = SqsDelivery(boto3_sqs(moto_server.url))
    running = make_simulator(
        on_report_finished=delivery, processing_seconds=QUEUED_PROCESSING_SECONDS
    )
    delivery.attach(running.sim)
    wired = wire(running)
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"
    SubscriptionEnsurer(wired.notifications).ensure([running.seller_id], "spapi-lake", arn)
    wired.http.close()
    return running


def _fast(container: LocalContainer) -> None:
    """Same code paths, millisecond waits: retries, rate limits, polling, long polls."""
    quicken(container)
    container.queue_policy.override(
        providers.Object(QueuePolicy(wait_seconds=1, timeout=timedelta(seconds=30)))
    )


def _run(sim: Any, lake: str, capsys: Any, caplog: Any, **flags: Any) -> tuple[int, str, str]:
    args = RunArgs(
        lake=lake,
        endpoint=sim.url,
        lwa_endpoint=sim.token_url,
        region="NA",
        seller_id=sim.seller_id,
        marketplaces=["ATVPDKIKX0DER"],
        reports=[LISTINGS],
        **flags,
    )
    out = io.StringIO()
    console = Console(file=out, width=250, force_terminal=False)
    with caplog.at_level(logging.DEBUG):
        code = execute(lambda: run_reports(args, console, credentials_env(sim), tune=_fast))
    err = capsys.readouterr().err
    seen = out.getvalue() + err + caplog.text
    for marker in SECRET_MARKERS:
        assert marker not in seen, f"{marker} leaked into output or logs"
    assert "Traceback" not in seen
    return code, out.getvalue(), err


def _objects(s3: Any, prefix: str) -> dict[str, bytes]:
    """Every object under `prefix`, by its key relative to the prefix."""
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", [])
    return {
        o["Key"][len(prefix) + 1 :]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in listed
    }


def _split(objects: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, dict[str, Any]]]:
    data = {k: v for k, v in objects.items() if k.startswith("raw/")}
    manifests = {k: json.loads(v) for k, v in objects.items() if k.startswith("manifests/")}
    curated = {k for k in objects if k.startswith("curated/")}
    # A listings report is curated as it lands: one Parquet file beside raw, named in its manifest.
    assert curated == {t["key"] for m in manifests.values() for t in m["curated"]["tables"]}
    assert set(data) | set(manifests) | curated == set(objects), "nothing else in the lake"
    return data, manifests


def _queue_depth(aws: Callable[[str], Any], queue_url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
    return sum(int(v) for v in found["Attributes"].values())


def test_a_run_stores_the_report_and_its_manifest_in_s3(simulator, s3, capsys, caplog):
    code, out, _ = _run(simulator, f"s3://{BUCKET}/spapi/dev", capsys, caplog)

    data, manifests = _split(_objects(s3, "spapi/dev"))
    [(key, body)] = data.items()
    [manifest] = manifests.values()
    assert code == 0
    assert key.startswith(f"raw/report_type={LISTINGS}/seller_id={simulator.seller_id}/dt=")
    assert "Café" in body.decode("utf-8")
    assert (manifest["rows"], manifest["charset"], manifest["key"]) == (200, "Cp1252", key)
    assert f"s3://{BUCKET}/spapi/dev/raw/" in out


def test_with_a_kms_key_every_object_is_sse_kms_under_that_key(
    simulator, s3, kms_key_arn, capsys, caplog
):
    code, _, _ = _run(simulator, f"s3://{BUCKET}/enc", capsys, caplog, kms_key_id=kms_key_arn)

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    heads = [s3.head_object(Bucket=BUCKET, Key=k) for k in keys]
    assert code == 0
    assert len(keys) == 3  # the document, its curated Parquet file and its manifest
    assert {(h["ServerSideEncryption"], h["SSEKMSKeyId"]) for h in heads} == {
        ("aws:kms", kms_key_arn)
    }


def test_waiting_on_the_queue_lands_the_same_lake_content_as_polling(
    notifying, s3, aws, queue_url, capsys, caplog
):
    # given a run that waits on the queue, then a run that polls for the same report
    queued = _run(notifying, f"s3://{BUCKET}/queued", capsys, caplog, queue_url=queue_url)
    polled = _run(notifying, f"s3://{BUCKET}/polled", capsys, caplog)

    # then both succeed, and the queue run consumed the notification that released it
    queued_data, queued_manifests = _split(_objects(s3, "queued"))
    polled_data, polled_manifests = _split(_objects(s3, "polled"))
    assert (queued[0], polled[0]) == (0, 0)
    assert len(notifying.sim.notifications) == 1
    assert _queue_depth(aws, queue_url) == 0
    # and the lakes hold the same report, byte for byte, with the same manifest
    assert len(queued_data) == 1
    assert queued_data == polled_data
    for manifest in [*queued_manifests.values(), *polled_manifests.values()]:
        manifest.pop("ingestedAt")
        manifest["curated"].pop("curatedAt")
    assert queued_manifests == polled_manifests


def test_notifications_for_other_reports_stay_on_the_queue(
    notifying, s3, aws, queue_url, capsys, caplog
):
    # given a notification already waiting for a report this run will not request
    sqs = aws("sqs")
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "1"})
    seller = notifying.seller()
    other = notifying.create_report(seller, "GET_FLAT_FILE_OPEN_LISTINGS_DATA")
    notifying.wait_for_report(seller, other)

    # when a run waits on the queue for its own report
    code, _, _ = _run(notifying, f"s3://{BUCKET}/lake", capsys, caplog, queue_url=queue_url)

    # then the other report's message is back on the queue for whoever owns it
    assert code == 0
    left = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=3).get("Messages", [])
    [body] = [json.loads(m["Body"]) for m in left]
    assert body["payload"]["reportProcessingFinishedNotification"]["reportId"] == other


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        ({"lake": "s3://"}, "not a valid S3 bucket name"),
        ({"lake": "s3://My_Bucket/x"}, "not a valid S3 bucket name"),
        ({"lake": "gs://bucket/x"}, "a local directory or s3://bucket/prefix"),
        ({"lake": "lake", "kms_key_id": "alias/x"}, "--kms-key-id applies only"),
        ({"queue_url": "sqs://queue"}, "is not an SQS queue URL"),
        ({"queue_url": "https://sqs.us-east-1.amazonaws.com/x"}, "is not an SQS queue URL"),
        ({"queue_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q.fifo"}, "not FIFO"),
    ],
)
def test_a_bad_lake_or_queue_is_one_line_and_exit_2_before_any_call(
    flags, complaint, simulator, tmp_path, capsys, caplog
):
    lake = flags.pop("lake", str(tmp_path / "lake"))

    code, _, err = _run(simulator, lake, capsys, caplog, **flags)

    assert code == 2
    assert complaint in err
    assert len(err.strip().splitlines()) == 1
    assert simulator.sim.notifications == []
    assert not (tmp_path / "lake").exists()


def test_a_queue_that_does_not_exist_is_one_line_and_exit_2(simulator, s3, capsys, caplog):
    missing = f"{s3.meta.endpoint_url}/{ACCOUNT}/no-such-queue"

    code, _, err = _run(simulator, f"s3://{BUCKET}/lake", capsys, caplog, queue_url=missing)

    assert code == 2
    assert "no-such-queue" in err
    assert len(err.strip().splitlines()) == 1


def test_the_command_line_runs_simulator_to_sqs_to_s3(notifying, s3, aws, queue_url):
    result = CliRunner().invoke(
        app,
        [
            "run",
            *("--lake", f"s3://{BUCKET}/cli", "--queue-url", queue_url),
            *("--endpoint", notifying.url, "--lwa-endpoint", notifying.token_url),
            *("--region", "NA", "--seller-id", notifying.seller_id),
            *("--marketplace", "ATVPDKIKX0DER", "--report", LISTINGS),
        ],
        env=credentials_env(notifying),
    )

    data, manifests = _split(_objects(s3, "cli"))
    assert result.exit_code == 0, result.output
    assert len(data) == len(manifests) == 1
    assert _queue_depth(aws, queue_url) == 0
    assert "Traceback" not in result.output


def test_the_command_line_rejects_a_bad_s3_lake_with_exit_2():
    result = CliRunner().invoke(
        app,
        [
            "run",
            *("--lake", "s3://Bad_Bucket/x", "--region", "NA", "--seller-id", "A1DEMOSELLER0"),
            *("--marketplace", "ATVPDKIKX0DER", "--report", LISTINGS),
        ],
        env={},
    )

    assert result.exit_code == 2
    assert "not a valid S3 bucket name" in result.output
    assert "Traceback" not in result.output


def test_a_run_can_draw_from_a_deployments_shared_rate_limit_table(
    simulator, s3, aws, tmp_path, capsys
):
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="spapi-lake-dev-rate-limits",
        KeySchema=[{"AttributeName": "bucket", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "bucket", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    args = RunArgs(
        lake=str(tmp_path / "lake"),
        endpoint=simulator.url,
        lwa_endpoint=simulator.token_url,
        region="NA",
        seller_id=simulator.seller_id,
        marketplaces=["ATVPDKIKX0DER"],
        reports=[LISTINGS],
        rate_limit_table="spapi-lake-dev-rate-limits",
    )

    def quick_polls(container: LocalContainer) -> None:
        container.poll_policy.override(
            providers.Object(PollPolicy(first_interval=0.02, factor=1.5, max_interval=0.2))
        )

    console = Console(file=io.StringIO(), width=250)
    code = execute(lambda: run_reports(args, console, credentials_env(simulator), tune=quick_polls))

    assert code == 0, capsys.readouterr().err
    items = dynamodb.scan(TableName="spapi-lake-dev-rate-limits")["Items"]
    buckets = {item["bucket"]["S"] for item in items}
    # The Lambdas' buckets: one per (seller, operation), the same items they reserve from.
    assert {
        f"{simulator.seller_id}#{op}" for op in ("createReport", "getReportDocument")
    } <= buckets
