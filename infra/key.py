"""The stack's customer-managed KMS key, with the service grants SP-API and AWS services need."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam import SP_API_ACCOUNT, Statement, document, root

# Data-key actions for services that encrypt with the key on our behalf.
_ENVELOPE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]


@dataclass(frozen=True)
class StackKeyArgs:
    prefix: str
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    queue_arn: pulumi.Input[str]  # the notification queue's ARN, known before the queue exists
    trail_arn: pulumi.Input[str] | None
    log_group_patterns: list[pulumi.Input[str]]
    deletion_window_days: int = 30


class StackKey(pulumi.ComponentResource):
    """One key per stack: S3, SQS, DynamoDB, logs, secrets, SSM, state machines, sealed tokens.

    The account's IAM administers it, so the roles' policies decide who uses it, and how
    (through which service); only services acting for themselves need a statement here."""

    def __init__(
        self, name: str, args: StackKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:security:StackKey", name, None, opts)
        account = args.account_id
        statements: list[Statement] = [
            {
                # Without it nobody, not even the account's admins, could manage the key.
                "Sid": "AccountAdministersTheKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": root(account)},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "SellingPartnerApiSendsEncryptedNotifications",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SP_API_ACCOUNT}:root"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:EncryptionContext:aws:sqs:arn": args.queue_arn}
                },
            },
            {
                "Sid": "CloudWatchLogsEncryptsOurLogGroups",
                "Effect": "Allow",
                "Principal": {
                    "Service": pulumi.Output.concat("logs.", args.region, ".amazonaws.com")
                },
                "Action": [*_ENVELOPE, "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": args.log_group_patterns}
                },
            },
            {
                "Sid": "StepFunctionsLogDeliveryReadsEncryptedLogs",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "CloudWatchAlarmsPublishToTheEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": pulumi.Output.concat(
                            "arn:aws:cloudwatch:",
                            args.region,
                            ":",
                            account,
                            ":alarm:",
                            args.prefix,
                            "-*",
                        )
                    },
                },
            },
        ]
        if args.trail_arn is not None:
            statements += _trail_statements(account, args.trail_arn)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.prefix}: lake objects, queue, logs, secrets, sealed tokens",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            policy=document(*statements),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.prefix}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.key.arn, "alias": self.alias.name})


def _trail_statements(account: pulumi.Input[str], trail_arn: pulumi.Input[str]) -> list[Statement]:
    source = {"StringEquals": {"aws:SourceArn": trail_arn}}
    return [
        {
            "Sid": "CloudTrailEncryptsItsLogFiles",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                **source,
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                        "arn:aws:cloudtrail:*:", account, ":trail/*"
                    )
                },
            },
        },
        {
            "Sid": "CloudTrailDescribesTheKey",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": source,
        },
    ]
