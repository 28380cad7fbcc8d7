"""The checklist's rules that relate resources: what each bucket needs beside it, who may touch
the LWA secrets and the rate-limit table, queue and function limits that must agree, and that
everything is encrypted with the stack's own key.

Resources are linked as the engine links them, by property dependencies: a BucketPolicy's
`bucket` came from the Bucket it configures, a RolePolicy's `role` from its Role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policy import rules as r
from policy.documents import (
    SP_API_ROOT,
    Statement,
    actions,
    as_list,
    invoked_function,
    parse_definition,
    principals,
    resources,
    statements,
    tasks,
)

# What adapters/dynamodb_rate_limit.py does to a token bucket: read, create, take.
RATE_LIMIT_ACTIONS = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"})
# Who is told where a resource is may use it; nobody else (wiring/cloud_config.py).
RATE_LIMIT_TABLE_VARIABLE = "SPAPI_LAKE_RATE_LIMIT_TABLE"
LWA_SECRET_VARIABLE = "SPAPI_LAKE_APP_SECRET_ID"
MIN_VISIBILITY_MULTIPLE = 6  # rule 9


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    props: Mapping[str, Any]  # inputs and outputs, as the engine holds them after an update
    deps: Mapping[str, Sequence[str]] = field(default_factory=dict)  # property → URNs
    protect: bool = False


@dataclass(frozen=True)
class Violation:
    urn: str
    message: str


class Stack:
    def __init__(self, members: Iterable[Resource]) -> None:
        self.resources = list(members)
        self._by_urn = {m.urn: m for m in self.resources}

    def of_type(self, type_: str) -> list[Resource]:
        return [m for m in self.resources if m.type == type_]

    def source(self, resource: Resource, prop: str, type_: str) -> list[Resource]:
        """The resources of `type_` that `resource`'s property `prop` came from."""
        found = (self._by_urn.get(urn) for urn in resource.deps.get(prop, ()))
        return [m for m in found if m is not None and m.type == type_]

    def parts(self, target: Resource, type_: str, prop: str = "bucket") -> list[Resource]:
        """The resources of `type_` whose property `prop` came from `target`."""
        return [m for m in self.of_type(type_) if target.urn in m.deps.get(prop, ())]


StackCheck = Callable[[Stack], list[Violation]]


# --- Buckets: rules 1-5 ----------------------------------------------------------------------


def _one(
    stack: Stack, bucket: Resource, type_: str, what: str
) -> tuple[Resource | None, list[str]]:
    found = stack.parts(bucket, type_)
    return (found[0], []) if len(found) == 1 else (None, [f"{len(found)} {what}"])


def receives_access_logs(stack: Stack, bucket: Resource) -> bool:
    return bool(stack.parts(bucket, r.BUCKET_LOGGING, "targetBucket"))


def bucket_public_access_problems(stack: Stack, bucket: Resource) -> list[str]:
    """Rule 1: one public access block with every flag, ACLs disabled and never declared, and
    no public Allow in its policy."""
    block, problems = _one(stack, bucket, r.PUBLIC_ACCESS, "public access blocks")
    problems += r.public_access_block(block.props) if block else []
    owner, missing = _one(stack, bucket, r.OWNERSHIP, "ownership controls")
    problems += missing + (r.ownership(owner.props) if owner else [])
    if stack.parts(bucket, r.BUCKET_ACL):
        problems += r.acl({})
    # (The bucket's own ACL is checked on its inputs: its state lists the owner's grant.)
    for policy in stack.parts(bucket, r.BUCKET_POLICY):
        problems += r.resource_policy(policy.props)
    return problems


def bucket_encryption_problems(stack: Stack, bucket: Resource) -> list[str]:
    """Rule 2: SSE-KMS with a key ARN and a bucket key; SSE-S3 only where S3 delivers access
    logs, which it cannot do to an SSE-KMS bucket."""
    encryption, problems = _one(stack, bucket, r.ENCRYPTION, "default encryption configurations")
    if encryption is None:
        return problems
    problems = r.default_encryption(encryption.props)
    defaults = [
        rule.get("applyServerSideEncryptionByDefault") or {}
        for rule in as_list(encryption.props.get("rules"))
    ]
    sse_s3 = any(default.get("sseAlgorithm") == "AES256" for default in defaults)
    if sse_s3 and not receives_access_logs(stack, bucket):
        problems.append("SSE-S3 on a bucket that receives no access logs")
    return problems


def bucket_tls_problems(stack: Stack, bucket: Resource) -> list[str]:
    """Rule 3: its policy denies requests without TLS on the bucket and its objects."""
    policy, problems = _one(stack, bucket, r.BUCKET_POLICY, "bucket policies")
    if policy is not None and bucket.props["arn"] not in r.tls_only_arns(policy.props):
        problems.append("no Deny of requests without TLS on this bucket and its objects")
    return problems


def bucket_versioning_problems(stack: Stack, bucket: Resource) -> list[str]:
    """Rule 4: versioning Enabled; a lifecycle that aborts uploads and expires old versions."""
    versioning, problems = _one(stack, bucket, r.VERSIONING, "versioning configurations")
    problems += r.versioning(versioning.props) if versioning else []
    lifecycle, missing = _one(stack, bucket, r.LIFECYCLE, "lifecycle configurations")
    return problems + missing + (r.lifecycle(lifecycle.props) if lifecycle else [])


def bucket_logging_problems(stack: Stack, bucket: Resource) -> list[str]:
    """Rule 5: every bucket but the access-log bucket logs its access to another bucket."""
    if receives_access_logs(stack, bucket):
        return [] if not stack.parts(bucket, r.BUCKET_LOGGING) else ["logs into a log bucket"]
    loggings = stack.parts(bucket, r.BUCKET_LOGGING)
    targets = [t for g in loggings for t in stack.source(g, "targetBucket", r.BUCKET)]
    if len(loggings) != 1 or len(targets) != 1 or targets[0] is bucket:
        return ["does not log its access to a separate bucket"]
    return []


BUCKET_CHECKS = (
    bucket_public_access_problems,
    bucket_encryption_problems,
    bucket_tls_problems,
    bucket_versioning_problems,
    bucket_logging_problems,
)


def buckets(stack: Stack) -> list[Violation]:
    return [
        Violation(bucket.urn, problem)
        for bucket in stack.of_type(r.BUCKET)
        for check in BUCKET_CHECKS
        for problem in check(stack, bucket)
    ]


# --- One key per stack: rules 2, 6, 13, 18, 21-25 and the table ------------------------------

# Where each type names the key it encrypts with.
_KEY_PATHS: Mapping[str, tuple[str, ...]] = {
    r.ENCRYPTION: ("rules", "0", "applyServerSideEncryptionByDefault", "kmsMasterKeyId"),
    r.QUEUE: ("kmsMasterKeyId",),
    r.FUNCTION: ("kmsKeyArn",),
    r.LOG_GROUP: ("kmsKeyId",),
    r.SECRET: ("kmsKeyId",),
    r.STATE_MACHINE: ("encryptionConfiguration", "kmsKeyId"),
    r.TRAIL: ("kmsKeyId",),
    r.TABLE: ("serverSideEncryption", "kmsKeyArn"),
    r.SSM_PARAMETER: ("keyId",),
    r.WORKGROUP: ("configuration", "resultConfiguration", "encryptionConfiguration", "kmsKeyArn"),
    r.CATALOG_ENCRYPTION: ("dataCatalogEncryptionSettings", "encryptionAtRest", "sseAwsKmsKeyId"),
    "aws:sns/topic:Topic": ("kmsMasterKeyId",),
}


def _at(value: Any, path: Sequence[str]) -> Any:
    for step in path:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif step.isdigit() and len(as_list(value)) > int(step):
            value = as_list(value)[int(step)]
        else:
            return None
    return value


def stack_key(stack: Stack) -> list[Violation]:
    """Whatever names a key names the one this stack declares (SSE-S3 and String parameters,
    which name none, are left to their own rules)."""
    keys = {k.props["arn"] for k in stack.of_type(r.KEY)}
    out = [] if len(keys) == 1 else [Violation("", f"{len(keys)} KMS keys, not one per stack")]
    for type_, path in _KEY_PATHS.items():
        for member in stack.of_type(type_):
            named = _at(member.props, path)
            if named and named not in keys:
                out.append(Violation(member.urn, f"encrypted with {named!r}, not the stack key"))
    return out


def sp_api_key_grant(stack: Stack) -> list[Violation]:
    """Rule 6: SP-API may use the key for the queues it may send to, and for nothing else."""
    senders = {
        q.urn
        for p in stack.of_type(r.QUEUE_POLICY)
        if any(SP_API_ROOT in principals(s) for s in statements(p.props["policy"]))
        for q in stack.source(p, "queueUrl", r.QUEUE)
    }
    queue_arns = {q.props["arn"] for q in stack.of_type(r.QUEUE) if q.urn in senders}
    out = []
    for key in stack.of_type(r.KEY):
        for s in statements(key.props["policy"]):
            if SP_API_ROOT not in principals(s):
                continue
            context = (s.get("Condition") or {}).get("StringEquals") or {}
            if set(as_list(context.get("kms:EncryptionContext:aws:sqs:arn"))) - queue_arns:
                out.append(Violation(key.urn, "SP-API may use the key beyond its queue"))
            if not set(actions(s)) <= {"kms:GenerateDataKey", "kms:Decrypt"}:
                out.append(Violation(key.urn, f"SP-API may {actions(s)}"))
            queue_arns -= set(as_list(context.get("kms:EncryptionContext:aws:sqs:arn")))
    return out + [Violation("", f"SP-API cannot encrypt for {arn}") for arn in sorted(queue_arns)]


# --- Queue and functions: rules 8-10, 15, 19 -------------------------------------------------


def queues(stack: Stack) -> list[Violation]:
    """Rules 8-10: a longer-lived DLQ with an alarm on its depth; a visibility timeout of six
    times the consumer's; the mapping's concurrency within the consumer's reserved."""
    out = []
    alarmed = {
        str((a.props.get("dimensions") or {}).get("QueueName"))
        for a in stack.of_type(r.ALARM)
        if a.props.get("metricName") == "ApproximateNumberOfMessagesVisible"
        and a.props.get("threshold") == 0
    }
    for queue in stack.of_type(r.QUEUE):
        for dlq in stack.source(queue, "redrivePolicy", r.QUEUE):
            if dlq.props.get("messageRetentionSeconds", 345600) <= queue.props.get(
                "messageRetentionSeconds", 345600
            ):
                out.append(Violation(dlq.urn, "the DLQ forgets messages before its queue does"))
            if dlq.props.get("name") not in alarmed:
                out.append(Violation(dlq.urn, "no alarm on the DLQ's depth"))
    for mapping in stack.of_type(r.EVENT_SOURCE_MAPPING):
        consumers = stack.source(mapping, "functionName", r.FUNCTION)
        for queue in stack.source(mapping, "eventSourceArn", r.QUEUE):
            for consumer in consumers:
                timeout = MIN_VISIBILITY_MULTIPLE * (consumer.props.get("timeout") or 3)
                if queue.props.get("visibilityTimeoutSeconds", 30) < timeout:
                    out.append(Violation(queue.urn, f"visibility timeout under {timeout} s"))
        maximum = (mapping.props.get("scalingConfig") or {}).get("maximumConcurrency") or 0
        for consumer in consumers:
            if maximum > (consumer.props.get("reservedConcurrentExecutions") or 0):
                out.append(Violation(mapping.urn, "maximumConcurrency above reserved concurrency"))
    return out


def _role_functions(stack: Stack) -> dict[str, list[Resource]]:
    by_role: dict[str, list[Resource]] = {}
    for function in stack.of_type(r.FUNCTION):
        for role in stack.source(function, "role", r.ROLE):
            by_role.setdefault(role.urn, []).append(function)
    return by_role


def _variables(function: Resource) -> Mapping[str, Any]:
    return (function.props.get("environment") or {}).get("variables") or {}


def functions(stack: Stack) -> list[Violation]:
    """Rule 15: one role per function; only the functions told the LWA secrets' ids read
    secrets; only those told the rate-limit table's name touch it, and only its items.
    Rule 19: every task outlives the function it invokes."""
    out = []
    by_role = _role_functions(stack)
    out += [
        Violation(urn, "shared by " + ", ".join(f.name for f in shared))
        for urn, shared in by_role.items()
        if len(shared) > 1
    ]
    tables = {t.props["name"]: t.props["arn"] for t in stack.of_type(r.TABLE)}
    for policy in stack.of_type(r.ROLE_POLICY):
        users = [
            f for role in stack.source(policy, "role", r.ROLE) for f in by_role.get(role.urn, [])
        ]
        for s in statements(policy.props["policy"]):
            out += [Violation(policy.urn, f"{s.get('Sid')}: {p}") for p in _grant(s, users, tables)]
    timeouts = {f.props.get("arn"): f.props.get("timeout") or 3 for f in stack.of_type(r.FUNCTION)}
    for machine in stack.of_type(r.STATE_MACHINE):
        for name, task in tasks(parse_definition(machine.props["definition"])):
            arn = invoked_function(task)
            if arn in timeouts and not timeouts[arn] < task.get("TimeoutSeconds", 0):
                out.append(Violation(machine.urn, f"{name}: times out before its function"))
    return out


def _grant(s: Statement, users: list[Resource], tables: Mapping[str, str]) -> list[str]:
    granted = set(actions(s))
    told = {_variables(f).get(RATE_LIMIT_TABLE_VARIABLE) for f in users}
    arns = {tables.get(str(name)) for name in told}
    problems = []
    if "secretsmanager:GetSecretValue" in granted and not (
        users and all(LWA_SECRET_VARIABLE in _variables(f) for f in users)
    ):
        problems.append("reads secrets without being told of them")
    if any(a.startswith("dynamodb:") for a in granted):
        if not users or None in arns or len(arns) != 1:
            problems.append("uses DynamoDB, but its function is not told the rate-limit table")
        elif not granted <= RATE_LIMIT_ACTIONS or resources(s) != list(arns):
            problems.append(f"may do more than {sorted(RATE_LIMIT_ACTIONS)} on the table's ARN")
    return problems


# --- Athena: rule 4 for query results -------------------------------------------------------


def athena_results(stack: Stack) -> list[Violation]:
    """Each workgroup writes its results into a bucket of this stack (so rules 1-5 hold for
    them) whose lifecycle expires them."""
    out = []
    for group in stack.of_type(r.WORKGROUP):
        location = str(_at(group.props, _RESULTS) or "")
        name, _, prefix = location.removeprefix("s3://").partition("/")
        buckets = [b for b in stack.of_type(r.BUCKET) if b.props.get("bucket") == name]
        if not location.startswith("s3://") or len(buckets) != 1:
            out.append(Violation(group.urn, f"results go to {location!r}, not a stack bucket"))
        elif not any(
            prefix.startswith(_rule_prefix(rule)) and (rule.get("expiration") or {}).get("days")
            for lifecycle in stack.parts(buckets[0], r.LIFECYCLE)
            for rule in as_list(lifecycle.props.get("rules"))
            if rule.get("status") == "Enabled"
        ):
            out.append(Violation(group.urn, f"query results under {location} never expire"))
    return out


_RESULTS = ("configuration", "resultConfiguration", "outputLocation")


def _rule_prefix(rule: Mapping[str, Any]) -> str:
    return str((rule.get("filter") or {}).get("prefix") or rule.get("prefix") or "")


def protected(stack: Stack) -> list[Violation]:
    """Rule 22 and the table: `protect=True`, so `pulumi destroy` stops before them."""
    return [
        Violation(m.urn, "not protected (ResourceOptions(protect=True))")
        for m in stack.resources
        if m.type in r.PROTECTED_TYPES and not m.protect
    ]
