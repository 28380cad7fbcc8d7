"""The simulator delivers REPORT_PROCESSING_FINISHED to a (moto) SQS queue, as SP-API does."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rich.console import Console

from handlers.cli_cloud import serve_sandbox_with_sqs
from sandbox.contract import validate_notification
from sandbox.sqs_delivery import SqsDelivery, boto3_sqs, parse_sqs_arn
from tests.integration.aws.conftest import ACCOUNT, REGION, MotoServer

DESTINATIONS = "/notifications/v1/destinations"
SUBSCRIPTIONS = "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
QUEUE = "spapi-lake-notifications"
ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"


@pytest.fixture
def sqs(aws: Callable[[str], Any]) -> Any:
    return aws("sqs")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=QUEUE)["QueueUrl"])


@pytest.fixture
def delivering(make_simulator: Callable[..., Any], moto_server: MotoServer) -> Any:
    """A simulator whose notifications go to SQS on the moto server."""
    delivery = SqsDelivery(boto3_sqs(moto_server.url))
    running = make_simulator(on_report_finished=delivery)
    delivery.attach(running.sim)
    return running


def subscribe(running: Any, arn: str = ARN) -> dict[str, Any]:
    """Register the queue as a destination and subscribe the seller, over plain HTTP."""
    spec = {"name": "spapi-lake", "resourceSpecification": {"sqs": {"arn": arn}}}
    destination = running.grantless().post(DESTINATIONS, json=spec).json()["payload"]
    body = {"payloadVersion": "1.0", "destinationId": destination["destinationId"]}
    response = running.seller().post(SUBSCRIPTIONS, json=body)
    assert response.status_code == 200, response.text
    return dict(destination)


def received(sqs: Any, queue_url: str, count: int = 1, seconds: float = 5) -> list[dict[str, Any]]:
    """Message bodies from the queue, deleted, until `count` arrived or time is up."""
    bodies: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while len(bodies) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, MaxNumberOfMessages=10)
        for message in answer.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_a_finished_report_is_notified_on_the_subscribed_queue(delivering, sqs, queue_url):
    # given a seller subscribed to REPORT_PROCESSING_FINISHED with the queue as destination
    subscribe(delivering)
    seller = delivering.seller()

    # when a report finishes
    report_id = delivering.create_report(seller, LISTINGS)
    report = delivering.wait_for_report(seller, report_id)

    # then one message on the queue, valid per Amazon's schema, names that report
    [body] = received(sqs, queue_url)
    validate_notification(body)
    finished = body["payload"]["reportProcessingFinishedNotification"]
    assert (finished["reportId"], finished["processingStatus"]) == (report_id, "DONE")
    assert finished["reportDocumentId"] == report["reportDocumentId"]
    assert finished["sellerId"] == delivering.seller_id
    assert body == delivering.sim.notifications[0]
    assert delivering.sim.callback_errors == []


def test_fatal_and_cancelled_reports_are_notified_too(delivering, sqs, queue_url):
    subscribe(delivering)
    seller = delivering.seller()
    delivering.sim.faults.cancelled.add(LISTINGS)
    delivering.sim.faults.fatal.add("GET_FLAT_FILE_OPEN_LISTINGS_DATA")

    cancelled = delivering.create_report(seller, LISTINGS)
    fatal = delivering.create_report(seller, "GET_FLAT_FILE_OPEN_LISTINGS_DATA")

    bodies = received(sqs, queue_url, count=2)
    for body in bodies:
        validate_notification(body)
    finished = [b["payload"]["reportProcessingFinishedNotification"] for b in bodies]
    statuses = {f["reportId"]: f["processingStatus"] for f in finished}
    assert statuses == {cancelled: "CANCELLED", fatal: "FATAL"}


def test_nothing_is_sent_without_a_subscription_or_once_the_destination_is_deleted(
    delivering, sqs, queue_url
):
    seller = delivering.seller()
    delivering.wait_for_report(seller, delivering.create_report(seller, LISTINGS))
    destination = subscribe(delivering)
    delivering.grantless().delete(f"{DESTINATIONS}/{destination['destinationId']}")

    delivering.wait_for_report(seller, delivering.create_report(seller, LISTINGS))

    assert received(sqs, queue_url, seconds=1.5) == []
    assert delivering.sim.callback_errors == []


def test_a_destination_whose_queue_does_not_exist_is_a_recorded_callback_error(
    delivering, sqs, queue_url
):
    subscribe(delivering, ARN + "-gone")
    seller = delivering.seller()

    delivering.wait_for_report(seller, delivering.create_report(seller, LISTINGS))

    deadline = time.monotonic() + 5
    while not delivering.sim.callback_errors and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(delivering.sim.callback_errors) == 1
    assert received(sqs, queue_url, seconds=1) == []


def test_sqs_arns_are_parsed_into_region_account_and_name():
    assert parse_sqs_arn(ARN) == (REGION, ACCOUNT, QUEUE)
    with pytest.raises(ValueError, match="not an SQS queue ARN"):
        parse_sqs_arn("arn:aws:sns:us-east-1:123456789012:topic")


def test_the_sandbox_command_delivers_to_the_given_sqs_endpoint(moto_server, sqs, queue_url):
    # given `spapi-lake sandbox --port 0 --sqs-endpoint <moto>` serving in the background
    out, stop = io.StringIO(), threading.Event()
    console = Console(file=out, width=200)
    server = threading.Thread(
        target=serve_sandbox_with_sqs, args=(0, moto_server.url, console, stop), daemon=True
    )
    server.start()
    running = _Handle()
    try:
        running.url = _announced_url(out)

        # when a subscribed seller's report finishes
        subscribe(running)
        seller = running.seller()
        report_id = seller.post(
            "/reports/2021-06-30/reports",
            json={"reportType": LISTINGS, "marketplaceIds": ["ATVPDKIKX0DER"]},
        ).json()["reportId"]

        # then its notification is on the queue
        [body] = received(sqs, queue_url, seconds=10)
        assert body["payload"]["reportProcessingFinishedNotification"]["reportId"] == report_id
        assert f"notifications go to SQS at {moto_server.url}" in out.getvalue()
    finally:
        running.close()
        stop.set()
        server.join(timeout=5)


def _announced_url(out: io.StringIO) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = re.search(r"SP-API simulator at (http://\S+)", out.getvalue())
        if found:
            return found[1]
        time.sleep(0.01)
    raise AssertionError(f"the sandbox never announced its URL: {out.getvalue()!r}")


class _Handle:
    """Just enough of the conftest's RunningSimulator to subscribe with the demo app."""

    def __init__(self) -> None:
        from sandbox.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

        self.url = ""
        self._app = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
        self._refresh_token = DEMO_REFRESH_TOKEN
        self._clients: list[httpx.Client] = []

    def _client(self, **grant: str) -> httpx.Client:
        token = httpx.post(f"{self.url}/auth/o2/token", data={**self._app, **grant})
        token.raise_for_status()
        headers = {"x-amz-access-token": token.json()["access_token"]}
        self._clients.append(httpx.Client(base_url=self.url, headers=headers, timeout=10))
        return self._clients[-1]

    def grantless(self) -> httpx.Client:
        scope = "sellingpartnerapi::notifications"
        return self._client(grant_type="client_credentials", scope=scope)

    def seller(self) -> httpx.Client:
        return self._client(grant_type="refresh_token", refresh_token=self._refresh_token)

    def close(self) -> None:
        for client in self._clients:
            client.close()
