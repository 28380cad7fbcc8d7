"""CloudTrail: management events everywhere, and S3 data events for the lake bucket."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.buckets import SecureBucket, SecureBucketArgs
from infra.iam import Statement, allow, encrypted_log_group, service_role


@dataclass(frozen=True)
class AuditArgs:
    trail_name: str
    trail_arn: pulumi.Input[str]  # known before the trail exists: the bucket policy names it
    kms_key_arn: pulumi.Input[str]
    lake_bucket_arn: pulumi.Input[str]
    log_bucket: pulumi.Input[str]
    log_retention_days: int


class Audit(pulumi.ComponentResource):
    """Multi-region, log-file validation, KMS, CloudWatch Logs; its bucket is a SecureBucket."""

    def __init__(
        self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:audit:Audit", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        source = {"StringEquals": {"aws:SourceArn": args.trail_arn}}

        def cloudtrail_writes(arn: pulumi.Output[str]) -> list[Statement]:
            principal = {"Service": "cloudtrail.amazonaws.com"}
            return [
                {
                    "Sid": "CloudTrailChecksTheBucket",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:GetBucketAcl",
                    "Resource": arn,
                    "Condition": source,
                },
                {
                    "Sid": "CloudTrailWritesLogFiles",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(arn, "/AWSLogs/*"),
                    "Condition": source,
                },
            ]

        self.bucket = SecureBucket(
            f"{name}-trail",
            SecureBucketArgs(
                bucket_prefix=f"{args.trail_name}-",
                kms_key_arn=args.kms_key_arn,
                log_bucket=args.log_bucket,
                log_prefix="trail/",
                policy_statements=cloudtrail_writes,
                protect=True,
            ),
            opts=child,
        )
        log_group = encrypted_log_group(
            f"{name}-trail-logs",
            f"/aws/cloudtrail/{args.trail_name}",
            args.log_retention_days,
            args.kms_key_arn,
            child,
        )
        role, policy = service_role(
            f"{name}-trail",
            f"{args.trail_name}-logs-role",
            "cloudtrail.amazonaws.com",
            [
                allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [pulumi.Output.concat(log_group.arn, ":*")],
                    "DeliverTrailToLogs",
                )
            ],
            child,
        )
        self.trail = aws.cloudtrail.Trail(
            name,
            name=args.trail_name,
            s3_bucket_name=self.bucket.name,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=args.kms_key_arn,
            cloud_watch_logs_group_arn=pulumi.Output.concat(log_group.arn, ":*"),
            cloud_watch_logs_role_arn=role.arn,
            event_selectors=[
                {
                    "read_write_type": "All",
                    "include_management_events": True,
                    "data_resources": [
                        {
                            "type": "AWS::S3::Object",
                            "values": [pulumi.Output.concat(args.lake_bucket_arn, "/")],
                        }
                    ],
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs({"trail": self.trail.arn, "bucket": self.bucket.name})
