"""The SQS event source mapping of process_notification: batches of up to ten messages, up to
QUEUE_MAX_CONCURRENCY of them in flight, and only what the function handled is deleted."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from infra.state_machines import QUEUE_MAX_CONCURRENCY

log = logging.getLogger("localcloud")
BATCH_SIZE = 10


@dataclass(frozen=True)
class SourceStats:
    batches: int = 0  # invocations of the function
    received: int = 0
    deleted: int = 0
    failed: int = 0  # reported in batchItemFailures, or in a batch whose invocation failed
    throttled: int = 0  # batches Lambda refused: they come back after the visibility timeout


class QueueEventSource:
    """`poll_once` delivers one batch; `start` runs `concurrency` pollers until `stop`."""

    def __init__(
        self,
        sqs: Any,
        awslambda: Any,
        *,
        queue_url: str,
        queue_arn: str,
        function_name: str,
        concurrency: int = QUEUE_MAX_CONCURRENCY,
    ) -> None:
        self._sqs, self._lambda = sqs, awslambda  # boto3 clients are thread-safe
        self.queue_url, self.queue_arn, self.function_name = queue_url, queue_arn, function_name
        self.concurrency = concurrency
        self.stats = SourceStats()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return bool(self._threads)

    @property
    def in_flight(self) -> int:
        """Batches received and not yet settled (the function may be starting executions)."""
        with self._lock:
            return self._in_flight

    def _count(self, **changes: int) -> None:
        with self._lock:
            self.stats = replace(
                self.stats, **{k: getattr(self.stats, k) + v for k, v in changes.items()}
            )

    def poll_once(self, wait_seconds: int = 1) -> dict[str, int]:
        """Receive one batch, invoke the function with it, delete what it did not report failed."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return {"received": 0, "failed": 0}
        # Until now the queue counted the batch as in flight (not visible); from now on, we do.
        with self._lock:
            self._in_flight += 1
        try:
            failed = self._deliver(messages)
        finally:
            with self._lock:
                self._in_flight -= 1
        return {"received": len(messages), "failed": len(failed)}

    def _deliver(self, messages: list[dict[str, Any]]) -> set[str]:
        records = [self._record(m) for m in messages]
        everything = {m["MessageId"] for m in messages}
        try:
            response = self._lambda.invoke(
                FunctionName=self.function_name, Payload=json.dumps({"Records": records})
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TooManyRequestsException":
                raise
            self._count(received=len(messages), throttled=1)
            return everything
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            # The whole batch comes back after the visibility timeout, as from Lambda.
            log.warning("%s failed: %s", self.function_name, payload)
            failed = everything
        else:
            reported = (payload or {}).get("batchItemFailures", [])
            failed = {f["itemIdentifier"] for f in reported}
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        self._count(
            batches=1,
            received=len(messages),
            deleted=len(messages) - len(failed),
            failed=len(failed),
        )
        return failed

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.queue_arn.split(":")[3],
        }

    def start(self) -> None:
        if self._threads:
            return
        self._stopped.clear()
        self._threads = [
            threading.Thread(target=self._poll, name=f"sqs-poller-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Let the batches in flight finish, then stop polling."""
        self._stopped.set()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _poll(self) -> None:
        while not self._stopped.is_set():
            try:
                if self.poll_once(wait_seconds=1)["failed"]:
                    self._stopped.wait(0.2)  # failures come back after the visibility timeout
            except Exception:
                log.exception("polling %s failed", self.queue_url)
                self._stopped.wait(1)
