"""IAM policy documents as dicts: statements, trust policies, and the account's principals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = dict[str, Any]
# SP-API's notification sender: the only outside principal our queue and key trust.
SP_API_ACCOUNT = "437568002678"


def allow(
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    sid: str | None = None,
    condition: dict[str, Any] | None = None,
) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def document(*statements: Statement) -> pulumi.Output[str]:
    """The JSON policy, once every ARN inside it is known."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str, account_id: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    """A role only `service` may assume, and (when given) only on behalf of this account."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id}}
    return document(statement)


def root(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":root")


def service_role(
    resource_name: str,
    role_name: str,
    service: str,
    statements: Sequence[Statement],
    opts: pulumi.ResourceOptions,
    account_id: pulumi.Input[str] | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role `service` assumes, with one inline policy: `<resource_name>-role` and `-policy`."""
    role = aws.iam.Role(
        f"{resource_name}-role",
        name=role_name,
        assume_role_policy=trust(service, account_id),
        opts=opts,
    )
    policy = aws.iam.RolePolicy(
        f"{resource_name}-policy", role=role.id, policy=document(*statements), opts=opts
    )
    return role, policy


def encrypted_log_group(
    resource_name: str,
    group_name: str,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """Created before its writer, so retention and the stack key apply from the first line."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        opts=opts,
    )
