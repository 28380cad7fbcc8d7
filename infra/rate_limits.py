"""The shared rate-limit table: SP-API's token buckets, one item per (partner, operation)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# The item layout adapters/dynamodb_rate_limit.py reads and writes.
HASH_KEY = "bucket"
TTL_ATTRIBUTE = "expires_at"  # idle buckets expire; a missing item is a full bucket


@dataclass(frozen=True)
class RateLimitTableArgs:
    name: str
    kms_key_arn: pulumi.Input[str]


class RateLimitTable(pulumi.ComponentResource):
    """On demand, under the stack key, with point-in-time recovery and deletion protection."""

    def __init__(
        self, name: str, args: RateLimitTableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:throttling:RateLimitTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.name,
            # Traffic follows the report schedules: bursts, then nothing for hours.
            billing_mode="PAY_PER_REQUEST",
            hash_key=HASH_KEY,
            attributes=[{"name": HASH_KEY, "type": "S"}],
            ttl={"attribute_name": TTL_ATTRIBUTE, "enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": args.kms_key_arn},
            point_in_time_recovery={"enabled": True},
            # Protected like the lake bucket and the key, on every stage: deleting the table
            # while executions wait on it would fail them all.
            deletion_protection_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
