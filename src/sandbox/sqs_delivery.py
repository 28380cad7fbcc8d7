"""Delivering the simulator's notifications (REPORT_PROCESSING_FINISHED,
DATA_KIOSK_QUERY_PROCESSING_FINISHED) to SQS, as SP-API does."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sandbox.settings import SimulatorConfig
from sandbox.simulator import Simulator

log = logging.getLogger("sandbox")

# Given a region, an SQS client (boto3's, or anything with get_queue_url and send_message).
SqsClients = Callable[[str], Any]


def boto3_sqs(endpoint_url: str | None = None) -> SqsClients:
    """boto3 SQS clients per region; without `endpoint_url` boto3 honours AWS_ENDPOINT_URL."""

    def client(region: str) -> Any:
        import boto3  # imported on first delivery: the simulator runs without boto3

        return boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)

    return client


def parse_sqs_arn(arn: str) -> tuple[str, str, str]:
    """`arn:aws:sqs:REGION:ACCOUNT:NAME` → (region, account, name); ValueError otherwise."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not all(parts[3:]):
        raise ValueError(f"{arn!r} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)")
    return parts[3], parts[4], parts[5]


class SqsDelivery:
    """An `on_report_finished` callback that sends each message to its destination's queue.

    The destination is the simulator's business, so the callback needs the simulator, which
    in turn is built with the callback: `attach` closes that loop (see `with_sqs_delivery`).
    Messages whose destination is gone or is not SQS are dropped with a log line, as Amazon
    would. A failed send raises: the simulator logs it and keeps it in `callback_errors`.
    """

    def __init__(self, clients: SqsClients | None = None) -> None:
        self._clients = clients or boto3_sqs()
        self._destination_of: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
        self._by_region: dict[str, Any] = {}
        self._urls: dict[str, str] = {}
        # The ticker thread and request threads both finish reports.
        self._lock = threading.Lock()
        self.sent: list[str] = []  # SQS MessageIds, for tests and the sandbox's log

    def attach(self, simulator: Simulator) -> SqsDelivery:
        self._destination_of = simulator.destination_of
        return self

    def __call__(self, message: dict[str, Any]) -> None:
        if self._destination_of is None:
            raise RuntimeError("SqsDelivery.attach(simulator) was never called")
        destination = self._destination_of(message)
        arn = ((destination or {}).get("resource") or {}).get("sqs", {}).get("arn")
        if arn is None:
            log.info("no SQS destination for notification; message dropped")
            return
        client, url = self._queue(arn)
        sent = client.send_message(QueueUrl=url, MessageBody=json.dumps(message))
        with self._lock:
            self.sent.append(sent["MessageId"])
        log.info("%s delivered to %s", message.get("notificationType"), arn)

    def _queue(self, arn: str) -> tuple[Any, str]:
        region, account, name = parse_sqs_arn(arn)
        with self._lock:
            client = self._by_region.get(region)
            if client is None:
                client = self._by_region[region] = self._clients(region)
            url = self._urls.get(arn)
        if url is None:
            found = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            url = str(found["QueueUrl"])
            with self._lock:
                self._urls[arn] = url
        return client, url


def with_sqs_delivery(
    config: SimulatorConfig | None = None, clients: SqsClients | None = None
) -> Simulator:
    """A simulator (the default one unless given a config) that delivers to SQS."""
    delivery = SqsDelivery(clients)
    simulator = Simulator(replace(config or SimulatorConfig(), on_report_finished=delivery))
    delivery.attach(simulator)
    return simulator
