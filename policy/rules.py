"""The security checklist (shared/security-checklist.md), rule by rule, on one resource at a time.

Each check takes a resource's properties as the Pulumi engine holds them (camelCase; policies
and definitions as JSON text) and returns its problems, empty when the resource complies. The
policy pack (policy/pack.py) reports them as violations; tests/infra runs the very same checks
on every committed stack. Rules that relate resources to each other are in stack_rules.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policy.documents import (
    KEY_ARN,
    SP_API_ROOT,
    actions,
    as_list,
    document,
    exact_arn_problems,
    leaves,
    parse_definition,
    principals,
    public_allow,
    scoping_conditions,
    secret_looking,
    secret_markers,
    statements,
    task_problems,
    tasks,
    unconditioned_service_grants,
    unscoped_actions,
    wildcard_actions,
)

Props = Mapping[str, Any]

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
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
TRAIL = "aws:cloudtrail/trail:Trail"
TABLE = "aws:dynamodb/table:Table"
WORKGROUP = "aws:athena/workgroup:Workgroup"
MANAGED_POLICY = "aws:iam/policy:Policy"
CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
ATHENA_ENGINE = "Athena engine version 3"

# Actions that take no resource ARN, so `Resource: "*"` is the only way to grant them (rule 15).
UNSCOPABLE = frozenset(
    {
        # X-Ray: no resource-level permissions at all.
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        # CloudWatch Logs vended delivery, which Step Functions logging uses: these actions
        # accept only "*" (Step Functions developer guide, "IAM policies for logging").
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)
RUNTIMES = ("python3.12", "python3.13")
# Environment variables may only hold names, ids, ARNs, paths and numbers (rule 13).
NAME_OR_ARN = re.compile(r"[A-Za-z0-9_./:@+=,*-]+")
MASK = "[secret]"  # how the offline synth shows a secret value it masked


def _key_arn(value: Any, what: str) -> list[str]:
    """Our stack key by its full ARN: never an alias, nor an AWS managed key."""
    return [] if KEY_ARN.fullmatch(str(value or "")) else [f"{what} {value!r} is not a key's ARN"]


# --- Storage: rules 1-5 ----------------------------------------------------------------------


def public_access_block(props: Props) -> list[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    return [f"{flag} is not true" for flag in flags if props.get(flag) is not True]


def ownership(props: Props) -> list[str]:
    rule = props.get("rule") or {}
    if rule.get("objectOwnership") != "BucketOwnerEnforced":
        return ["object ownership is not BucketOwnerEnforced (ACLs stay enabled)"]
    return []


def bucket(props: Props) -> list[str]:
    """A bucket as declared (not as read back, whose grants list the owner): no ACL."""
    if props.get("acl") not in (None, "private") or as_list(props.get("grants")):
        return ["an ACL is declared"]
    return []


def acl(_props: Props) -> list[str]:
    return ["an ACL is declared: with ownership enforced, access is by policy only"]


def default_encryption(props: Props) -> list[str]:
    """SSE-KMS with a key's ARN and a bucket key, or SSE-S3 (allowed for the bucket receiving
    access logs only, which stack_rules checks)."""
    rules = as_list(props.get("rules"))
    if len(rules) != 1:
        return [f"{len(rules)} default encryption rules"]
    [rule] = rules
    default = rule.get("applyServerSideEncryptionByDefault") or {}
    algorithm = default.get("sseAlgorithm")
    if algorithm == "AES256":
        return []
    if algorithm != "aws:kms":
        return [f"sseAlgorithm {algorithm!r}, not aws:kms"]
    problems = _key_arn(default.get("kmsMasterKeyId"), "kmsMasterKeyId")
    if rule.get("bucketKeyEnabled") is not True:
        problems.append("bucketKeyEnabled is not true")
    return problems


def bucket_policy(props: Props) -> list[str]:
    """No public Allow; a Deny of s3:* to everyone without TLS, on a bucket and its objects."""
    found = statements(props["policy"])
    problems = [f"public Allow: {s.get('Sid')}" for s in found if public_allow(s)]
    if not tls_only_arns(props):
        problems.append("no Deny of requests without TLS on the bucket and its objects")
    return problems


def tls_only_arns(props: Props) -> list[str]:
    """The bucket ARNs a policy denies non-TLS requests on (bucket and objects alike)."""
    arns = []
    for statement in statements(props["policy"]):
        condition = statement.get("Condition") or {}
        secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
        listed = as_list(statement.get("Resource"))
        if (
            statement.get("Effect") == "Deny"
            and principals(statement) == ["*"]
            and {"s3:*", "*"} & set(actions(statement))
            and secure in ("false", False)
        ):
            arns += [r for r in listed if "/" not in r and f"{r}/*" in listed]
    return arns


def versioning(props: Props) -> list[str]:
    status = (props.get("versioningConfiguration") or {}).get("status")
    return [] if status == "Enabled" else [f"versioning {status}"]


def lifecycle(props: Props) -> list[str]:
    rules = [
        r for r in as_list(props.get("rules")) if r.get("status") == "Enabled" and _everywhere(r)
    ]
    # The engine passes numbers as floats.
    aborts: list[float] = [
        days
        for r in rules
        for days in [(r.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation")]
        if isinstance(days, int | float)
    ]
    problems = []
    if not aborts or min(aborts) > 7:
        problems.append(f"incomplete multipart uploads aborted after {aborts} days, not ≤ 7")
    if not any((r.get("noncurrentVersionExpiration") or {}).get("noncurrentDays") for r in rules):
        problems.append("noncurrent versions never expire")
    return problems


def _everywhere(rule: Props) -> bool:
    """A lifecycle rule for the whole bucket: no prefix, tag or size in its filter (the state
    read back may spell an empty filter with empty fields)."""
    scope = [v for v in (rule.get("filter") or {}).values() if v not in (None, "", {}, [])]
    return not scope and not rule.get("prefix")


# --- Queue: rules 6-10 -----------------------------------------------------------------------


def queue(props: Props) -> list[str]:
    problems = _key_arn(props.get("kmsMasterKeyId"), "kmsMasterKeyId")
    if props.get("fifoQueue") or str(props.get("name", "")).endswith(".fifo"):
        problems.append("a FIFO queue: SP-API delivers to Standard queues only")
    if props.get("sqsManagedSseEnabled"):
        problems.append("SSE-SQS instead of the stack key")
    redrive = props.get("redrivePolicy")
    if redrive and document(redrive).get("maxReceiveCount", 0) < 5:
        problems.append("maxReceiveCount below 5")
    return problems


def queue_policy(props: Props) -> list[str]:
    """Only SP-API's account (SendMessage, GetQueueAttributes) and IAM roles; no `*`."""
    problems = []
    for statement in statements(props["policy"]):
        sid = statement.get("Sid")
        if public_allow(statement):
            problems.append(f"public Allow: {sid}")
        problems += [f"{sid}: {a}" for a in wildcard_actions(statement)]
        if statement.get("Effect") != "Allow":
            continue
        for principal in principals(statement):
            if principal != SP_API_ROOT and not re.fullmatch(
                r"arn:aws:iam::\d{12}:role/.+", principal
            ):
                problems.append(f"{sid}: principal {principal} is neither SP-API nor a role")
        if SP_API_ROOT in principals(statement) and not set(actions(statement)) <= {
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
        }:
            problems.append(f"{sid}: SP-API may do more than send")
    return problems


def event_source_mapping(props: Props) -> list[str]:
    problems = []
    if "ReportBatchItemFailures" not in as_list(props.get("functionResponseTypes")):
        problems.append("no ReportBatchItemFailures: one bad message fails its whole batch")
    if not (props.get("scalingConfig") or {}).get("maximumConcurrency"):
        problems.append("no maximumConcurrency")
    return problems


# --- Functions: rules 12-15 ------------------------------------------------------------------


def function(props: Props) -> list[str]:
    problems = []
    if props.get("runtime") not in RUNTIMES:
        problems.append(f"runtime {props.get('runtime')!r}, not one of {RUNTIMES}")
    if (props.get("tracingConfig") or {}).get("mode") != "Active":
        problems.append("X-Ray tracing is not Active")
    if not 1 <= (props.get("timeout") or 0) <= 900:
        problems.append("no explicit timeout")
    if not 128 <= (props.get("memorySize") or 0) <= 10240:
        problems.append("no explicit memory size")
    if (props.get("reservedConcurrentExecutions") or 0) < 1:
        problems.append("no reserved concurrency")
    problems += _key_arn(props.get("kmsKeyArn"), "kmsKeyArn")
    return problems + environment(props)


def environment(props: Props) -> list[str]:
    """Rule 13: SPAPI_LAKE_ variables holding names, ARNs, paths and numbers, nothing secret."""
    variables = (props.get("environment") or {}).get("variables") or {}
    problems = []
    for name, value in variables.items():
        if not name.startswith("SPAPI_LAKE_"):
            problems.append(f"{name}: not a SPAPI_LAKE_ variable")
        if re.search(r"SECRET|TOKEN|PASSWORD|KEY", name) and not re.search(
            r"_(ID|ARN|PREFIX|NAME)$", name
        ):
            problems.append(f"{name}: a secret's value, not its name")
        if not isinstance(value, str) or not NAME_OR_ARN.fullmatch(value):
            problems.append(f"{name}: not a name, ARN or number")
        elif secret_looking(value):
            problems.append(f"{name}: holds {secret_looking(value)}")
    return problems


def permission(props: Props) -> list[str]:
    """Rule 14: names its source ARN and account, and no `*` principal."""
    problems = [f"no {field}" for field in ("sourceArn", "sourceAccount") if not props.get(field)]
    if "*" in str(props.get("principal", "*")):
        problems.append(f"public principal {props.get('principal')!r}")
    return problems


def role_policy(props: Props) -> list[str]:
    """Rule 15: no wildcard actions; `*` only for actions that take no resource; KMS and
    secrets named by exact ARNs."""
    problems = []
    for statement in statements(props["policy"]):
        sid = statement.get("Sid")
        problems += [f"{sid}: wildcard action {a}" for a in wildcard_actions(statement)]
        problems += [f"{sid}: {a} on Resource *" for a in unscoped_actions(statement, UNSCOPABLE)]
        problems += [
            f"{sid}: {r} is not an exact ARN"
            for r in exact_arn_problems(statement, ("kms:", "secretsmanager:", "dynamodb:"))
        ]
    return problems


# --- Workflows: rules 17-19 ------------------------------------------------------------------


def state_machine(props: Props) -> list[str]:
    problems = []
    logging = props.get("loggingConfiguration") or {}
    if logging.get("level") != "ALL" or not logging.get("logDestination"):
        problems.append("does not log ALL to a log group")
    if (props.get("tracingConfiguration") or {}).get("enabled") is not True:
        problems.append("X-Ray tracing is off")
    encryption = props.get("encryptionConfiguration") or {}
    if encryption.get("type") != "CUSTOMER_MANAGED_KMS_KEY":
        problems.append("not encrypted with a customer managed key")
    else:
        problems += _key_arn(encryption.get("kmsKeyId"), "kmsKeyId")
    definition = parse_definition(props["definition"])
    if not isinstance(definition.get("TimeoutSeconds"), int) or definition["TimeoutSeconds"] <= 0:
        problems.append("no TimeoutSeconds for the whole machine")
    deadline = definition.get("TimeoutSeconds")
    for name, task in tasks(definition):
        problems += [f"{name}: {p}" for p in task_problems(task, deadline)]
    return problems


# --- Secrets, keys, parameters: rules 20-23 --------------------------------------------------


def no_secret_values(props: Props) -> list[str]:
    """Rule 20: no token, client secret or pre-signed URL anywhere (secret versions aside)."""
    found = {
        marker
        for _, leaf in leaves(props)
        if isinstance(leaf, str)
        for marker in secret_markers(leaf)
    }
    return [f"holds {marker}" for marker in sorted(found)]


def secret(props: Props) -> list[str]:
    return _key_arn(props.get("kmsKeyId"), "kmsKeyId")


def resource_policy(props: Props) -> list[str]:
    return [f"public Allow: {s.get('Sid')}" for s in statements(props["policy"]) if public_allow(s)]


def key(props: Props) -> list[str]:
    """Rule 22: rotation, an explicit policy with no bare `*` and no unscoped outside grant, no
    lockout bypass, a deletion window. (The account is the one whose root administers it.)"""
    problems = []
    if props.get("enableKeyRotation") is not True:
        problems.append("rotation is off")
    if props.get("bypassPolicyLockoutSafetyCheck"):
        problems.append("bypasses the lockout safety check")
    if not 7 <= (props.get("deletionWindowInDays") or 0) <= 30:
        problems.append("no deletion window of 7 to 30 days")
    found = statements(props["policy"]) if props.get("policy") else []
    if not found:
        problems.append("no explicit key policy")
    admins = [
        m.group(1)
        for s in found
        if "kms:*" in actions(s)
        for p in principals(s)
        if (m := re.fullmatch(r"arn:aws:iam::(\d{12}):root", p))
    ]
    own = admins[0] if len(set(admins)) == 1 else None
    for statement in found:
        if public_allow(statement):
            problems.append(f"public Allow: {statement.get('Sid')}")
        elif unconditioned_service_grants(statement, own):
            problems.append(f"{statement.get('Sid')}: an outside grant without a condition")
    return problems


def parameter(props: Props) -> list[str]:
    """Rule 23: plain String config holds nothing secret-looking; SecureString uses our key."""
    kind = props.get("type")
    if kind in ("String", "StringList"):
        value = props.get("value", props.get("insecureValue", ""))
        found = secret_looking(value) + ([MASK] if MASK in str(value) else [])
        return [f"a {kind} holding {marker}" for marker in found]
    if kind == "SecureString":
        return _key_arn(props.get("keyId"), "keyId")
    return [f"unknown type {kind!r}"]


# --- Audit and logs: rules 24-25 -------------------------------------------------------------


def trail(props: Props) -> list[str]:
    wanted = ("isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation")
    problems = [f"{flag} is not true" for flag in wanted if props.get(flag) is not True]
    if props.get("enableLogging") is False:
        problems.append("logging is off")
    problems += _key_arn(props.get("kmsKeyId"), "kmsKeyId")
    if not (props.get("cloudWatchLogsGroupArn") and props.get("cloudWatchLogsRoleArn")):
        problems.append("does not deliver to CloudWatch Logs")
    data = [
        d
        for selector in as_list(props.get("eventSelectors"))
        for d in as_list(selector.get("dataResources"))
        if d.get("type") == "AWS::S3::Object"
    ]
    if not data:
        problems.append("records no S3 data events")
    return problems


def log_group(props: Props) -> list[str]:
    problems = _key_arn(props.get("kmsKeyId"), "kmsKeyId")
    if not props.get("retentionInDays"):
        problems.append("keeps logs forever (no retention)")
    return problems


# --- The shared rate-limit table -------------------------------------------------------------


def table(props: Props) -> list[str]:
    """Encrypted with our key (not DynamoDB's own), recoverable, protected from deletion."""
    encryption = props.get("serverSideEncryption") or {}
    problems = [] if encryption.get("enabled") is True else ["not encrypted with our key"]
    problems += _key_arn(encryption.get("kmsKeyArn"), "kmsKeyArn")
    if (props.get("pointInTimeRecovery") or {}).get("enabled") is not True:
        problems.append("no point-in-time recovery")
    if props.get("deletionProtectionEnabled") is not True:
        problems.append("no deletion protection")
    return problems


# --- Analytics: the Athena workgroup, the analyst's policy, the Glue catalog -----------------


def workgroup(props: Props) -> list[str]:
    """Engine v3 with the configuration enforced (clients cannot change where results go, how
    they are encrypted, or the cutoff); results SSE-KMS under our key; a per-query cutoff."""
    config = props.get("configuration") or {}
    problems = []
    if config.get("enforceWorkgroupConfiguration") is not True:
        problems.append("the workgroup configuration is not enforced")
    engine = (config.get("engineVersion") or {}).get("selectedEngineVersion")
    if engine != ATHENA_ENGINE:
        problems.append(f"engine {engine!r}, not {ATHENA_ENGINE!r}")
    if config.get("publishCloudwatchMetricsEnabled") is not True:
        problems.append("publishes no CloudWatch metrics")
    if not (config.get("bytesScannedCutoffPerQuery") or 0) > 0:
        problems.append("no bytes-scanned cutoff per query")
    results = config.get("resultConfiguration") or {}
    if not str(results.get("outputLocation") or "").startswith("s3://"):
        problems.append("no S3 output location")
    encryption = results.get("encryptionConfiguration") or {}
    if encryption.get("encryptionOption") != "SSE_KMS":
        problems.append(
            f"results encrypted with {encryption.get('encryptionOption')!r}, not SSE_KMS"
        )
    return problems + _key_arn(encryption.get("kmsKeyArn"), "kmsKeyArn")


def managed_policy(props: Props) -> list[str]:
    """Rule 15 as for roles' policies, and the key used only through a service, for our data."""
    problems = role_policy(props)
    for statement in statements(props["policy"]):
        granted = [a for a in actions(statement) if a.startswith("kms:")]
        if statement.get("Effect") == "Allow" and granted and not scoping_conditions(statement):
            problems.append(f"{statement.get('Sid')}: {granted} without a scoping condition")
    return problems


def catalog_encryption(props: Props) -> list[str]:
    """Glue metadata and connection passwords under our key (when the stack opts in)."""
    settings = props.get("dataCatalogEncryptionSettings") or {}
    at_rest = settings.get("encryptionAtRest") or {}
    passwords = settings.get("connectionPasswordEncryption") or {}
    problems = []
    if at_rest.get("catalogEncryptionMode") != "SSE-KMS":
        problems.append(f"catalog encryption {at_rest.get('catalogEncryptionMode')!r}")
    problems += _key_arn(at_rest.get("sseAwsKmsKeyId"), "sseAwsKmsKeyId")
    if passwords.get("returnConnectionPasswordEncrypted") is not True:
        problems.append("connection passwords are returned in clear")
    return problems + _key_arn(passwords.get("awsKmsKeyId"), "awsKmsKeyId")


# Types whose deletion would lose what cannot be rebuilt: `protect=True` (rule 22, the table).
PROTECTED_TYPES = frozenset({KEY, TABLE})
# Rule 20 applies to every type but these, whose purpose is to hold a secret.
HOLDS_SECRETS = frozenset({SECRET_VERSION})
