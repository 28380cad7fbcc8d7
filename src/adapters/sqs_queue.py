"""The MessageQueue port on SQS: long-polling receive and delete, for the CLI's `--queue-url`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.aws_errors import translated
from domain.ports import QueueMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS's own bounds; asking for more is an error, so larger requests are clamped.
MAX_WAIT_SECONDS = 20
MAX_MESSAGES = 10


class SqsQueue:
    """Raises ConfigError (queue missing, access denied) or AwsServiceError (retry)."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def receive(self, wait_seconds: int = 20, max_messages: int = 10) -> list[QueueMessage]:
        with translated(f"SQS ReceiveMessage {self._url}"):
            answer = self._sqs.receive_message(
                QueueUrl=self._url,
                WaitTimeSeconds=max(0, min(wait_seconds, MAX_WAIT_SECONDS)),
                MaxNumberOfMessages=max(1, min(max_messages, MAX_MESSAGES)),
            )
        return [
            QueueMessage(body=m["Body"], receipt=m["ReceiptHandle"], message_id=m["MessageId"])
            for m in answer.get("Messages", [])
        ]

    def delete(self, message: QueueMessage) -> None:
        with translated(f"SQS DeleteMessage {message.message_id} from {self._url}"):
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message.receipt)

    def __repr__(self) -> str:
        return f"SqsQueue({self._url!r})"
