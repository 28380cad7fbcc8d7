"""Every rule of shared/security-checklist.md, checked on what each committed stack declares.

The resources are those `infra/synth.py` records under Pulumi's mocks (inputs camelCase, policies
as JSON strings). Where the project decides against a rule, the test's docstring says
"Decided exception" with the reason and the test asserts the decided behaviour instead; the
README's security section lists the same exceptions. The last tests feed the predicates
hand-made bad resources, to show each check fails when a rule is broken.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from adapters.stepfunctions_workflow import execution_name
from infra.state_machines import HANDLERS
from infra.synth import ACCOUNT, MASK, ROOT, Synth, run, stack_config
from policy import rules
from policy import stack_rules as S
from tests.infra import resources as q
from tests.infra.resources import (
    ALARM,
    BUCKET_LOGGING,
    ENCRYPTION,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    INVOCATION,
    KEY_ARN,
    LOG_GROUP,
    PERMISSION,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    SCHEDULE,
    SECRET,
    SECRET_POLICY,
    SECRET_ROTATION,
    SECRET_VERSION,
    SP_API_ROOT,
    SSM_PARAMETER,
    STATE_MACHINE,
    TABLE,
    TOPIC,
    TRAIL,
)
from wiring.cloud_config import NEEDS

LWA_READERS = ("authenticate", "subscribe")
APP_CREDENTIALS = (
    '{"clientId":"amzn1.application-oa2-client.test","clientSecret":"amzn1.oa2-cs.v1.SECRETVALUE"}'
)
CLIENT_SECRET = "amzn1.oa2-cs.v1.SECRETVALUE"
REFRESH_TOKEN = "Atzr|REFRESH-SECRET"
SECRET_KEYS = ["spapi-lake:appCredentials", "spapi-lake:refreshTokens"]


@cache
def config(stack: str) -> dict[str, str]:
    return stack_config(stack)


def trail_on(synth: Synth) -> bool:
    return q.configured(config(synth.stack), "trail", True) is True


def retention(synth: Synth) -> int:
    return int(q.configured(config(synth.stack), "logRetentionDays", 365))


def variables(function: q.Resource) -> dict[str, str]:
    return function["inputs"].get("environment", {}).get("variables", {})


def lake_bucket(synth: Synth) -> q.Resource:
    """The bucket the functions are told to write to."""
    return q.bucket_named(synth, variables(q.functions(synth)["store_report"])["SPAPI_LAKE_BUCKET"])


def log_bucket(synth: Synth) -> q.Resource:
    targets = {r["inputs"]["targetBucket"] for r in synth.of_type(BUCKET_LOGGING)}
    [target] = targets
    return q.bucket_named(synth, target)


def trail_bucket(synth: Synth) -> q.Resource:
    [trail] = synth.of_type(TRAIL)
    return q.bucket_named(synth, trail["inputs"]["s3BucketName"])


def role_of(synth: Synth, handler: str) -> q.Resource:
    return q.function_role(synth, q.functions(synth)[handler])


def all_role_statements(synth: Synth) -> list[tuple[q.Resource, q.Statement]]:
    return [(role, s) for role in synth.of_type(ROLE) for s in q.role_statements(synth, role)]


def machine_named(synth: Synth, machine: str) -> q.Resource:
    """A state machine by the name it carries after `spapi-lake-<stack>-`."""
    [found] = [
        m
        for m in synth.of_type(STATE_MACHINE)
        if q.physical(m) == f"spapi-lake-{synth.stack}-{machine}"
    ]
    return found


def executions_of(machine_arn: str) -> str:
    return machine_arn.replace(":stateMachine:", ":execution:") + ":*"


def start_grants(synth: Synth, handler: str) -> list[tuple[list[str], list[str]]]:
    """A function's Step Functions statements: (actions, resources), in order."""
    return [
        (q.actions(s), q.as_list(s["Resource"]))
        for s in q.role_statements(synth, role_of(synth, handler))
        if any(a.startswith("states:") for a in q.actions(s))
    ]


def alarm_topic_arn(synth: Synth) -> str:
    [topic] = synth.of_type(TOPIC)
    return q.topic_arn(synth, topic)


# --- Storage ---------------------------------------------------------------------------------


def test_rule_01_every_bucket_blocks_public_access_and_disables_acls(synth):
    """Rule 1: all four public-access flags, BucketOwnerEnforced, no ACL, no public Allow."""
    buckets = q.buckets(synth)
    assert len(buckets) == (3 if trail_on(synth) else 2)
    for name, bucket in buckets.items():
        assert q.public_access_problems(synth, bucket) == [], name


def test_rule_02_lake_and_trail_buckets_use_the_stack_key_by_full_arn_with_a_bucket_key(synth):
    """Rule 2: aws:kms with the key's ARN (not an alias) and bucketKeyEnabled."""
    key = q.key_arn(synth)
    assert KEY_ARN.fullmatch(key)
    encrypted = [lake_bucket(synth)] + ([trail_bucket(synth)] if trail_on(synth) else [])
    assert log_bucket(synth) not in encrypted
    for bucket in encrypted:
        assert q.encryption_problems(synth, bucket) == [], bucket["name"]
        [rule] = q.encryption_rules(synth, bucket)
        assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key
    others = [b for b in q.buckets(synth).values() if b not in encrypted]
    assert others == [log_bucket(synth)], "every bucket but the access-log bucket uses the key"


def test_rule_02_decided_exception_the_access_log_bucket_uses_sse_s3(synth):
    """Rule 2, decided exception: the access-log bucket is encrypted with SSE-S3 (AES256),
    because S3 server access log delivery does not support SSE-KMS target buckets. The logs
    hold request metadata, never object content."""
    [rule] = q.encryption_rules(synth, log_bucket(synth))
    default = rule["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "AES256"}
    assert len(q.bucket_part(synth, log_bucket(synth), ENCRYPTION)) == 1
    assert q.encryption_problems(synth, log_bucket(synth)) == []  # it receives access logs


def test_rule_03_every_bucket_denies_requests_without_tls_on_bucket_and_objects(synth):
    """Rule 3: a Deny of s3:* to everyone when aws:SecureTransport is false, on both ARNs."""
    for name, bucket in q.buckets(synth).items():
        assert q.tls_only_problems(synth, bucket) == [], name


def test_rule_04_every_bucket_is_versioned_and_tidies_uploads_and_old_versions(synth):
    """Rule 4: versioning Enabled; a bucket-wide lifecycle rule aborts incomplete multipart
    uploads after ≤ 7 days and expires noncurrent versions."""
    for name, bucket in q.buckets(synth).items():
        assert q.versioning_problems(synth, bucket) == [], name


def test_rule_05_lake_and_trail_buckets_log_access_to_a_separate_compliant_bucket(synth):
    """Rule 5: the lake (and trail) bucket log to the access-log bucket, a different bucket
    that does not log to itself and meets rules 1 and 3 (rule 2: SSE-S3, decided above)."""
    logs = log_bucket(synth)
    sources = [lake_bucket(synth)] + ([trail_bucket(synth)] if trail_on(synth) else [])
    for bucket in sources:
        [logging] = q.bucket_part(synth, bucket, BUCKET_LOGGING)
        assert q.bucket_named(synth, logging["inputs"]["targetBucket"]) is logs
        assert bucket is not logs
        assert logging["inputs"].get("targetPrefix"), "each source logs under its own prefix"
        assert q.logging_problems(synth, bucket) == []
    assert q.bucket_part(synth, logs, BUCKET_LOGGING) == []
    assert q.logging_problems(synth, logs) == []
    assert q.public_access_problems(synth, logs) == []
    assert q.tls_only_problems(synth, logs) == []
    [logs_policy] = q.bucket_part(synth, logs, q.BUCKET_POLICY)
    delivery = [s for s in q.statements(logs_policy) if s["Effect"] == "Allow"]
    assert delivery, "S3 log delivery needs a bucket-policy grant when ACLs are disabled"
    for statement in delivery:
        assert q.principals(statement) == ["logging.s3.amazonaws.com"]
        assert q.actions(statement) == ["s3:PutObject"]
        assert "aws:SourceAccount" in q.scoping_conditions(statement)


# --- Queue -----------------------------------------------------------------------------------


def test_rule_06_queue_and_dlq_are_standard_and_encrypted_with_the_stack_key(synth):
    """Rule 6: Standard queues under the stack key's ARN, never alias/aws/sqs or SSE-SQS."""
    main, dlq = q.queues(synth)
    for queue in (main, dlq):
        inputs = queue["inputs"]
        assert not inputs.get("fifoQueue")
        assert not q.physical(queue).endswith(".fifo")
        assert inputs["kmsMasterKeyId"] == q.key_arn(synth)
        assert "alias/" not in json.dumps(inputs)
        assert inputs.get("sqsManagedSseEnabled") in (None, False)


def test_rule_06_the_key_lets_sp_api_encrypt_for_this_queue_only(synth):
    """Rule 6: SP-API's account gets kms:GenerateDataKey and kms:Decrypt, tied by encryption
    context to the notification queue's ARN."""
    main, _ = q.queues(synth)
    grants = [s for s in q.statements(q.key(synth)) if SP_API_ROOT in q.principals(s)]
    assert len(grants) == 1
    [grant] = grants
    assert grant["Effect"] == "Allow"
    assert set(q.actions(grant)) == {"kms:GenerateDataKey", "kms:Decrypt"}
    contexts = {
        k: v
        for operator in grant["Condition"].values()
        for k, v in operator.items()
        if k.startswith("kms:EncryptionContext:")
    }
    assert list(contexts.values()) == [q.queue_arn(synth, main)]


def test_rule_07_only_sp_api_may_send_to_the_queue(synth):
    """Rule 7: SP-API's account with exactly SendMessage + GetQueueAttributes on the queue,
    otherwise only the stack's own roles; no `*` principal, no `sqs:*`; the DLQ has no policy."""
    main, _ = q.queues(synth)
    [queue_policy] = synth.of_type(QUEUE_POLICY)
    assert queue_policy["inputs"]["queueUrl"].endswith(f"/{ACCOUNT}/{q.physical(main)}")
    own_roles = {q.role_arn(r) for r in synth.of_type(ROLE)}
    sp_api = []
    for statement in q.statements(queue_policy):
        assert not q.public_allow(statement)
        assert q.wildcard_actions(statement) == []
        if statement["Effect"] != "Allow":
            continue
        assert set(q.principals(statement)) <= {SP_API_ROOT, *own_roles}
        if SP_API_ROOT in q.principals(statement):
            sp_api.append(statement)
    [grant] = sp_api
    assert q.principals(grant) == [SP_API_ROOT]
    assert sorted(q.actions(grant)) == ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    assert q.as_list(grant["Resource"]) == [q.queue_arn(synth, main)]


def test_rule_08_failures_redrive_to_a_longer_lived_dlq_that_alarms_when_not_empty(synth):
    """Rule 8: maxReceiveCount ≥ 5; DLQ retention > queue retention; an alarm on the DLQ's
    ApproximateNumberOfMessagesVisible > 0 that notifies someone."""
    main, dlq = q.queues(synth)
    assert json.loads(main["inputs"]["redrivePolicy"])["maxReceiveCount"] >= 5
    assert dlq["inputs"]["messageRetentionSeconds"] > main["inputs"]["messageRetentionSeconds"]
    alarms = [
        a["inputs"]
        for a in synth.of_type(ALARM)
        if a["inputs"].get("namespace") == "AWS/SQS"
        and a["inputs"].get("metricName") == "ApproximateNumberOfMessagesVisible"
        and a["inputs"].get("dimensions") == {"QueueName": q.physical(dlq)}
    ]
    assert len(alarms) == 1
    [alarm] = alarms
    assert alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["threshold"] == 0
    assert alarm["alarmActions"] == [alarm_topic_arn(synth)]


def test_rule_09_visibility_timeout_is_at_least_six_times_the_consumer_timeout(synth):
    """Rule 9: the queue's visibility timeout ≥ 6 × process_notification's timeout."""
    main, _ = q.queues(synth)
    [mapping] = synth.of_type(EVENT_SOURCE_MAPPING)
    assert mapping["inputs"]["eventSourceArn"] == q.queue_arn(synth, main)
    consumer = q.function_by_arn(synth, mapping["inputs"]["functionName"])
    assert consumer is q.functions(synth)["process_notification"]
    assert main["inputs"]["visibilityTimeoutSeconds"] >= 6 * consumer["inputs"]["timeout"]


def test_rule_10_the_mapping_reports_batch_item_failures_within_reserved_concurrency(synth):
    """Rule 10: ReportBatchItemFailures; maximumConcurrency ≤ the reserved concurrency."""
    [mapping] = synth.of_type(EVENT_SOURCE_MAPPING)
    consumer = q.function_by_arn(synth, mapping["inputs"]["functionName"])
    assert mapping["inputs"]["functionResponseTypes"] == ["ReportBatchItemFailures"]
    maximum = mapping["inputs"]["scalingConfig"]["maximumConcurrency"]
    assert 2 <= maximum <= consumer["inputs"]["reservedConcurrentExecutions"]


def test_rule_11_notifications_start_ingests_of_exactly_the_ingest_machines(synth):
    """Rule 11, static part: process_notification may call states:StartExecution on the
    ingest-report machine (a report's notification) and on the ingest-query machine (a Data
    Kiosk query's), and states:DescribeExecution on their executions, nothing else in Step
    Functions, and is told both machines' ARNs.
    The runtime part (execution name from seller + reportId; ExecutionAlreadyExists counts as
    success) is tested in tests/workflow/test_pipeline.py::test_a_duplicate_notification_is_
    ingested_once and tests/integration/aws/test_stepfunctions_workflow.py (next test)."""
    ingest = q.state_machine_arn(synth, machine_named(synth, "ingest-report"))
    query_ingest = q.state_machine_arn(synth, machine_named(synth, "ingest-query"))
    function = q.functions(synth)["process_notification"]
    assert start_grants(synth, "process_notification") == [
        (["states:StartExecution"], [ingest]),
        # The status of an earlier attempt, to restart a failed one (and only ingest's).
        (["states:DescribeExecution"], [executions_of(ingest)]),
        (["states:StartExecution"], [query_ingest]),
        (["states:DescribeExecution"], [executions_of(query_ingest)]),
    ]
    assert variables(function)["SPAPI_LAKE_INGEST_STATE_MACHINE_ARN"] == ingest
    assert variables(function)["SPAPI_LAKE_QUERY_STATE_MACHINE_ARN"] == query_ingest


def test_rule_11_duplicate_delivery_is_covered_by_the_runtime_tests():
    """Rule 11, runtime part: the tests cited above exist, and names are deterministic."""
    assert "test_a_duplicate_notification_is_ingested_once" in q.defined_tests(
        ROOT / "tests/workflow/test_pipeline.py"
    )
    assert {
        "test_distinct_pairs_get_distinct_names_even_when_cleaning_or_truncating",
    } <= q.defined_tests(ROOT / "tests/integration/aws/test_stepfunctions_workflow.py")
    assert execution_name("A1SELLER", "5001") == execution_name("A1SELLER", "5001")
    assert execution_name("A1SELLER", "5001") != execution_name("A1SELLER", "5002")


# --- Functions -------------------------------------------------------------------------------


def test_rule_12_every_function_runs_a_supported_traced_bounded_runtime(synth):
    """Rule 12: python3.12/3.13, X-Ray Active, explicit timeout and memory, reserved
    concurrency."""
    functions = q.functions(synth)
    assert set(functions) == set(HANDLERS)
    for handler, function in functions.items():
        inputs = function["inputs"]
        assert inputs["runtime"] in ("python3.12", "python3.13"), handler
        assert inputs["tracingConfig"] == {"mode": "Active"}, handler
        assert 1 <= inputs["timeout"] <= 900, handler
        assert 128 <= inputs["memorySize"] <= 10240, handler
        assert inputs.get("reservedConcurrentExecutions", 0) >= 1, handler


def test_rule_13_environments_hold_names_and_arns_encrypted_with_the_stack_key(synth):
    """Rule 13: SPAPI_LAKE_* variables holding names, ARNs, paths and numbers only; the
    environment encrypted with the stack key (kmsKeyArn)."""
    for handler, function in q.functions(synth).items():
        assert variables(function), handler
        assert q.environment_problems(function) == [], handler
        assert function["inputs"]["kmsKeyArn"] == q.key_arn(synth), handler


def test_rule_14_every_lambda_permission_names_its_source_and_no_public_principal(synth):
    """Rule 14: each aws.lambda_.Permission has sourceArn and sourceAccount, and no `*`
    principal. (The stacks declare none today: see the next test.)"""
    for permission in synth.of_type(PERMISSION):
        assert q.permission_problems(permission) == [], permission["name"]


def test_rule_14_functions_are_invoked_through_roles_so_no_resource_policy_exists(synth):
    """Rule 14: no Lambda resource policy is declared. EventBridge Scheduler and Step
    Functions invoke through execution roles granted lambda:InvokeFunction on the exact
    functions, and SQS through the event source mapping, which uses the consumer's own role.
    A Permission added later is checked by the test above; update this one with it."""
    assert synth.of_type(PERMISSION) == []
    for schedule in synth.of_type(SCHEDULE):
        target = schedule["inputs"]["target"]
        if ":lambda:" in target["arn"]:
            granted = q.role_statements(synth, q.role_by_arn(synth, target["roleArn"]))
            assert any(
                "lambda:InvokeFunction" in q.actions(s)
                and target["arn"] in q.as_list(s["Resource"])
                for s in granted
            ), schedule["name"]
    for machine in synth.of_type(STATE_MACHINE):
        granted = q.role_statements(synth, q.role_by_arn(synth, machine["inputs"]["roleArn"]))
        invocable = {
            arn
            for s in granted
            if "lambda:InvokeFunction" in q.actions(s)
            for arn in q.as_list(s["Resource"])
        }
        definition = json.loads(machine["inputs"]["definition"])
        assert {q.invoked_function(t) for _, t in q.tasks(definition)} <= invocable
    [mapping] = synth.of_type(EVENT_SOURCE_MAPPING)
    consumer = q.function_by_arn(synth, mapping["inputs"]["functionName"])
    assert any(
        "sqs:ReceiveMessage" in q.actions(s)
        and q.as_list(s["Resource"]) == [mapping["inputs"]["eventSourceArn"]]
        for s in q.role_statements(synth, q.function_role(synth, consumer))
    )


def test_rule_15_each_function_has_a_role_of_its_own(synth):
    """Rule 15: one role per function (HANDLERS), each used by that function alone and trusted
    by Lambda only; no role of a function runs anything else."""
    functions = q.functions(synth)
    roles = [f["inputs"]["role"] for f in functions.values()]
    assert len(set(roles)) == len(roles) == len(HANDLERS)
    used_elsewhere = [
        *(m["inputs"]["roleArn"] for m in synth.of_type(STATE_MACHINE)),
        *(s["inputs"]["target"]["roleArn"] for s in synth.of_type(SCHEDULE)),
        *(t["inputs"]["cloudWatchLogsRoleArn"] for t in synth.of_type(TRAIL)),
    ]
    assert set(roles).isdisjoint(used_elsewhere)
    for arn in roles:
        trust = q.policy(q.role_by_arn(synth, arn), "assumeRolePolicy")
        assert [q.principals(s) for s in q.statements(trust)] == [["lambda.amazonaws.com"]]


def test_rule_15_no_role_policy_grants_wildcard_or_service_wide_actions(synth):
    """Rule 15: no `*`, no `svc:*`, no NotAction, in any role's policy."""
    assert synth.of_type(ROLE_POLICY)
    for role, statement in all_role_statements(synth):
        assert q.wildcard_actions(statement) == [], (role["name"], statement.get("Sid"))


def test_rule_15_resource_star_only_for_actions_that_take_no_resource(synth):
    """Rule 15: `Resource: "*"` only for policy/rules.py's UNSCOPABLE actions: X-Ray's, and the
    CloudWatch Logs delivery actions Step Functions logging needs, none of which accept a
    resource ARN."""
    for role, statement in all_role_statements(synth):
        assert q.unscoped_actions(statement, q.UNSCOPABLE) == [], (
            role["name"],
            statement.get("Sid"),
        )


def test_rule_15_kms_and_secret_reads_name_exact_arns(synth):
    """Rule 15: every kms: action names exactly the stack key's ARN; GetSecretValue names
    exact secret ARNs of this stack; no wildcard in either."""
    secret_patterns = [q.secret_arn_pattern(s) for s in synth.of_type(SECRET)]
    for role, statement in all_role_statements(synth):
        where = (role["name"], statement.get("Sid"))
        assert q.exact_arn_problems(statement, ("kms:", "secretsmanager:")) == [], where
        if any(a.startswith("kms:") for a in q.actions(statement)):
            assert q.as_list(statement["Resource"]) == [q.key_arn(synth)], where
        if "secretsmanager:GetSecretValue" in q.actions(statement):
            for arn in q.as_list(statement["Resource"]):
                assert any(p.fullmatch(arn) for p in secret_patterns), (where, arn)


def test_rule_15_only_authenticate_and_subscribe_read_lwa_secrets(synth):
    """Rule 15: of all roles, only authenticate's and subscribe's hold
    secretsmanager:GetSecretValue (each on every LWA secret: the app's and each seller's)."""
    readers = {
        role["name"]
        for role, s in all_role_statements(synth)
        if {"secretsmanager:GetSecretValue", "secretsmanager:*"} & set(q.actions(s))
    }
    assert readers == {role_of(synth, h)["name"] for h in LWA_READERS}
    for handler in LWA_READERS:
        readable = {
            arn
            for s in q.role_statements(synth, role_of(synth, handler))
            if "secretsmanager:GetSecretValue" in q.actions(s)
            for arn in q.as_list(s["Resource"])
        }
        for secret in synth.of_type(SECRET):
            assert any(q.secret_arn_pattern(secret).fullmatch(a) for a in readable), handler


def test_rule_15_secret_policies_allow_only_authenticate_and_subscribe(synth):
    """Rule 15/21: each secret's resource policy grants GetSecretValue to the two LWA roles
    alone, and nothing to anyone else. (It adds no Deny for other principals: the Pulumi
    provider reads back each secret version it writes, as infra/lwa_secrets.py explains; the
    identity policies above already keep the other roles out.)"""
    readers = {q.functions(synth)[h]["inputs"]["role"] for h in LWA_READERS}
    policies = synth.of_type(SECRET_POLICY)
    assert len(policies) == len(synth.of_type(SECRET))
    for secret_policy in policies:
        allows = [s for s in q.statements(secret_policy) if s["Effect"] == "Allow"]
        assert allows, secret_policy["name"]
        for statement in allows:
            assert not q.public_allow(statement), secret_policy["name"]
            assert set(q.principals(statement)) == readers, secret_policy["name"]
            assert q.actions(statement) == ["secretsmanager:GetSecretValue"], secret_policy["name"]


def test_rule_16_decided_exception_no_function_level_dlq_ckv_aws_116(synth):
    """Rule 16, decided exception (CKV_AWS_116): no function has a deadLetterConfig. SQS
    (event source mapping, redriving to the queue's DLQ) and Step Functions (lambda:invoke,
    request-response) invoke synchronously, so a function DLQ would never receive anything.
    The one asynchronous caller is EventBridge Scheduler, which invokes `reconcile`: a failed
    sweep loses nothing, because each sweep looks back over several schedule periods and its
    Errors alarm notifies the team. Asserted here: no deadLetterConfig; no task invokes with
    InvocationType Event; every scheduled function's look-back covers ≥ 2 periods and alarms."""
    for handler, function in q.functions(synth).items():
        assert "deadLetterConfig" not in function["inputs"], handler
    for definition in synth.state_machines().values():
        for name, task in q.tasks(definition):
            assert task.get("Parameters", {}).get("InvocationType", "RequestResponse") == (
                "RequestResponse"
            ), name
    scheduled = [s for s in synth.of_type(SCHEDULE) if ":lambda:" in s["inputs"]["target"]["arn"]]
    assert scheduled
    for schedule in scheduled:
        function = q.function_by_arn(synth, schedule["inputs"]["target"]["arn"])
        period = q.rate_days(schedule["inputs"]["scheduleExpression"])
        assert period is not None, schedule["name"]
        look_back_days = int(variables(function)["SPAPI_LAKE_RECONCILE_HOURS"]) / 24
        assert look_back_days >= 2 * period, schedule["name"]
        assert any(
            a["inputs"]["metricName"] == "Errors"
            and a["inputs"]["dimensions"] == {"FunctionName": q.physical(function)}
            for a in synth.of_type(ALARM)
        )


# --- Workflows -------------------------------------------------------------------------------


def test_rule_17_every_machine_logs_all_to_a_pre_created_kms_encrypted_log_group(synth):
    """Rule 17: level ALL with execution data, to a declared log group under the stack key.
    Execution data is included only because no state carries a secret unsealed (rule 20's
    tests); were it off, CKV_AWS_285 would be suppressed with that reason."""
    machines = synth.of_type(STATE_MACHINE)
    assert len(machines) == len(q.MACHINES)
    for machine in machines:
        logging = machine["inputs"]["loggingConfiguration"]
        assert logging["level"] == "ALL", machine["name"]
        assert logging["includeExecutionData"] is True, machine["name"]
        group = q.log_group_of_arn(synth, logging["logDestination"])
        assert logging["logDestination"] == q.log_group_arn(synth, group) + ":*"
        assert group["inputs"]["kmsKeyId"] == q.key_arn(synth)


def test_rule_18_every_machine_is_traced_and_encrypted_with_the_stack_key(synth):
    """Rule 18: X-Ray tracing on; CUSTOMER_MANAGED_KMS_KEY with the stack key's ARN."""
    for machine in synth.of_type(STATE_MACHINE):
        inputs = machine["inputs"]
        assert inputs["tracingConfiguration"] == {"enabled": True}, machine["name"]
        encryption = inputs["encryptionConfiguration"]
        assert encryption["type"] == "CUSTOMER_MANAGED_KMS_KEY", machine["name"]
        assert encryption["kmsKeyId"] == q.key_arn(synth), machine["name"]


def test_rule_19_every_task_retries_transient_lambda_errors_and_ends_in_a_catch_all(synth):
    """Rule 19: the four Lambda.* errors retried with BackoffRate ≥ 2, bounded MaxAttempts,
    MaxDelaySeconds and FULL jitter; a last Catch of States.ALL with a ResultPath; a timeout.
    Tasks inside Map ItemProcessors are included."""
    for machine, definition in synth.state_machines().items():
        tasks = q.tasks(definition)
        assert len(tasks) >= 2, machine
        for name, task in tasks:
            problems = q.task_problems(task, definition["TimeoutSeconds"])
            assert problems == [], f"{machine}.{name}"


def test_rule_19_every_machine_has_a_deadline_and_every_task_outlives_its_function(synth):
    """Rule 19: a top-level TimeoutSeconds; each task's TimeoutSeconds above the deployed
    timeout of the function it invokes."""
    for machine, definition in synth.state_machines().items():
        assert isinstance(definition.get("TimeoutSeconds"), int), machine
        assert definition["TimeoutSeconds"] > 0, machine
        for name, task in q.tasks(definition):
            function = q.function_by_arn(synth, q.invoked_function(task))
            assert function["inputs"]["timeout"] < task["TimeoutSeconds"], f"{machine}.{name}"
            assert task["TimeoutSeconds"] <= definition["TimeoutSeconds"], f"{machine}.{name}"


# --- Rule 20: nothing secret in definitions, inputs, environments ----------------------------


@pytest.fixture(scope="module")
def with_credentials() -> Synth:
    """Stack dev, deployed with LWA credentials set as Pulumi secrets."""
    stack = "dev"
    partners = json.loads(config(stack)["spapi-lake:sellers"])  # a seller and a vendor
    tokens = {p.get("sellerId") or p["accountId"]: REFRESH_TOKEN for p in partners}
    return run(
        stack,
        {
            **config(stack),
            "spapi-lake:appCredentials": APP_CREDENTIALS,
            "spapi-lake:refreshTokens": json.dumps(tokens),
        },
        secret_keys=SECRET_KEYS,
    )


def test_rule_20_no_secret_marker_in_any_declared_resource_or_definition(synth):
    """Rule 20: no `Atza|`, `Atzr|`, `X-Amz-Signature` or `client_secret` anywhere in what the
    stack declares, definitions included."""
    assert q.secret_markers(json.dumps(synth.resources)) == []
    for machine, definition in synth.state_machines().items():
        for text in q.definition_strings(definition):
            assert q.secret_markers(text) == [], (machine, text)


def test_rule_20_configured_credentials_reach_only_the_secret_versions(with_credentials):
    """Rule 20: with appCredentials and refreshTokens set, their values appear nowhere in the
    declared resources. synth masks any input holding a secret as "[secret]", so the mask may
    appear only where the values belong: each SecretVersion's secretString."""
    dumped = json.dumps(with_credentials.resources)
    for value in (CLIENT_SECRET, REFRESH_TOKEN, "SECRETVALUE", "REFRESH-SECRET"):
        assert value not in dumped
    masked = [
        (r["type"], r["name"], path)
        for r in with_credentials.resources
        for path, leaf in q.leaves(r["inputs"])
        if isinstance(leaf, str) and MASK in leaf
    ]
    versions = with_credentials.of_type(SECRET_VERSION)
    # The app's secret, and one per partner (dev has a seller and a vendor).
    assert len(versions) == len(with_credentials.of_type(SECRET)) == 3
    assert sorted(masked) == sorted(
        (SECRET_VERSION, v["name"], ("secretString",)) for v in versions
    )


def test_rule_20_lambda_environments_hold_no_credential_even_when_configured(with_credentials):
    """Rule 20/13: with credentials configured the environments still hold names only."""
    for handler, function in q.functions(with_credentials).items():
        assert q.environment_problems(function) == [], handler
        assert not q.secret_looking(variables(function)), handler


def test_rule_20_with_credentials_the_deploy_runs_subscribe_without_them_it_does_not(
    with_credentials, synths
):
    """Rule 20: the deploy-time subscribe call passes seller ids only, never a credential;
    without credentials (the committed stacks) it is not declared."""
    [invocation] = with_credentials.of_type(INVOCATION)
    subscribe = q.functions(with_credentials)["subscribe"]
    assert invocation["inputs"]["functionName"] == q.physical(subscribe)
    sellers = json.loads(config("dev")["spapi-lake:sellers"])
    expected = sorted(s.get("sellerId") or s["accountId"] for s in sellers)
    assert json.loads(invocation["inputs"]["input"]) == {"sellerIds": expected}
    assert not q.secret_looking(invocation["inputs"])
    for stack, synth in synths.items():
        assert synth.of_type(INVOCATION) == [], stack


def test_rule_20_the_runtime_scans_exist():
    """Rule 20, runtime part: executions (moto get_execution_history) and captured logs are
    scanned for the markers in tests/workflow/test_pipeline.py."""
    assert "test_no_secret_reaches_an_execution_or_a_log" in q.defined_tests(
        ROOT / "tests/workflow/test_pipeline.py"
    )


# --- Secrets and keys ------------------------------------------------------------------------


def test_rule_21_secrets_use_the_stack_key_and_each_has_a_resource_policy(synth):
    """Rule 21: one app secret and one per seller, under the stack key, each with a policy."""
    secrets = synth.of_type(SECRET)
    sellers = json.loads(config(synth.stack)["spapi-lake:sellers"])
    assert len(secrets) == 1 + len(sellers)
    policies = [p["inputs"]["secretArn"] for p in synth.of_type(SECRET_POLICY)]
    for secret in secrets:
        assert secret["inputs"]["kmsKeyId"] == q.key_arn(synth), secret["name"]
        assert len([a for a in policies if q.secret_arn_pattern(secret).fullmatch(a)]) == 1


def test_rule_21_decided_exception_a_rotation_reminder_instead_of_native_rotation(synth):
    """Rule 21, decided exception: no Secrets Manager rotation. Rotating the app secret needs a
    rotation function calling SP-API's rotateApplicationClientSecret, which is not built yet;
    instead an EventBridge Scheduler schedule (`*-rotate-client-secret`) publishes a reminder
    to the alarm topic at most every 180 days (SP-API's limit). Refresh tokens do not expire on
    a schedule and only a seller can re-authorise: they are the checklist's own exception."""
    assert synth.of_type(SECRET_ROTATION) == []
    [reminder] = [
        s for s in synth.of_type(SCHEDULE) if q.physical(s).endswith("-rotate-client-secret")
    ]
    days = q.rate_days(reminder["inputs"]["scheduleExpression"])
    assert days is not None
    assert 0 < days <= 180
    target = reminder["inputs"]["target"]
    assert target["arn"] == alarm_topic_arn(synth)
    [app] = [s for s in synth.of_type(SECRET) if q.physical(s).endswith("/app")]
    assert q.physical(app) in target["input"]
    assert any(
        "sns:Publish" in q.actions(s) and q.as_list(s["Resource"]) == [target["arn"]]
        for s in q.role_statements(synth, q.role_by_arn(synth, target["roleArn"]))
    )


def test_rule_22_the_key_rotates_has_an_explicit_policy_and_a_deletion_window(synth):
    """Rule 22: rotation on, a policy without a bare `*` principal in an Allow, no lockout
    bypass, a deletion window."""
    inputs = q.key(synth)["inputs"]
    assert inputs["enableKeyRotation"] is True
    assert inputs["bypassPolicyLockoutSafetyCheck"] is False
    assert 7 <= inputs["deletionWindowInDays"] <= 30
    statements = q.statements(q.key(synth))
    assert statements
    for statement in statements:
        assert not q.public_allow(statement), statement.get("Sid")


def test_rule_22_every_service_and_sp_api_grant_on_the_key_is_conditioned(synth):
    """Rule 22: every Allow to a service or to SP-API's account carries an encryption-context,
    aws:SourceArn or aws:SourceAccount condition; only the account root goes unconditioned."""
    outside = 0
    for statement in q.statements(q.key(synth)):
        assert not q.unconditioned_service_grants(statement, ACCOUNT), statement.get("Sid")
        outside += statement["Effect"] == "Allow" and q.principals(statement) != [
            f"arn:aws:iam::{ACCOUNT}:root"
        ]
    assert outside >= 3  # SP-API, CloudWatch Logs, log delivery (and CloudTrail when on)


def test_rule_22_the_key_is_protected_from_deletion(synth):
    """Rule 22: `protect=True`, as the engine registered the key (synth records it)."""
    assert q.protected(synth, q.key(synth))


def test_rule_23_ssm_parameters_are_plain_config_or_secure_strings_under_the_stack_key(synth):
    """Rule 23: String parameters hold nothing secret-looking; SecureStrings use the key."""
    parameters = synth.of_type(SSM_PARAMETER)
    assert parameters
    for parameter in parameters:
        assert q.parameter_problems(parameter) == [], parameter["name"]
        if parameter["inputs"]["type"] == "SecureString":
            assert parameter["inputs"]["keyId"] == q.key_arn(synth), parameter["name"]


# --- The shared rate-limit table (rules 2, 4, 15 and 22, applied to DynamoDB) ----------------


def rate_limit_table(synth: Synth) -> q.Resource:
    [table] = synth.of_type(TABLE)
    return table


def test_the_rate_limit_table_is_encrypted_with_the_stack_key_recoverable_and_protected(synth):
    """As rule 2 for buckets: SSE with the stack key's full ARN, not DynamoDB's own key; as
    rules 4 and 22: point-in-time recovery, deletion protection, and `protect=True`."""
    inputs = rate_limit_table(synth)["inputs"]
    assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": q.key_arn(synth)}
    assert inputs["pointInTimeRecovery"] == {"enabled": True}
    assert inputs["deletionProtectionEnabled"] is True
    assert q.protected(synth, rate_limit_table(synth))


def test_only_the_functions_calling_sp_api_touch_the_rate_limit_table_and_only_its_items(synth):
    """Rule 15: the functions told the table's name (those that call SP-API) may GetItem,
    PutItem and UpdateItem on the table's ARN, and use the stack key through DynamoDB only;
    no other role holds any dynamodb: action."""
    table = rate_limit_table(synth)
    arn = f"arn:aws:dynamodb:{synth.region}:{ACCOUNT}:table/{q.physical(table)}"
    callers = {
        handler
        for handler, function in q.functions(synth).items()
        if variables(function).get("SPAPI_LAKE_RATE_LIMIT_TABLE") == q.physical(table)
    }
    assert callers == {h for h in HANDLERS if "rate_limit_table" in NEEDS[h]}
    assert callers == {"subscribe", "create_report", "fetch_document", "reconcile", "run_query"}
    granted = {
        role["name"]: (sorted(q.actions(s)), q.as_list(s["Resource"]))
        for role, s in all_role_statements(synth)
        if any(a.startswith("dynamodb:") for a in q.actions(s))
    }
    expected = (["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [arn])
    assert granted == {role_of(synth, h)["name"]: expected for h in callers}
    via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{synth.region}.amazonaws.com"}}
    for handler in callers:
        kms = [
            s
            for s in q.role_statements(synth, role_of(synth, handler))
            if s.get("Condition") == via_dynamodb
        ]
        assert [(sorted(q.actions(s)), q.as_list(s["Resource"])) for s in kms] == [
            (["kms:Decrypt", "kms:GenerateDataKey"], [q.key_arn(synth)])
        ], handler


# --- Audit and logs --------------------------------------------------------------------------


def test_rule_24_the_trail_is_multi_region_validated_encrypted_and_logs_lake_data(synth):
    """Rule 24: multi-region, global events, log-file validation, the stack key, CloudWatch
    Logs through a role that may write only there, S3 data events for the lake bucket."""
    trails = synth.of_type(TRAIL)
    if not trail_on(synth):
        assert trails == []
        return
    [trail] = trails
    inputs = trail["inputs"]
    assert inputs["isMultiRegionTrail"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogFileValidation"] is True
    assert inputs.get("enableLogging", True) is True
    assert inputs["kmsKeyId"] == q.key_arn(synth)
    group = q.log_group_of_arn(synth, inputs["cloudWatchLogsGroupArn"])
    role = q.role_by_arn(synth, inputs["cloudWatchLogsRoleArn"])
    trust = q.policy(role, "assumeRolePolicy")
    assert [q.principals(s) for s in q.statements(trust)] == [["cloudtrail.amazonaws.com"]]
    assert [
        (sorted(q.actions(s)), q.as_list(s["Resource"])) for s in q.role_statements(synth, role)
    ] == [(["logs:CreateLogStream", "logs:PutLogEvents"], [q.log_group_arn(synth, group) + ":*"])]
    lake = "arn:aws:s3:::" + variables(q.functions(synth)["store_report"])["SPAPI_LAKE_BUCKET"]
    data = [
        d
        for selector in inputs["eventSelectors"]
        for d in selector.get("dataResources", [])
        if d["type"] == "AWS::S3::Object"
    ]
    assert [d["values"] for d in data] == [[lake + "/"]]


def test_rule_24_the_trail_bucket_meets_rules_1_to_5(synth):
    """Rule 24: the trail's bucket is private, KMS-encrypted, TLS-only, versioned and tidy,
    and logs its access to the access-log bucket; CloudTrail may write only for this trail."""
    if not trail_on(synth):
        assert synth.of_type(TRAIL) == []
        return
    bucket = trail_bucket(synth)
    assert bucket is not lake_bucket(synth)
    assert bucket is not log_bucket(synth)
    assert q.public_access_problems(synth, bucket) == []
    assert q.encryption_problems(synth, bucket) == []
    [rule] = q.encryption_rules(synth, bucket)
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == q.key_arn(synth)
    assert q.tls_only_problems(synth, bucket) == []
    assert q.versioning_problems(synth, bucket) == []
    [logging] = q.bucket_part(synth, bucket, BUCKET_LOGGING)
    assert q.bucket_named(synth, logging["inputs"]["targetBucket"]) is log_bucket(synth)
    [bucket_policy] = q.bucket_part(synth, bucket, q.BUCKET_POLICY)
    for statement in q.statements(bucket_policy):
        if statement["Effect"] == "Allow":
            assert q.principals(statement) == ["cloudtrail.amazonaws.com"]
            assert "aws:SourceArn" in q.scoping_conditions(statement)


def test_rule_24_is_optional_per_stack():
    """Rule 24: `spapi-lake:trail: false` (an organisation trail exists) declares no trail, no
    trail bucket, no trail log group and no CloudTrail grant on the key."""
    off = run("dev", {**config("dev"), "spapi-lake:trail": "false"})
    assert off.of_type(TRAIL) == []
    assert len(q.buckets(off)) == 2
    assert all("cloudtrail.amazonaws.com" not in q.principals(s) for s in q.statements(q.key(off)))
    assert not [g for g in off.of_type(LOG_GROUP) if "/cloudtrail/" in q.physical(g)]


def test_rule_25_every_function_and_machine_has_a_pre_created_log_group(synth):
    """Rule 25: each function's (loggingConfig.logGroup, else /aws/lambda/<name>) and each
    machine's log group is declared with the stack's retention and the stack key."""
    wanted = []
    for function in synth.of_type(FUNCTION):
        logging = function["inputs"].get("loggingConfig", {})
        wanted.append(logging.get("logGroup") or f"/aws/lambda/{q.physical(function)}")
    for machine in synth.of_type(STATE_MACHINE):
        destination = machine["inputs"]["loggingConfiguration"]["logDestination"]
        wanted.append(q.physical(q.log_group_of_arn(synth, destination)))
    assert len(wanted) == len(HANDLERS) + len(q.MACHINES)
    for name in wanted:
        group = q.log_group_named(synth, name)["inputs"]
        assert group["retentionInDays"] == retention(synth), name
        assert group["kmsKeyId"] == q.key_arn(synth), name


def test_rule_25_every_log_group_of_the_stack_keeps_the_retention_and_the_key(synth):
    """Rule 25: the trail's log group too (retention: logRetentionDays, default 365 days)."""
    for group in synth.of_type(LOG_GROUP):
        assert group["inputs"]["retentionInDays"] == retention(synth), group["name"]
        assert group["inputs"]["kmsKeyId"] == q.key_arn(synth), group["name"]


# --- Runtime behaviour -----------------------------------------------------------------------


def test_rule_26_store_report_is_bounded_atomic_and_gets_a_fresh_url(synth):
    """Rule 26, static part: store_report gets the decompression ceiling (maxDecompressedBytes,
    default 8 GiB) and may abort its multipart uploads; the ingest machine sends an expired
    URL back to fetch_document (bounded by a counter). Runtime behaviour: next test."""
    store = q.functions(synth)["store_report"]
    ceiling = int(q.configured(config(synth.stack), "maxDecompressedBytes", 8 * 2**30))
    assert variables(store)["SPAPI_LAKE_MAX_DECOMPRESSED_BYTES"] == str(ceiling)
    lake_objects = "arn:aws:s3:::" + variables(store)["SPAPI_LAKE_BUCKET"] + "/*"
    assert any(
        {"s3:PutObject", "s3:AbortMultipartUpload"} <= set(q.actions(s))
        and q.as_list(s["Resource"]) == [lake_objects]
        for s in q.role_statements(synth, q.function_role(synth, store))
    )
    definition = synth.state_machines()["ingest-report"]
    fetch_arn = q.function_arn(synth, q.functions(synth)["fetch_document"])
    states = definition["States"]
    [(_, store_task)] = [
        (n, t)
        for n, t in q.tasks(definition)
        if q.invoked_function(t) == q.function_arn(synth, store)
    ]
    [expired] = [c for c in store_task["Catch"] if c["ErrorEquals"] == ["DocumentUrlExpiredError"]]
    # From the catch, follow Next/Default/Choices (not Catch) until a fetch_document task.
    seen, frontier, reaches_fetch, bounded = set(), [expired["Next"]], False, False
    while frontier and not reaches_fetch:
        name = frontier.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        reaches_fetch = q.invoked_function(state) == fetch_arn
        bounded |= state["Type"] == "Choice"
        frontier += [n for n in (state.get("Next"), state.get("Default")) if n]
        frontier += [c["Next"] for c in state.get("Choices", [])]
    assert reaches_fetch, "an expired URL never gets back to fetch_document"
    assert bounded, "nothing bounds the URL refreshes"


RUNTIME_TESTS = {
    # Rule 26: a 403 gets a fresh URL; truncated/corrupt gzip leaves nothing; a gzip bomb stops
    # at the ceiling; CANCELLED/FATAL without a document download nothing.
    "tests/unit/test_storing.py": {
        "test_an_expired_url_is_replaced_by_a_fresh_document",
        "test_a_truncated_document_leaves_nothing_in_the_lake",
        "test_a_gzip_bomb_stops_at_the_ceiling_and_leaves_nothing",
        "test_a_cancelled_report_is_recorded_as_no_data_without_any_download",
        "test_a_fatal_report_without_a_document_gets_a_manifest_alone",
    },
    "tests/workflow/test_pipeline.py": {"test_an_expired_url_is_fetched_again"},
    # Rule 27: tokens refreshed a minute before expiry, returned sealed, never in errors.
    "tests/unit/adapters/test_lwa.py": {"test_a_token_is_refreshed_a_minute_before_it_expires"},
    "tests/unit/handlers/test_authenticate.py": {
        "test_the_token_comes_back_sealed_for_its_purpose"
    },
    "tests/unit/adapters/test_spapi_client.py": {
        "test_errors_never_carry_the_access_token_even_when_amazon_echoes_it"
    },
}


@pytest.mark.parametrize("path", sorted(RUNTIME_TESTS))
def test_rules_26_and_27_runtime_behaviour_is_covered_by_these_tests(path):
    """Rules 26 and 27 are runtime behaviour, tested where it happens: the tests cited exist."""
    assert RUNTIME_TESTS[path] <= q.defined_tests(ROOT / path)


def test_rule_27_only_authenticate_seals_tokens_and_no_state_selects_one_unsealed(synth):
    """Rule 27, static part: only authenticate's role may kms:Encrypt for the
    lwa-access-token purpose; no task result keeps a token or URL field that is not sealed."""
    sealers = {
        role["name"]
        for role, s in all_role_statements(synth)
        if "kms:Encrypt" in q.actions(s)
        and s.get("Condition", {}).get("StringEquals", {}).get("kms:EncryptionContext:purpose")
        == "lwa-access-token"
    }
    assert sealers == {role_of(synth, "authenticate")["name"]}
    for machine, definition in synth.state_machines().items():
        for name, task in q.tasks(definition):
            for field in task.get("ResultSelector", {}):
                if re.search(r"token|url|secret", field, re.IGNORECASE):
                    assert field.startswith("sealed"), f"{machine}.{name}: {field}"


# --- Analytics: Glue, Athena and the analyst's policy (rules 2, 4, 15) ------------------------


@pytest.fixture(scope="module")
def catalog_encrypted() -> Synth:
    """Stack dev, opted in to Glue Data Catalog encryption."""
    return run("dev", {**config("dev"), "spapi-lake:glueCatalogEncryption": "true"})


def workgroup(synth: Synth) -> q.Resource:
    [only] = synth.of_type(rules.WORKGROUP)
    return only


def test_analytics_the_workgroup_is_enforced_and_encrypts_results_with_the_stack_key(synth):
    """Rule 2 for query results: engine v3 with the workgroup's configuration enforced (so no
    client can send results elsewhere, leave them unencrypted or lift the scan cutoff), results
    SSE_KMS under the stack key's full ARN."""
    inputs = q.plain(workgroup(synth)["inputs"])
    assert rules.workgroup(inputs) == []
    encryption = inputs["configuration"]["resultConfiguration"]["encryptionConfiguration"]
    assert encryption["kmsKeyArn"] == q.key_arn(synth)


def test_analytics_query_results_land_in_the_lake_bucket_and_expire(synth):
    """Rules 1-5 hold for query results because they are objects of the lake bucket, under its
    policy, encryption and access logs; rule 4: a lifecycle rule expires them."""
    location = workgroup(synth)["inputs"]["configuration"]["resultConfiguration"]["outputLocation"]
    lake = lake_bucket(synth)
    name = synth.registrations[(lake["type"], lake["name"])].outputs["bucket"]
    assert location.startswith(f"s3://{name}/")
    assert S.athena_results(q.stack(synth)) == []


def test_analytics_the_analyst_policy_is_least_privilege(synth):
    """Rule 15 for the analyst's managed policy: no wildcard action, nothing on Resource "*",
    the key named by its ARN and usable only through S3 (and Glue, when the catalog is
    encrypted), for the lake bucket."""
    [policy] = synth.of_type(rules.MANAGED_POLICY)
    assert rules.managed_policy(q.plain(policy["inputs"])) == []
    for statement in q.statements(policy):
        if any(a.startswith("kms:") for a in q.actions(statement)):
            assert q.as_list(statement["Resource"]) == [q.key_arn(synth)]
            assert "kms:ViaService" in q.scoping_conditions(statement)


def test_analytics_decided_exception_glue_catalog_encryption_is_opt_in(synth):
    """Rule 2 for Glue metadata, decided exception: the Data Catalog's encryption setting is one
    per account and region, shared by every catalog user there, so a stack changes it only when
    its config says `glueCatalogEncryption: true` (README). The committed stacks leave it off."""
    opted = q.configured(config(synth.stack), "glueCatalogEncryption", False) is True
    assert len(synth.of_type(rules.CATALOG_ENCRYPTION)) == int(opted)


def test_analytics_an_opted_in_catalog_is_encrypted_with_the_stack_key(catalog_encrypted):
    [settings] = catalog_encrypted.of_type(rules.CATALOG_ENCRYPTION)
    assert rules.catalog_encryption(q.plain(settings["inputs"])) == []
    at_rest = settings["inputs"]["dataCatalogEncryptionSettings"]["encryptionAtRest"]
    assert at_rest["sseAwsKmsKeyId"] == q.key_arn(catalog_encrypted)
    assert S.stack_key(q.stack(catalog_encrypted)) == []


# --- The checks bite -------------------------------------------------------------------------


def _bucket_stack(**overrides: dict) -> tuple[S.Stack, S.Resource]:
    """A one-bucket stack that complies, with `overrides` replacing parts' properties."""
    prefix = "bad-"
    arn = f"arn:aws:s3:::{prefix}0123abcd"
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/68ec3b34-c307-5684-942e-931c576a936f"
    parts = {
        q.PUBLIC_ACCESS: {
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        q.OWNERSHIP: {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        ENCRYPTION: {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": key,
                    },
                    "bucketKeyEnabled": True,
                }
            ]
        },
        q.VERSIONING: {"versioningConfiguration": {"status": "Enabled"}},
        q.LIFECYCLE: {
            "rules": [
                {
                    "status": "Enabled",
                    "filter": {},
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                    "noncurrentVersionExpiration": {"noncurrentDays": 90},
                }
            ]
        },
        q.BUCKET_POLICY: {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ]
                }
            )
        },
    }
    parts.update(overrides)
    bucket = S.Resource("urn:b", q.BUCKET, "b", {"bucketPrefix": prefix, "arn": arn})
    members = [bucket] + [
        S.Resource(f"urn:b-{i}", t, f"b-{i}", {"bucket": arn[13:], **props}, {"bucket": ["urn:b"]})
        for i, (t, props) in enumerate(parts.items())
    ]
    return S.Stack(members), bucket


def test_the_bucket_checks_pass_a_good_bucket_and_fail_each_broken_rule():
    good, bucket = _bucket_stack()
    for check in S.BUCKET_CHECKS[:-1]:  # (rule 5's logging: next test)
        assert check(good, bucket) == [], check.__name__

    open_acls, _ = _bucket_stack(
        **{
            q.PUBLIC_ACCESS: {"blockPublicAcls": False},
            q.OWNERSHIP: {"rule": {"objectOwnership": "ObjectWriter"}},
        }
    )
    assert len(S.bucket_public_access_problems(open_acls, bucket)) == 5
    alias, _ = _bucket_stack(
        **{
            ENCRYPTION: {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": "alias/aws/s3",
                        }
                    }
                ]
            }
        }
    )
    assert len(S.bucket_encryption_problems(alias, bucket)) == 2
    sse_s3 = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    not_a_log_bucket, _ = _bucket_stack(**{ENCRYPTION: sse_s3})
    assert S.bucket_encryption_problems(not_a_log_bucket, bucket) == [
        "SSE-S3 on a bucket that receives no access logs"
    ]
    no_tls, _ = _bucket_stack(**{q.BUCKET_POLICY: {"policy": json.dumps({"Statement": []})}})
    assert S.bucket_tls_problems(no_tls, bucket) != []
    objects_only, _ = _bucket_stack(
        **{
            q.BUCKET_POLICY: {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": "arn:aws:s3:::bad-0123abcd/*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ]
                    }
                )
            }
        }
    )
    assert S.bucket_tls_problems(objects_only, bucket) != []
    sloppy, _ = _bucket_stack(
        **{
            q.VERSIONING: {"versioningConfiguration": {"status": "Suspended"}},
            q.LIFECYCLE: {
                "rules": [
                    {
                        "status": "Enabled",
                        "filter": {},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 30},
                    }
                ]
            },
        }
    )
    assert len(S.bucket_versioning_problems(sloppy, bucket)) == 3
    tidy = {
        "status": "Enabled",
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},  # as the engine sends it
        "noncurrentVersionExpiration": {"noncurrentDays": 90.0},
    }
    read_back = {**tidy, "filter": {"prefix": "", "tag": None}}  # an empty filter, as state
    assert rules.lifecycle({"rules": [read_back]}) == []
    assert len(rules.lifecycle({"rules": [{**tidy, "filter": {"prefix": "logs/"}}]})) == 2


def test_the_policy_checks_flag_wildcards_unscoped_resources_and_public_principals():
    assert q.wildcard_actions({"Effect": "Allow", "Action": "*", "Resource": "*"}) == ["*"]
    assert q.wildcard_actions({"Effect": "Allow", "Action": ["s3:*"], "Resource": "x"}) == ["s3:*"]
    assert q.wildcard_actions({"Effect": "Allow", "NotAction": "iam:*", "Resource": "x"})
    assert q.wildcard_actions({"Effect": "Allow", "Action": "s3:Get*", "Resource": "x"}) == []
    star = {"Effect": "Allow", "Action": ["s3:GetObject", "xray:PutTraceSegments"], "Resource": "*"}
    assert q.unscoped_actions(star, q.UNSCOPABLE) == ["s3:GetObject"]
    kms_star = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:1:key/*"}
    assert q.exact_arn_problems(kms_star, ("kms:",)) == ["arn:aws:kms:*:1:key/*"]
    assert q.public_allow({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"})
    assert q.public_allow({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt"})
    assert not q.public_allow({"Effect": "Deny", "Principal": "*", "Action": "s3:*"})
    unconditioned = {"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}}
    assert q.unconditioned_service_grants(unconditioned, ACCOUNT)
    assert q.unconditioned_service_grants(
        {**unconditioned, "Principal": {"AWS": SP_API_ROOT}}, ACCOUNT
    )
    conditioned = {**unconditioned, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    assert not q.unconditioned_service_grants(conditioned, ACCOUNT)
    open_permission = {
        "type": PERMISSION,
        "name": "p",
        "inputs": {"action": "lambda:InvokeFunction", "principal": "*"},
    }
    assert len(q.permission_problems(open_permission)) == 3


def test_the_function_checks_flag_secrets_in_environments_and_parameters():
    def function(env: dict) -> q.Resource:
        return {"type": FUNCTION, "name": "f", "inputs": {"environment": {"variables": env}}}

    assert q.environment_problems(function({"SPAPI_LAKE_STACK": "dev"})) == []
    assert q.environment_problems(function({"SPAPI_LAKE_SELLER": "Atzr|abc"}))
    assert q.environment_problems(function({"SPAPI_LAKE_CLIENT_SECRET": "abc"}))
    assert q.environment_problems(function({"LWA_ID": "abc"}))
    assert q.environment_problems(function({"SPAPI_LAKE_X": "amzn1.oa2-cs.v1.abc"}))
    assert q.environment_problems(function({"SPAPI_LAKE_X": MASK}))
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/68ec3b34-c307-5684-942e-931c576a936f"

    def parameter(inputs: dict) -> q.Resource:
        return {"type": SSM_PARAMETER, "name": "p", "inputs": inputs}

    assert q.parameter_problems(parameter({"type": "String", "value": "NA"})) == []
    assert q.parameter_problems(parameter({"type": "String", "value": '{"clientSecret": 1}'}))
    assert q.parameter_problems(parameter({"type": "SecureString", "value": "x"}))
    assert q.parameter_problems(
        parameter({"type": "SecureString", "value": "x", "keyId": "alias/aws/ssm"})
    )
    assert (
        q.parameter_problems(parameter({"type": "SecureString", "value": "x", "keyId": key})) == []
    )
    assert q.secret_markers('{"url": "https://x?X-Amz-Signature=abc"}') == ["X-Amz-Signature"]


def test_the_task_checks_flag_each_missing_safeguard():
    good = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:f"},
        "TimeoutSeconds": 60,
        "Retry": [
            {
                "ErrorEquals": sorted(q.LAMBDA_TRANSIENT_ERRORS),
                "BackoffRate": 2.0,
                "MaxAttempts": 3,
                "MaxDelaySeconds": 60,
                "JitterStrategy": "FULL",
            }
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
    }
    assert q.task_problems(good) == []
    assert q.task_problems({**good, "Retry": []})
    throttled = "Lambda.TooManyRequestsException"
    split = [
        {**good["Retry"][0], "ErrorEquals": sorted(q.LAMBDA_TRANSIENT_ERRORS - {throttled})},
        {**good["Retry"][0], "ErrorEquals": [throttled], "MaxAttempts": 12},
    ]
    assert q.task_problems({**good, "Retry": split}) == []
    assert q.task_problems({**good, "Retry": split[:1]}) == [f"does not retry ['{throttled}']"]
    endless = {**good["Retry"][0], "MaxAttempts": 99, "MaxDelaySeconds": 3600}
    assert q.task_problems({**good, "Retry": [endless]}, deadline=86400) == [
        f"{endless['ErrorEquals']}: retries outlast the machine's deadline"
    ]
    slow = {**good["Retry"][0], "BackoffRate": 1.5, "JitterStrategy": "NONE", "MaxAttempts": 999}
    assert len(q.task_problems({**good, "Retry": [slow]})) == 3
    assert q.task_problems({**good, "Retry": [{**good["Retry"][0], "MaxDelaySeconds": None}]})
    assert q.task_problems({**good, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]})
    assert q.task_problems({**good, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "F"}]})
    assert q.task_problems({k: v for k, v in good.items() if k != "TimeoutSeconds"})
    nested = {"States": {"M": {"Type": "Map", "ItemProcessor": {"States": {"T": good}}}}}
    assert q.tasks(nested) == [("T", good)]


def test_the_analytics_checks_flag_a_loose_workgroup_policy_or_catalog():
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/68ec3b34-c307-5684-942e-931c576a936f"
    encryption = {"encryptionOption": "SSE_KMS", "kmsKeyArn": key}
    results = {"outputLocation": "s3://b/athena-results/", "encryptionConfiguration": encryption}
    good = {
        "enforceWorkgroupConfiguration": True,
        "engineVersion": {"selectedEngineVersion": rules.ATHENA_ENGINE},
        "publishCloudwatchMetricsEnabled": True,
        "bytesScannedCutoffPerQuery": 10737418240,
        "resultConfiguration": results,
    }
    assert rules.workgroup({"configuration": good}) == []
    for broken in (
        {"enforceWorkgroupConfiguration": False},
        {"engineVersion": {"selectedEngineVersion": "Athena engine version 2"}},
        {"publishCloudwatchMetricsEnabled": False},
        {"bytesScannedCutoffPerQuery": None},
        {
            "resultConfiguration": {
                **results,
                "encryptionConfiguration": {"encryptionOption": "SSE_S3"},
            }
        },
        {
            "resultConfiguration": {
                **results,
                "encryptionConfiguration": {**encryption, "kmsKeyArn": "alias/x"},
            }
        },
    ):
        assert rules.workgroup({"configuration": {**good, **broken}}), broken

    def policy(*statements: dict) -> dict:
        return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}

    via = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    decrypt = {"Sid": "K", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key]}
    assert rules.managed_policy(policy({**decrypt, "Condition": via})) == []
    assert rules.managed_policy(policy(decrypt)) == [
        "K: ['kms:Decrypt'] without a scoping condition"
    ]
    assert rules.managed_policy(policy({**decrypt, "Resource": "*", "Condition": via}))
    assert rules.managed_policy(
        policy({"Sid": "S", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})
    )

    settings = {
        "encryptionAtRest": {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": key},
        "connectionPasswordEncryption": {
            "returnConnectionPasswordEncrypted": True,
            "awsKmsKeyId": key,
        },
    }
    assert rules.catalog_encryption({"dataCatalogEncryptionSettings": settings}) == []
    off = {**settings, "encryptionAtRest": {"catalogEncryptionMode": "DISABLED"}}
    assert len(rules.catalog_encryption({"dataCatalogEncryptionSettings": off})) == 2


def test_the_results_check_flags_results_that_never_expire_or_leave_the_stack():
    bucket = S.Resource("urn:b", q.BUCKET, "b", {"bucket": "lake-1", "arn": "arn:aws:s3:::lake-1"})

    def lifecycle(*rules_: dict) -> S.Resource:
        return S.Resource("urn:l", q.LIFECYCLE, "l", {"rules": list(rules_)}, {"bucket": ["urn:b"]})

    def group(location: str) -> S.Resource:
        config = {"resultConfiguration": {"outputLocation": location}}
        return S.Resource("urn:w", rules.WORKGROUP, "w", {"configuration": config})

    expire = {
        "status": "Enabled",
        "filter": {"prefix": "athena-results/"},
        "expiration": {"days": 30},
    }
    here = group("s3://lake-1/athena-results/")
    assert S.athena_results(S.Stack([bucket, lifecycle(expire), here])) == []
    tidy = {"status": "Enabled", "filter": {}, "noncurrentVersionExpiration": {"noncurrentDays": 9}}
    assert S.athena_results(S.Stack([bucket, lifecycle(tidy), here])) == [
        S.Violation("urn:w", "query results under s3://lake-1/athena-results/ never expire")
    ]
    elsewhere = group("s3://someone-else/results/")
    assert S.athena_results(S.Stack([bucket, lifecycle(expire), elsewhere])) == [
        S.Violation("urn:w", "results go to 's3://someone-else/results/', not a stack bucket")
    ]


def test_the_protect_check_flags_an_unprotected_key_or_table():
    key = S.Resource("urn:k", q.KEY, "k", {}, protect=True)
    table = S.Resource("urn:t", q.TABLE, "t", {}, protect=False)
    bucket = S.Resource("urn:b", q.BUCKET, "b", {}, protect=False)
    assert S.protected(S.Stack([key, table, bucket])) == [
        S.Violation("urn:t", "not protected (ResourceOptions(protect=True))")
    ]


def test_a_stack_without_its_key_grant_fails_rule_6(synths):
    """The SP-API key grant is what rule 6's test finds; remove it and the lookup comes up empty."""
    synth = synths["dev"]
    doctored = json.loads(json.dumps(synth.resources))
    for resource in doctored:
        if resource["type"] == q.KEY:
            document = json.loads(resource["inputs"]["policy"])
            document["Statement"] = [
                s for s in document["Statement"] if SP_API_ROOT not in q.principals(s)
            ]
            resource["inputs"]["policy"] = json.dumps(document)
    broken = Synth(synth.stack, synth.region, doctored)
    with pytest.raises(AssertionError):
        test_rule_06_the_key_lets_sp_api_encrypt_for_this_queue_only(broken)


def test_a_stack_whose_queue_times_out_too_soon_fails_rule_9(synths):
    synth = synths["dev"]
    doctored = json.loads(json.dumps(synth.resources))
    for resource in doctored:
        if resource["type"] == q.QUEUE and resource["inputs"].get("visibilityTimeoutSeconds"):
            resource["inputs"]["visibilityTimeoutSeconds"] = 30
    with pytest.raises(AssertionError):
        test_rule_09_visibility_timeout_is_at_least_six_times_the_consumer_timeout(
            Synth(synth.stack, synth.region, doctored)
        )
