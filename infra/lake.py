"""The lake bucket (design.md §5 layout) and the bucket that receives its access logs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.buckets import SecureBucket, SecureBucketArgs
from infra.iam import Statement

# Athena's query results (infra/athena.py): kept a month, then expired.
ATHENA_RESULTS, ATHENA_RESULTS_DAYS = "athena-results/", 30


@dataclass(frozen=True)
class LakeArgs:
    prefix: str
    kms_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    log_retention_days: int


class Lake(pulumi.ComponentResource):
    """Report objects and manifests under SSE-KMS; access logs in a separate bucket."""

    def __init__(
        self, name: str, args: LakeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:storage:Lake", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def log_delivery(arn: pulumi.Output[str]) -> list[Statement]:
            # With ACLs disabled, the logging service writes under this policy, for us only.
            return [
                {
                    "Sid": "S3ServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(arn, "/*"),
                    "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                }
            ]

        self.logs = SecureBucket(
            f"{name}-access-logs",
            SecureBucketArgs(
                bucket_prefix=f"{args.prefix}-access-logs-",
                kms_key_arn=None,
                policy_statements=log_delivery,
                expire_days=args.log_retention_days,
                noncurrent_version_days=30,
            ),
            opts=child,
        )
        self.lake = SecureBucket(
            f"{name}-lake",
            SecureBucketArgs(
                bucket_prefix=f"{args.prefix}-lake-",
                kms_key_arn=args.kms_key_arn,
                log_bucket=self.logs.name,
                log_prefix="lake/",
                expire_prefixes={ATHENA_RESULTS: ATHENA_RESULTS_DAYS},
                protect=True,  # the lake is the product; `pulumi destroy` must not empty it
            ),
            opts=child,
        )
        self.bucket = self.lake.name
        self.arn = self.lake.arn
        self.log_bucket = self.logs.name
        self.register_outputs({"bucket": self.bucket, "logBucket": self.log_bucket})
