"""Small queries over the resources a synth recorded, and the checklist's rules applied to them.

The rules themselves live in policy/ (documents, rules, stack_rules): the policy pack runs them
in `pulumi preview --policy-pack policy`, and these helpers run the very same functions on what
each committed stack declares. Every check returns a list of problems (empty when the resource
complies), so a test can assert `== []` and a failure names what is wrong.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

from infra.synth import ACCOUNT, Synth
from policy import rules, stack_rules
from policy.documents import (
    KEY_ARN,
    LAMBDA_TRANSIENT_ERRORS,
    SP_API_ROOT,
    Statement,
    actions,
    as_list,
    definition_strings,
    document,
    exact_arn_problems,
    invoked_function,
    leaves,
    principals,
    public_allow,
    scoping_conditions,
    secret_looking,
    secret_markers,
    task_problems,
    tasks,
    unconditioned_service_grants,
    unscoped_actions,
    wildcard_actions,
)
from policy.documents import statements as document_statements
from policy.rules import (
    ALARM,
    BUCKET,
    BUCKET_LOGGING,
    BUCKET_POLICY,
    ENCRYPTION,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    KEY,
    LIFECYCLE,
    LOG_GROUP,
    OWNERSHIP,
    PERMISSION,
    PUBLIC_ACCESS,
    QUEUE,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    SECRET,
    SECRET_POLICY,
    SECRET_VERSION,
    SSM_PARAMETER,
    STATE_MACHINE,
    TABLE,
    TRAIL,
    UNSCOPABLE,
    VERSIONING,
)

__all__ = [  # the vocabulary tests use through `q.`, from policy/
    "ALARM",
    "BUCKET",
    "BUCKET_LOGGING",
    "BUCKET_POLICY",
    "ENCRYPTION",
    "EVENT_SOURCE_MAPPING",
    "FUNCTION",
    "KEY",
    "KEY_ARN",
    "LAMBDA_TRANSIENT_ERRORS",
    "LIFECYCLE",
    "LOG_GROUP",
    "OWNERSHIP",
    "PERMISSION",
    "PUBLIC_ACCESS",
    "QUEUE",
    "QUEUE_POLICY",
    "ROLE",
    "ROLE_POLICY",
    "SECRET",
    "SECRET_POLICY",
    "SECRET_VERSION",
    "SP_API_ROOT",
    "SSM_PARAMETER",
    "STATE_MACHINE",
    "TABLE",
    "TRAIL",
    "UNSCOPABLE",
    "VERSIONING",
    "Statement",
    "actions",
    "as_list",
    "definition_strings",
    "exact_arn_problems",
    "invoked_function",
    "leaves",
    "principals",
    "public_allow",
    "scoping_conditions",
    "secret_looking",
    "secret_markers",
    "task_problems",
    "tasks",
    "unconditioned_service_grants",
    "unscoped_actions",
    "wildcard_actions",
]

Resource = dict[str, Any]
# Every state machine of a stack, by the name it carries after `spapi-lake-<stack>-`.
MACHINES = ("request-reports", "ingest-report", "request-queries", "ingest-query")
INVOCATION = "aws:lambda/invocation:Invocation"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SCHEDULE = "aws:scheduler/schedule:Schedule"
TOPIC = "aws:sns/topic:Topic"


# --- values ----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """`value` with Pulumi's secret wrappers removed (the AWS provider marks some inputs secret,
    e.g. an SSM parameter's `value`; mocks receive them wrapped, a policy pack unwrapped)."""
    if isinstance(value, Mapping):
        if value.get(_special_sig_key) == _special_secret_sig:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def is_pulumi_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(_special_sig_key) == _special_secret_sig


# --- the engine's view: what the policy pack's stack policies see -----------------------------


def member(synth: Synth, resource: Resource) -> stack_rules.Resource:
    """A recorded resource as the engine describes it after an update: inputs and outputs,
    the resources each property came from, and whether it is protected."""
    registration = synth.registrations[(resource["type"], resource["name"])]
    return stack_rules.Resource(
        urn=registration.urn,
        type=resource["type"],
        name=resource["name"],
        props=plain({**resource["inputs"], **registration.outputs}),
        deps=registration.property_dependencies,
        protect=registration.protect,
    )


def stack(synth: Synth) -> stack_rules.Stack:
    return stack_rules.Stack(member(synth, r) for r in synth.resources)


# --- lookups ---------------------------------------------------------------------------------


def by_name(resources: Iterable[Resource]) -> dict[str, Resource]:
    out: dict[str, Resource] = {}
    for resource in resources:
        assert resource["name"] not in out, f"two {resource['type']} named {resource['name']}"
        out[resource["name"]] = resource
    return out


def physical(resource: Resource) -> str:
    return str(resource["inputs"]["name"])


def key(synth: Synth) -> Resource:
    [only] = synth.of_type(KEY)
    return only


def key_arn(synth: Synth) -> str:
    """The stack key's full ARN, from the key id its alias targets (never the alias itself)."""
    [alias] = synth.of_type("aws:kms/alias:Alias")
    return f"arn:aws:kms:{synth.region}:{ACCOUNT}:key/{alias['inputs']['targetKeyId']}"


def functions(synth: Synth) -> dict[str, Resource]:
    """Each Lambda function by handler (`handlers.<handler>.lambda_handler`)."""
    out: dict[str, Resource] = {}
    for function in synth.of_type(FUNCTION):
        match = re.fullmatch(r"handlers\.(\w+)\.lambda_handler", function["inputs"]["handler"])
        assert match, f"{function['name']}: unexpected handler {function['inputs']['handler']}"
        out[match.group(1)] = function
    return out


def function_arn(synth: Synth, function: Resource) -> str:
    return f"arn:aws:lambda:{synth.region}:{ACCOUNT}:function:{physical(function)}"


def function_by_arn(synth: Synth, arn: str) -> Resource:
    [match] = [f for f in synth.of_type(FUNCTION) if function_arn(synth, f) == arn]
    return match


def role_arn(role: Resource) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{physical(role)}"


def role_by_arn(synth: Synth, arn: str) -> Resource:
    [match] = [r for r in synth.of_type(ROLE) if role_arn(r) == arn]
    return match


def role_policies(synth: Synth, role: Resource) -> list[Resource]:
    """The inline policies whose `role` came from `role` (the engine's property dependency)."""
    urn = synth.registrations[(role["type"], role["name"])].urn
    return [
        p
        for p in synth.of_type(ROLE_POLICY)
        if urn in synth.registrations[(p["type"], p["name"])].property_dependencies["role"]
    ]


def role_statements(synth: Synth, role: Resource) -> list[Statement]:
    return [s for p in role_policies(synth, role) for s in statements(p)]


def function_role(synth: Synth, function: Resource) -> Resource:
    return role_by_arn(synth, function["inputs"]["role"])


def state_machine_arn(synth: Synth, machine: Resource) -> str:
    return f"arn:aws:states:{synth.region}:{ACCOUNT}:stateMachine:{physical(machine)}"


def log_group_arn(synth: Synth, group: Resource) -> str:
    return f"arn:aws:logs:{synth.region}:{ACCOUNT}:log-group:{physical(group)}"


def log_group_named(synth: Synth, name: str) -> Resource:
    [match] = [g for g in synth.of_type(LOG_GROUP) if physical(g) == name]
    return match


def log_group_of_arn(synth: Synth, arn: str) -> Resource:
    """The declared log group an ARN (`…:log-group:<name>` or `…:log-group:<name>:*`) names."""
    match = re.fullmatch(r"arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(:\*)?", arn)
    assert match, f"not a log group ARN: {arn}"
    return log_group_named(synth, match.group(1))


def queue_arn(synth: Synth, queue: Resource) -> str:
    return f"arn:aws:sqs:{synth.region}:{ACCOUNT}:{physical(queue)}"


def queues(synth: Synth) -> tuple[Resource, Resource]:
    """(notification queue, its dead-letter queue), told apart by the redrive policy."""
    [main] = [q for q in synth.of_type(QUEUE) if q["inputs"].get("redrivePolicy")]
    target = json.loads(main["inputs"]["redrivePolicy"])["deadLetterTargetArn"]
    [dlq] = [q for q in synth.of_type(QUEUE) if queue_arn(synth, q) == target]
    return main, dlq


def topic_arn(synth: Synth, topic: Resource) -> str:
    return f"arn:aws:sns:{synth.region}:{ACCOUNT}:{physical(topic)}"


def secret_arn_pattern(secret: Resource) -> re.Pattern[str]:
    # Secrets Manager appends a dash and six random characters to a secret's name.
    return re.compile(
        rf"arn:aws:secretsmanager:[a-z0-9-]+:\d{{12}}:secret:{re.escape(physical(secret))}-\w{{6}}"
    )


def configured(config: Mapping[str, str], name: str, default: Any) -> Any:
    """A `spapi-lake:` option as the stack file wrote it (stack_config hands over strings)."""
    value = config.get(f"spapi-lake:{name}")
    return default if value is None else yaml.safe_load(value)


def protected(synth: Synth, resource: Resource) -> bool:
    """`protect=True`, as the engine registered it (resource options never reach the inputs)."""
    return synth.registrations[(resource["type"], resource["name"])].protect


def defined_tests(path: Path) -> set[str]:
    """The test functions a module defines (to check that a runtime test cited still exists)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    }


# --- buckets: policy/stack_rules.py's checks of each bucket and the parts beside it -----------


def buckets(synth: Synth) -> dict[str, Resource]:
    return {b["name"]: b for b in synth.of_type(BUCKET)}


def bucket_named(synth: Synth, name: str) -> Resource:
    """The Bucket whose physical name is `name` (AWS appends a suffix to `bucketPrefix`)."""
    [match] = [b for b in synth.of_type(BUCKET) if name.startswith(b["inputs"]["bucketPrefix"])]
    return match


def bucket_part(synth: Synth, bucket: Resource, type_: str) -> list[Resource]:
    """The resources of `type_` that configure `bucket` (their `bucket` came from it)."""
    urns = {m.urn for m in stack(synth).parts(member(synth, bucket), type_)}
    return [
        r for r in synth.of_type(type_) if synth.registrations[(r["type"], r["name"])].urn in urns
    ]


def public_access_problems(synth: Synth, bucket: Resource) -> list[str]:
    problems = rules.bucket(plain(bucket["inputs"]))  # as declared: no ACL, no grants
    return problems + stack_rules.bucket_public_access_problems(stack(synth), member(synth, bucket))


def encryption_problems(synth: Synth, bucket: Resource) -> list[str]:
    return stack_rules.bucket_encryption_problems(stack(synth), member(synth, bucket))


def tls_only_problems(synth: Synth, bucket: Resource) -> list[str]:
    return stack_rules.bucket_tls_problems(stack(synth), member(synth, bucket))


def versioning_problems(synth: Synth, bucket: Resource) -> list[str]:
    return stack_rules.bucket_versioning_problems(stack(synth), member(synth, bucket))


def logging_problems(synth: Synth, bucket: Resource) -> list[str]:
    return stack_rules.bucket_logging_problems(stack(synth), member(synth, bucket))


def encryption_rules(synth: Synth, bucket: Resource) -> list[dict[str, Any]]:
    return [r for e in bucket_part(synth, bucket, ENCRYPTION) for r in e["inputs"]["rules"]]


# --- policies and single resources: policy/rules.py ------------------------------------------


def policy(resource: Resource, field: str = "policy") -> dict[str, Any]:
    return document(plain(resource["inputs"][field]))


def statements(document_or_resource: Mapping[str, Any]) -> list[Statement]:
    """A resource's policy statements, or a parsed document's."""
    if "inputs" in document_or_resource:
        return document_statements(plain(document_or_resource["inputs"]["policy"]))
    return document_statements(document_or_resource)


def environment_problems(function: Resource) -> list[str]:
    return rules.environment(plain(function["inputs"]))


def permission_problems(permission: Resource) -> list[str]:
    return rules.permission(plain(permission["inputs"]))


def parameter_problems(parameter: Resource) -> list[str]:
    return rules.parameter(plain(parameter["inputs"]))


# --- schedules -------------------------------------------------------------------------------

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0}


def rate_days(expression: str) -> float | None:
    """How many days apart a `rate(...)` schedule fires; None for any other expression."""
    match = _RATE.fullmatch(expression)
    if not match:
        return None
    return int(match.group(1)) * _DAYS[match.group(2).rstrip("s")]
