"""The policy pack (policy/), run as the engine would run it on each committed stack: every
policy passes, each is mandatory, a broken resource is reported, and the pack starts."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from infra.synth import ROOT, Synth
from policy import pack
from policy.catalog import RULES, STACK_RULES
from tests.infra import resources as q

Found = tuple[str, str, str]  # (policy, resource name or "", message)


def _opts(synth: Synth, resource: q.Resource) -> PolicyResourceOptions:
    registration = synth.registrations[(resource["type"], resource["name"])]
    timeouts = PolicyCustomTimeouts(0, 0, 0)
    return PolicyResourceOptions(registration.protect, [], None, [], timeouts, [], None)


def resource_args(synth: Synth) -> list[ResourceValidationArgs]:
    """What `pulumi up` asks of each resource before creating it: its inputs."""
    return [
        ResourceValidationArgs(
            r["type"],
            unknown_checking_proxy(q.plain(r["inputs"])),
            synth.registrations[(r["type"], r["name"])].urn,
            r["name"],
            _opts(synth, r),
            None,
        )
        for r in synth.resources
    ]


def stack_args(synth: Synth) -> StackValidationArgs:
    """What it asks of the stack once every resource exists: state and dependencies."""
    by_urn = {}
    for r in synth.resources:
        member = q.member(synth, r)
        by_urn[member.urn] = PolicyResource(
            r["type"],
            unknown_checking_proxy(dict(member.props)),
            member.urn,
            r["name"],
            _opts(synth, r),
            None,
            None,
            [],
            {},
        )
    for r in synth.resources:
        registration = synth.registrations[(r["type"], r["name"])]
        by_urn[registration.urn].property_dependencies = {
            prop: [by_urn[urn] for urn in urns if urn in by_urn]
            for prop, urns in registration.property_dependencies.items()
        }
    return StackValidationArgs(list(by_urn.values()))


def violations(synth: Synth) -> list[Found]:
    """Every violation the pack reports: (policy, resource name, message)."""
    names = {synth.registrations[(r["type"], r["name"])].urn: r["name"] for r in synth.resources}
    found: list[Found] = []
    stack = stack_args(synth)
    for policy in pack.policies():
        if isinstance(policy, ResourceValidationPolicy):
            for args in resource_args(synth):
                policy.validate(
                    args,
                    lambda message, _urn=None, p=policy.name, n=args.name: found.append(
                        (p, n, message)
                    ),
                )
        else:
            assert isinstance(policy, StackValidationPolicy)
            policy.validate(
                stack,
                lambda message, urn=None, p=policy.name: found.append(
                    (p, names.get(urn or "", ""), message)
                ),
            )
    return found


def doctored(synth: Synth, type_: str, name: str, change: Callable[[dict[str, Any]], Any]) -> Synth:
    """`synth` with one resource's inputs changed in place by `change`."""
    resources = copy.deepcopy(synth.resources)
    [target] = [r for r in resources if (r["type"], r["name"]) == (type_, name)]
    change(target["inputs"])
    return Synth(synth.stack, synth.region, resources, dict(synth.registrations))


def test_the_pack_finds_nothing_wrong_with_any_committed_stack(synth):
    assert violations(synth) == []


def test_the_pack_enforces_every_rule_of_the_catalog_and_each_is_mandatory():
    policies = pack.policies()
    assert [p.name for p in policies] == [r.name for r in (*RULES, *STACK_RULES)]
    assert len({p.name for p in policies}) == len(policies)
    assert pack.ENFORCEMENT is EnforcementLevel.MANDATORY
    assert all(p.enforcement_level in (None, EnforcementLevel.MANDATORY) for p in policies)


def _drop_table_encryption(inputs: dict[str, Any]) -> None:
    inputs["serverSideEncryption"] = {"enabled": False}
    inputs["pointInTimeRecovery"] = {"enabled": False}


def _sse_s3(inputs: dict[str, Any]) -> None:
    inputs["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


def _alias(inputs: dict[str, Any]) -> None:
    default = inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    default["kmsMasterKeyId"] = "alias/aws/s3"


def _grant(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        policy = json.loads(inputs["policy"])
        policy["Statement"].append(statement)
        inputs["policy"] = json.dumps(policy)

    return change


TABLE = ("aws:dynamodb/table:Table", "rate-limits-table")
LAKE_SSE = (q.ENCRYPTION, "lake-lake-encryption")
STORE_POLICY = (q.ROLE_POLICY, "functions-store_report-policy")
ALIAS = "'alias/aws/s3'"
SNEAK = {"Sid": "Sneak", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
# case → (type, name, change, what the pack reports: (policy, resource, message))
BROKEN = {
    "an unencrypted table without recovery": (
        *TABLE,
        _drop_table_encryption,
        {
            ("dynamodb-cmk-pitr-protected", TABLE[1], "not encrypted with our key"),
            ("dynamodb-cmk-pitr-protected", TABLE[1], "kmsKeyArn None is not a key's ARN"),
            ("dynamodb-cmk-pitr-protected", TABLE[1], "no point-in-time recovery"),
        },
    ),
    "the lake bucket without SSE-KMS": (
        *LAKE_SSE,
        _sse_s3,
        {("s3-buckets-complete", "lake-lake", "SSE-S3 on a bucket that receives no access logs")},
    ),
    "the lake bucket under an AWS managed key": (
        *LAKE_SSE,
        _alias,
        {
            ("s3-sse-kms", LAKE_SSE[1], f"kmsMasterKeyId {ALIAS} is not a key's ARN"),
            ("s3-buckets-complete", "lake-lake", f"kmsMasterKeyId {ALIAS} is not a key's ARN"),
            ("one-stack-key", LAKE_SSE[1], f"encrypted with {ALIAS}, not the stack key"),
        },
    ),
    "store_report reading the table with a wildcard": (
        *STORE_POLICY,
        _grant(SNEAK),
        {
            ("iam-least-privilege", STORE_POLICY[1], "Sneak: wildcard action dynamodb:*"),
            ("iam-least-privilege", STORE_POLICY[1], "Sneak: dynamodb:* on Resource *"),
            ("iam-least-privilege", STORE_POLICY[1], "Sneak: * is not an exact ARN"),
            (
                "functions-least-privilege",
                STORE_POLICY[1],
                "Sneak: uses DynamoDB, but its function is not told the rate-limit table",
            ),
        },
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_pack_reports_a_broken_resource(synths, case):
    type_, name, change, expected = BROKEN[case]
    assert set(violations(doctored(synths["dev"], type_, name, change))) == expected


def test_the_pack_reports_a_sp_api_caller_scanning_the_table(synths):
    synth = synths["dev"]
    [table] = synth.of_type(TABLE[0])
    arn = synth.registrations[(table["type"], table["name"])].outputs["arn"]
    scan = {"Sid": "Scan", "Effect": "Allow", "Action": "dynamodb:Scan", "Resource": arn}
    found = violations(
        doctored(synth, q.ROLE_POLICY, "functions-create_report-policy", _grant(scan))
    )
    assert found == [
        (
            "functions-least-privilege",
            "functions-create_report-policy",
            "Scan: may do more than ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']"
            " on the table's ARN",
        )
    ]


def test_the_pack_reports_an_unprotected_key(synths):
    synth = synths["dev"]
    [key] = synth.of_type(q.KEY)
    where = (key["type"], key["name"])
    registrations = {
        **synth.registrations,
        where: dataclasses.replace(synth.registrations[where], protect=False),
    }
    unprotected = Synth(synth.stack, synth.region, synth.resources, registrations)
    assert violations(unprotected) == [
        ("protected", key["name"], "not protected (ResourceOptions(protect=True))")
    ]


def test_the_pack_starts_as_pulumi_runs_it():
    """`pulumi preview --policy-pack policy` runs the directory with pulumi.policy, which
    prints the port its analyzer listens on."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and pack
        [sys.executable, "-m", "pulumi.policy", "127.0.0.1:0", str(ROOT / "policy")],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else ""
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("module", ["documents", "rules", "stack_rules", "catalog"])
def test_the_rules_need_nothing_but_the_standard_library(module):
    """So any Python can run them: the pack's runtime, tests, or a CI job without Pulumi."""
    tree = ast.parse((ROOT / "policy" / f"{module}.py").read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert imported - {"policy", "__future__"} <= sys.stdlib_module_names
