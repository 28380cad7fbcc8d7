"""IAM policy documents as dicts: statements, trust policies, and the account's principals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

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
