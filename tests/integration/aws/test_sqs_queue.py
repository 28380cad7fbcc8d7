"""SqsQueue against moto over HTTP: receive with long polling, delete what was handled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.sqs_queue import SqsQueue
from domain.errors import ConfigError


@pytest.fixture
def sqs(aws: Callable[[str], Any]) -> Any:
    return aws("sqs")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="spapi-lake-dev-notifications")["QueueUrl"])


def test_received_messages_carry_body_receipt_and_id(sqs: Any, queue_url: str) -> None:
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody='{"notificationType":"x"}')

    messages = SqsQueue(sqs, queue_url).receive(wait_seconds=1)

    assert [(m.body, m.message_id) for m in messages] == [
        ('{"notificationType":"x"}', sent["MessageId"])
    ]
    assert messages[0].receipt


def test_requests_stay_within_sqs_bounds(sqs: Any, queue_url: str) -> None:
    asked: list[dict[str, Any]] = []
    sqs.meta.events.register(
        "provide-client-params.sqs.ReceiveMessage", lambda params, **_: asked.append(params)
    )

    sqs.send_message(QueueUrl=queue_url, MessageBody="m")  # so the long poll returns at once

    assert len(SqsQueue(sqs, queue_url).receive(wait_seconds=60, max_messages=50)) == 1

    assert (asked[0]["WaitTimeSeconds"], asked[0]["MaxNumberOfMessages"]) == (20, 10)


def test_a_deleted_message_is_not_received_again(sqs: Any, queue_url: str) -> None:
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "0"})
    queue = SqsQueue(sqs, queue_url)
    for n in range(3):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"m{n}")

    received = queue.receive(wait_seconds=1)
    queue.delete(received[0])

    left = {m.body for m in queue.receive(wait_seconds=1, max_messages=10)}
    assert len(received) == 3
    assert left == {"m0", "m1", "m2"} - {received[0].body}


def test_a_missing_queue_is_a_config_error(sqs: Any, queue_url: str) -> None:
    with pytest.raises(ConfigError, match=r"NonExistentQueue|QueueDoesNotExist"):
        SqsQueue(sqs, queue_url + "-gone").receive(wait_seconds=0)
