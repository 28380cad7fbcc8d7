"""Small queries over the resources a synth recorded, and the predicates the checklist tests use.

Every predicate returns a list of problems (empty when the resource complies), so a test can
assert `== []` and a failure names what is wrong; tests/infra/test_security_checklist.py also
calls them on hand-made bad resources to prove they bite.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

from infra.synth import ACCOUNT, MASK, Synth

Resource = dict[str, Any]
Statement = dict[str, Any]

SP_API_ACCOUNT = "437568002678"
SP_API_ROOT = f"arn:aws:iam::{SP_API_ACCOUNT}:root"

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
INVOCATION = "aws:lambda/invocation:Invocation"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
SCHEDULE = "aws:scheduler/schedule:Schedule"
TOPIC = "aws:sns/topic:Topic"
TRAIL = "aws:cloudtrail/trail:Trail"
TABLE = "aws:dynamodb/table:Table"

# What the runtime tests scan executions and logs for (rule 20), plus what an LWA client
# secret or a refresh-token field looks like, for the static scans of env vars and parameters.
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret")
SECRET_LOOKING = (
    *SECRET_MARKERS,
    "clientSecret",
    "amzn1.oa2-cs.",
    "refresh_token",
    "refreshToken",
    "-----BEGIN",
)
LAMBDA_TRANSIENT_ERRORS = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }
)
# "Bounded": Step Functions' default is 3; a Lambda at its reserved concurrency gets 12 (about 8
# minutes at MaxDelaySeconds 60). Beyond 20 a retrier is a typo or a loop.
MAX_RETRY_ATTEMPTS = 20
KEY_ARN = re.compile(r"arn:aws:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}")
# Condition keys that tie a service or cross-account grant to our resources (rule 22).
SCOPING_CONDITION_KEYS = re.compile(
    r"(kms:EncryptionContext:.+|aws:SourceArn|aws:SourceAccount|kms:ViaService)", re.IGNORECASE
)
# Environment variables may only hold names, ids, ARNs, paths and numbers (rule 13).
NAME_OR_ARN = re.compile(r"[A-Za-z0-9_./:@+=,*-]+")


# --- values ----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """`value` with Pulumi's secret wrappers removed (the AWS provider marks some inputs secret,
    e.g. an SSM parameter's `value`; mocks receive them wrapped)."""
    if isinstance(value, Mapping):
        if value.get(_special_sig_key) == _special_secret_sig:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def is_pulumi_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(_special_sig_key) == _special_secret_sig


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar in `value` with the path of keys and indexes leading to it."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from leaves(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, str(index)))
    else:
        yield path, value


def secret_markers(text: str) -> list[str]:
    return [marker for marker in SECRET_MARKERS if marker in text]


def secret_looking(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(plain(value))
    found = [marker for marker in SECRET_LOOKING if marker in text]
    return found + (["[secret]"] if MASK in text else [])


# --- lookups ---------------------------------------------------------------------------------


def by_name(resources: Iterable[Resource]) -> dict[str, Resource]:
    out: dict[str, Resource] = {}
    for resource in resources:
        assert resource["name"] not in out, f"two {resource['type']} named {resource['name']}"
        out[resource["name"]] = resource
    return out


def physical(resource: Resource) -> str:
    return str(resource["inputs"]["name"])


def resource_id(resource: Resource) -> str:
    """The id synth's mocks give a resource, which other resources' inputs refer to."""
    return f"{resource['name']}-id"


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
    return [p for p in synth.of_type(ROLE_POLICY) if p["inputs"]["role"] == resource_id(role)]


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


def protect_flags(source: str, module: str, cls: str) -> list[bool]:
    """For each `<module>.<cls>(...)` call in `source`: whether its opts say `protect=True`.

    Resource options never reach the mocks' inputs, so this reads the program's source."""
    flags = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == cls
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == module
        ):
            continue
        opts = [k.value for k in node.keywords if k.arg == "opts"]
        flags.append(
            any(
                isinstance(o, ast.Call)
                and any(
                    k.arg == "protect"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is True
                    for k in o.keywords
                )
                for o in opts
            )
        )
    return flags


def defined_tests(path: Path) -> set[str]:
    """The test functions a module defines (to check that a runtime test cited still exists)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    }


# --- buckets ---------------------------------------------------------------------------------


def buckets(synth: Synth) -> dict[str, Resource]:
    return {b["name"]: b for b in synth.of_type(BUCKET)}


def bucket_named(synth: Synth, name: str) -> Resource:
    """The Bucket whose physical name is `name` (AWS appends a suffix to `bucketPrefix`)."""
    [match] = [b for b in synth.of_type(BUCKET) if name.startswith(b["inputs"]["bucketPrefix"])]
    return match


def bucket_part(synth: Synth, bucket: Resource, type_: str) -> list[Resource]:
    """The resources of `type_` that configure `bucket` (their `bucket` input is its id)."""
    return [r for r in synth.of_type(type_) if r["inputs"].get("bucket") == resource_id(bucket)]


def public_access_problems(synth: Synth, bucket: Resource) -> list[str]:
    problems: list[str] = []
    blocks = bucket_part(synth, bucket, PUBLIC_ACCESS)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if len(blocks) != 1:
        problems.append(f"{len(blocks)} public access blocks")
    problems += [
        f"{f} is not true" for b in blocks for f in flags if b["inputs"].get(f) is not True
    ]
    ownership = bucket_part(synth, bucket, OWNERSHIP)
    if [o["inputs"].get("rule", {}).get("objectOwnership") for o in ownership] != [
        "BucketOwnerEnforced"
    ]:
        problems.append("object ownership is not BucketOwnerEnforced (ACLs stay enabled)")
    if bucket_part(synth, bucket, BUCKET_ACL) or {"acl", "grants"} & set(bucket["inputs"]):
        problems.append("an ACL is declared")
    for policy_resource in bucket_part(synth, bucket, BUCKET_POLICY):
        problems += [
            f"public Allow: {s.get('Sid')}" for s in statements(policy_resource) if public_allow(s)
        ]
    return problems


def encryption_rules(synth: Synth, bucket: Resource) -> list[dict[str, Any]]:
    return [r for e in bucket_part(synth, bucket, ENCRYPTION) for r in e["inputs"]["rules"]]


def kms_encryption_problems(synth: Synth, bucket: Resource, key: str) -> list[str]:
    rules = encryption_rules(synth, bucket)
    if len(rules) != 1:
        return [f"{len(rules)} default encryption rules"]
    [rule] = rules
    default = rule.get("applyServerSideEncryptionByDefault", {})
    problems = []
    if default.get("sseAlgorithm") != "aws:kms":
        problems.append(f"sseAlgorithm {default.get('sseAlgorithm')!r}, not aws:kms")
    if default.get("kmsMasterKeyId") != key or not KEY_ARN.fullmatch(str(key)):
        problems.append(f"kmsMasterKeyId {default.get('kmsMasterKeyId')!r} is not the key's ARN")
    if rule.get("bucketKeyEnabled") is not True:
        problems.append("bucketKeyEnabled is not true")
    return problems


def tls_only_problems(synth: Synth, bucket: Resource) -> list[str]:
    policies = bucket_part(synth, bucket, BUCKET_POLICY)
    if len(policies) != 1:
        return [f"{len(policies)} bucket policies"]
    prefix = f"arn:aws:s3:::{bucket['inputs']['bucketPrefix']}"
    for statement in statements(policies[0]):
        resources = as_list(statement.get("Resource"))
        arns = [r for r in resources if r.startswith(prefix) and "/" not in r]
        if (
            statement.get("Effect") == "Deny"
            and principals(statement) == ["*"]
            and ({"s3:*", "*"} & set(as_list(statement.get("Action"))))
            and plain(statement.get("Condition", {})).get("Bool", {}).get("aws:SecureTransport")
            in ("false", False)
            and len(arns) == 1
            and f"{arns[0]}/*" in resources
        ):
            return []
    return ["no Deny of s3:* to everyone when aws:SecureTransport is false, on bucket and objects"]


def versioning_problems(synth: Synth, bucket: Resource) -> list[str]:
    problems = []
    status = [
        v["inputs"]["versioningConfiguration"]["status"]
        for v in bucket_part(synth, bucket, VERSIONING)
    ]
    if status != ["Enabled"]:
        problems.append(f"versioning {status}")
    rules = [
        r
        for c in bucket_part(synth, bucket, LIFECYCLE)
        for r in c["inputs"]["rules"]
        if r.get("status") == "Enabled" and not r.get("filter") and not r.get("prefix")
    ]
    aborts = [
        r["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
        for r in rules
        if r.get("abortIncompleteMultipartUpload")
    ]
    if not aborts or min(aborts) > 7:
        problems.append(f"incomplete multipart uploads aborted after {aborts} days, not ≤ 7")
    if not any(r.get("noncurrentVersionExpiration", {}).get("noncurrentDays") for r in rules):
        problems.append("noncurrent versions never expire")
    return problems


# --- policies --------------------------------------------------------------------------------


def policy(resource: Resource, field: str = "policy") -> dict[str, Any]:
    return json.loads(plain(resource["inputs"][field]))


def statements(document_or_resource: Mapping[str, Any]) -> list[Statement]:
    document = (
        policy(document_or_resource)  # type: ignore[arg-type]
        if "inputs" in document_or_resource
        else document_or_resource
    )
    return as_list(document["Statement"])


def actions(statement: Statement) -> list[str]:
    return as_list(statement.get("Action"))


def principals(statement: Statement) -> list[str]:
    """Every principal a statement names; "*" for `"Principal": "*"` or `{"AWS": "*"}`."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    return [p for values in principal.values() for p in as_list(values)]


def public_allow(statement: Statement) -> bool:
    return statement.get("Effect") == "Allow" and "*" in principals(statement)


def wildcard_actions(statement: Statement) -> list[str]:
    """`*`, `svc:*` and NotAction: actions no least-privilege statement grants (rule 15)."""
    found = [a for a in actions(statement) if a == "*" or a.endswith(":*")]
    return found + (["NotAction"] if "NotAction" in statement else [])


def unscoped_actions(statement: Statement, allowed: frozenset[str]) -> list[str]:
    """Actions granted on `Resource: "*"` that are not in `allowed` (rule 15)."""
    if statement.get("Effect") != "Allow":
        return []
    if "*" not in as_list(statement.get("Resource")) and "NotResource" not in statement:
        return []
    return [a for a in actions(statement) if a not in allowed]


def exact_arn_problems(statement: Statement, prefixes: tuple[str, ...]) -> list[str]:
    """kms:… and secretsmanager:GetSecretValue must name exact ARNs, without wildcards."""
    if statement.get("Effect") != "Allow" or not any(
        a.startswith(prefixes) for a in actions(statement)
    ):
        return []
    return [
        r
        for r in as_list(statement.get("Resource"))
        if "*" in r or "?" in r or not r.startswith("arn:aws:")
    ]


def scoping_conditions(statement: Statement) -> list[str]:
    """The condition keys that tie a grant to our resources or account (rule 22)."""
    keys = [k for operator in statement.get("Condition", {}).values() for k in operator]
    return [k for k in keys if SCOPING_CONDITION_KEYS.fullmatch(k)]


def unconditioned_service_grants(statement: Statement, own_account: str) -> bool:
    """An Allow to a service or another account with no scoping condition (rule 22)."""
    if statement.get("Effect") != "Allow":
        return False
    outside = [
        p
        for p in principals(statement)
        if p != f"arn:aws:iam::{own_account}:root"
        and not p.startswith(f"arn:aws:iam::{own_account}:role/")
    ]
    return bool(outside) and not scoping_conditions(statement)


# --- functions -------------------------------------------------------------------------------


def environment_problems(function: Resource) -> list[str]:
    variables = function["inputs"].get("environment", {}).get("variables", {})
    problems = []
    for name, value in variables.items():
        if not name.startswith("SPAPI_LAKE_"):
            problems.append(f"{name}: not a SPAPI_LAKE_ variable")
        if re.search(r"SECRET|TOKEN|PASSWORD|KEY", name) and not re.search(
            r"_(ID|ARN|PREFIX|NAME)$", name
        ):
            problems.append(f"{name}: a secret's value, not its name")
        if (
            is_pulumi_secret(value)
            or not isinstance(value, str)
            or not NAME_OR_ARN.fullmatch(value)
        ):
            problems.append(f"{name}: not a name, ARN or number")
        elif secret_looking(value):
            problems.append(f"{name}: holds {secret_looking(value)}")
    return problems


def permission_problems(permission: Resource) -> list[str]:
    """Rule 14 for one aws.lambda_.Permission: names its source ARN and account, not `*`."""
    inputs = permission["inputs"]
    problems = [f"no {field}" for field in ("sourceArn", "sourceAccount") if not inputs.get(field)]
    if "*" in str(inputs.get("principal", "*")):
        problems.append(f"public principal {inputs.get('principal')!r}")
    return problems


def parameter_problems(parameter: Resource, key: str) -> list[str]:
    """Rule 23: plain String config holds nothing secret-looking; SecureString uses `key`."""
    inputs = parameter["inputs"]
    kind = inputs.get("type")
    if kind in ("String", "StringList"):
        value = plain(inputs.get("value", inputs.get("insecureValue", "")))
        return [f"a {kind} holding {marker}" for marker in secret_looking(value)]
    if kind == "SecureString":
        return [] if inputs.get("keyId") == key else [f"keyId {inputs.get('keyId')!r}, not the key"]
    return [f"unknown type {kind!r}"]


# --- state machines --------------------------------------------------------------------------


def machines(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """A definition and every machine nested in it (Map ItemProcessor/Iterator, Parallel)."""
    yield definition
    for state in definition["States"].values():
        nested = [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]
        for machine in filter(None, nested):
            yield from machines(machine)


def tasks(definition: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, state)
        for machine in machines(definition)
        for name, state in machine["States"].items()
        if state["Type"] == "Task"
    ]


def invoked_function(task: Mapping[str, Any]) -> str | None:
    """The Lambda ARN a task invokes (the optimised integration or a bare function ARN)."""
    resource = str(task.get("Resource", ""))
    if resource.startswith("arn:aws:states:::lambda:invoke"):
        return str(task.get("Parameters", {}).get("FunctionName"))
    return resource if ":lambda:" in resource and ":function:" in resource else None


def task_problems(task: Mapping[str, Any]) -> list[str]:
    """Rule 19 for one task: transient Lambda errors retried with bounded, jittered backoff;
    every retrier bounded; a final Catch of States.ALL that keeps the input; a timeout."""
    problems = []
    retriers = task.get("Retry", [])
    # One retrier or several (throttling may get a budget of its own), each with the backoff.
    lambda_retriers = [
        r for r in retriers if set(r.get("ErrorEquals", [])) & LAMBDA_TRANSIENT_ERRORS
    ]
    retried = {e for r in lambda_retriers for e in r["ErrorEquals"]}
    if not retried >= LAMBDA_TRANSIENT_ERRORS:
        problems.append(f"does not retry {sorted(LAMBDA_TRANSIENT_ERRORS - retried)}")
    for r in lambda_retriers:
        if r.get("BackoffRate", 1.0) < 2:
            problems.append(f"BackoffRate {r.get('BackoffRate')} < 2")
        if r.get("JitterStrategy") != "FULL":
            problems.append(f"JitterStrategy {r.get('JitterStrategy')}, not FULL")
    for r in retriers:
        if not 1 <= r.get("MaxAttempts", 3) <= MAX_RETRY_ATTEMPTS:
            problems.append(f"{r['ErrorEquals']}: MaxAttempts {r.get('MaxAttempts')} unbounded")
        if not r.get("MaxDelaySeconds"):
            problems.append(f"{r['ErrorEquals']}: no MaxDelaySeconds")
    catches = task.get("Catch", [])
    if not catches or catches[-1].get("ErrorEquals") != ["States.ALL"]:
        problems.append("does not end in a Catch of States.ALL")
    elif not str(catches[-1].get("ResultPath") or "").startswith("$."):
        problems.append("its States.ALL Catch does not keep the input (ResultPath $.…)")
    if not isinstance(task.get("TimeoutSeconds"), int) or task["TimeoutSeconds"] <= 0:
        problems.append("no TimeoutSeconds")
    return problems


def definition_strings(value: Any) -> Iterator[str]:
    """Every key and string value in a definition."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from definition_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from definition_strings(v)
    elif isinstance(value, str):
        yield value


# --- schedules -------------------------------------------------------------------------------

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0}


def rate_days(expression: str) -> float | None:
    """How many days apart a `rate(...)` schedule fires; None for any other expression."""
    match = _RATE.fullmatch(expression)
    if not match:
        return None
    return int(match.group(1)) * _DAYS[match.group(2).rstrip("s")]
