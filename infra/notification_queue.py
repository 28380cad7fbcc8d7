"""The Standard queue SP-API delivers REPORT_PROCESSING_FINISHED to, and its dead-letter queue."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam import SP_API_ACCOUNT, document

DAY = 86_400


@dataclass(frozen=True)
class NotificationQueueArgs:
    name: str
    kms_key_arn: pulumi.Input[str]
    consumer_timeout_seconds: int  # process_notification's Lambda timeout
    max_receive_count: int = 5
    retention_days: int = 4
    dlq_retention_days: int = 14


class NotificationQueue(pulumi.ComponentResource):
    """Encrypted with the stack key, so SP-API's sender must be granted the key (rule 6)."""

    def __init__(
        self, name: str, args: NotificationQueueArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:messaging:NotificationQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        encryption = {
            "kms_master_key_id": args.kms_key_arn,
            "kms_data_key_reuse_period_seconds": 300,
            "sqs_managed_sse_enabled": False,
        }
        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{args.name}-dlq",
            message_retention_seconds=args.dlq_retention_days * DAY,
            opts=child,
            **encryption,  # type: ignore[arg-type]
        )
        self.queue = aws.sqs.Queue(
            name,
            name=args.name,
            message_retention_seconds=args.retention_days * DAY,
            # AWS's Lambda–SQS guide: six times the consumer's timeout, or messages reappear
            # while a slow batch is still being handled.
            visibility_timeout_seconds=6 * args.consumer_timeout_seconds,
            receive_wait_time_seconds=20,
            redrive_policy=self.dlq.arn.apply(
                lambda arn: json.dumps(
                    {"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count}
                )
            ),
            opts=child,
            **encryption,  # type: ignore[arg-type]
        )
        aws.sqs.QueuePolicy(
            f"{name}-policy",
            queue_url=self.queue.url,
            policy=document(
                {
                    "Sid": "SellingPartnerApiSendsNotifications",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{SP_API_ACCOUNT}:root"},
                    "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
                    "Resource": self.queue.arn,
                }
            ),
            opts=child,
        )
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.register_outputs({"url": self.url, "dlqUrl": self.dlq.url})
