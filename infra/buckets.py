"""A private, encrypted, versioned, TLS-only S3 bucket: the shape every bucket of ours takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.iam import Statement, document

PolicyStatements = Callable[[pulumi.Output[str]], list[Statement]]


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket_prefix: str  # AWS appends a unique suffix: bucket names are global
    # None means SSE-S3: S3 server access logs can only be delivered to an SSE-S3 bucket.
    kms_key_arn: pulumi.Input[str] | None
    log_bucket: pulumi.Input[str] | None = None
    log_prefix: str = ""
    policy_statements: PolicyStatements = field(default=lambda _arn: [])
    noncurrent_version_days: int = 90
    expire_days: int | None = None  # current objects too (log buckets)
    # Areas whose objects expire, by key prefix, e.g. {"athena-results/": 30}.
    expire_prefixes: Mapping[str, int] = field(default_factory=dict)
    protect: bool = False


class SecureBucket(pulumi.ComponentResource):
    """Public access blocked, ACLs off, default encryption, TLS only, versioned, lifecycle."""

    def __init__(
        self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:storage:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket_prefix=args.bucket_prefix,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        default: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgsDict = (  # noqa: E501
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
            if args.kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": default,
                    "bucket_key_enabled": args.kms_key_arn is not None,
                }
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=self.bucket.id, rules=_lifecycle(args), opts=child
        )
        tls_only: Statement = {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [self.arn, pulumi.Output.concat(self.arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=document(tls_only, *args.policy_statements(self.arn)),
            opts=child,
        )
        if args.log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-access-logs",
                bucket=self.bucket.id,
                target_bucket=args.log_bucket,
                target_prefix=args.log_prefix,
                opts=child,
            )
        self.register_outputs({"name": self.name, "arn": self.arn})


def _lifecycle(args: SecureBucketArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    rule: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
        "id": "tidy",
        "status": "Enabled",
        "filter": {},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_days},
    }
    if args.expire_days is not None:
        rule["expiration"] = {"days": args.expire_days}
    return [rule, *(_expire(prefix, days) for prefix, days in args.expire_prefixes.items())]


def _expire(prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgsDict:
    """Current objects under `prefix` expire; the versions that leaves go a day later."""
    return {
        "id": f"expire-{prefix.strip('/')}",
        "status": "Enabled",
        "filter": {"prefix": prefix},
        "expiration": {"days": days},
        "noncurrent_version_expiration": {"noncurrent_days": 1},
    }
