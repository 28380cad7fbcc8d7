"""Every rule the policy pack enforces, named and described: one list that the pack turns into
policies and tests/infra runs on each committed stack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from policy import rules as r
from policy import stack_rules as s

Check = Callable[[r.Props], list[str]]


@dataclass(frozen=True)
class Rule:
    """A check of one resource's inputs, for the `types` it applies to (empty: every type)."""

    name: str
    description: str  # which checklist rules (shared/security-checklist.md) it enforces
    types: frozenset[str]
    check: Check

    def applies(self, resource_type: str) -> bool:
        if not self.types:
            return resource_type not in r.HOLDS_SECRETS
        return resource_type in self.types


@dataclass(frozen=True)
class StackRule:
    """A check across the stack's resources as deployed (inputs, outputs, dependencies)."""

    name: str
    description: str
    check: s.StackCheck


def _rule(name: str, description: str, check: Check, *types: str) -> Rule:
    return Rule(name, description, frozenset(types), check)


RULES: tuple[Rule, ...] = (
    _rule("s3-public-access-blocked", "1: all four flags", r.public_access_block, r.PUBLIC_ACCESS),
    _rule("s3-acls-disabled", "1: ownership BucketOwnerEnforced", r.ownership, r.OWNERSHIP),
    _rule("s3-bucket-without-acl", "1: no ACL or grants on a bucket", r.bucket, r.BUCKET),
    _rule("s3-no-acl-resources", "1: no BucketAcl", r.acl, r.BUCKET_ACL),
    _rule("s3-sse-kms", "2: SSE-KMS, key ARN, bucket key", r.default_encryption, r.ENCRYPTION),
    _rule("s3-tls-only", "1, 3: no public Allow, TLS only", r.bucket_policy, r.BUCKET_POLICY),
    _rule("s3-versioned", "4: versioning Enabled", r.versioning, r.VERSIONING),
    _rule(
        "s3-lifecycle", "4: uploads aborted ≤ 7 days, old versions expire", r.lifecycle, r.LIFECYCLE
    ),
    _rule(
        "sqs-standard-cmk-redrive", "6, 8: Standard, the stack key, redrive ≥ 5", r.queue, r.QUEUE
    ),
    _rule("sqs-policy-sp-api-only", "7: SP-API sends, roles, no *", r.queue_policy, r.QUEUE_POLICY),
    _rule(
        "lambda-sqs-batch-failures",
        "10: ReportBatchItemFailures, maximum concurrency",
        r.event_source_mapping,
        r.EVENT_SOURCE_MAPPING,
    ),
    _rule(
        "lambda-runtime-and-environment",
        "12, 13: runtime, tracing, limits; environment of names under the key",
        r.function,
        r.FUNCTION,
    ),
    _rule("lambda-permission-scoped", "14: source ARN and account", r.permission, r.PERMISSION),
    _rule("iam-least-privilege", "15: no wildcards, exact ARNs", r.role_policy, r.ROLE_POLICY),
    _rule(
        "iam-managed-policy-least-privilege",
        "15: no wildcards, exact ARNs, the key only through a service (the analyst's policy)",
        r.managed_policy,
        r.MANAGED_POLICY,
    ),
    _rule(
        "sfn-logged-traced-encrypted-retried",
        "17-19: logs ALL, X-Ray, the key, retries, catches, timeouts",
        r.state_machine,
        r.STATE_MACHINE,
    ),
    _rule("no-secret-values", "20: no token, client secret or signed URL", r.no_secret_values),
    _rule("secrets-cmk", "21: secrets under the key", r.secret, r.SECRET),
    _rule("secret-policies-not-public", "21: no public Allow", r.resource_policy, r.SECRET_POLICY),
    _rule("kms-key-hardened", "22: rotation, explicit conditioned policy", r.key, r.KEY),
    _rule(
        "ssm-parameters",
        "23: secrets only as SecureString under the key",
        r.parameter,
        r.SSM_PARAMETER,
    ),
    _rule("cloudtrail-complete", "24: multi-region, validated, KMS, logs, data", r.trail, r.TRAIL),
    _rule("log-groups-cmk-retention", "25: the key and a retention", r.log_group, r.LOG_GROUP),
    _rule(
        "dynamodb-cmk-pitr-protected",
        "rate-limit table: the key, point-in-time recovery, deletion protection",
        r.table,
        r.TABLE,
    ),
    _rule(
        "athena-workgroup-enforced-encrypted",
        "2: engine v3, configuration enforced, results under the key, a scan cutoff",
        r.workgroup,
        r.WORKGROUP,
    ),
    _rule(
        "glue-catalog-encrypted",
        "2: catalog metadata and connection passwords under the key",
        r.catalog_encryption,
        r.CATALOG_ENCRYPTION,
    ),
)
STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "s3-buckets-complete", "1-5: each bucket's parts, TLS on its ARN, access logs", s.buckets
    ),
    StackRule("one-stack-key", "2, 6, 13, 18, 21-25: the stack's one key", s.stack_key),
    StackRule("kms-sp-api-grant", "6: SP-API encrypts for its queue only", s.sp_api_key_grant),
    StackRule("sqs-dlq-visibility-concurrency", "8-10: DLQ, alarm, timeouts", s.queues),
    StackRule(
        "functions-least-privilege",
        "15, 19: a role each; secrets and the rate-limit table for those told of them only",
        s.functions,
    ),
    StackRule("protected", "22: the key and the rate-limit table are protected", s.protected),
    StackRule(
        "athena-results-expire",
        "4: query results in a stack bucket that expires them",
        s.athena_results,
    ),
)
