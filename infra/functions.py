"""The Lambda functions (HANDLERS): a role, a log group and least-privilege policy for each."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.function_policies import Grantables, statements
from infra.iam import document, encrypted_log_group, trust
from infra.state_machines import (
    CURATE_EPHEMERAL_STORAGE_MB,
    FUNCTION_SPECS,
    HANDLERS,
    QUEUE_MAX_CONCURRENCY,
)
from wiring.cloud_config import NEEDS, VARIABLES

SPECS = FUNCTION_SPECS
# The function that runs DuckDB, from its own artifact (infra/lambda_package.py).
CURATE = "curate_report"
# DuckDB's memory_limit: half the function's memory, the rest for Python, the SDK's transfers
# and what DuckDB allocates outside its buffer pool; beyond it DuckDB spills to /tmp. Two
# threads: Lambda gives a 2048 MB function two vCPUs.
DUCKDB_SETTINGS: Mapping[str, str] = {
    "curate_memory_mb": str(SPECS[CURATE].memory // 2),
    "curate_threads": "2",
}
# Optional variables each function reads beyond what it needs (wiring/cloud_config.py). The
# stack also names the `service` dimension of a function's metrics, which the alarms select.
OPTIONAL: Mapping[str, tuple[str, ...]] = {
    "subscribe": ("stack",),
    "create_report": ("throttle_deadline_hours",),
    "process_notification": ("stack", "max_ingest_attempts"),
    "fetch_document": ("throttle_deadline_hours",),
    "store_report": ("max_decompressed_bytes",),
    "reconcile": ("reconcile_hours", "max_ingest_attempts", "curate_function"),
    CURATE: ("stack", *DUCKDB_SETTINGS),
    "run_query": ("throttle_deadline_hours",),
}


def function_name(prefix: str, handler: str) -> str:
    return f"{prefix}-{handler.replace('_', '-')}"


@dataclass(frozen=True)
class FunctionsArgs:
    prefix: str
    artifact: Path
    curate_artifact: Path  # the main artifact plus DuckDB, for curate_report alone
    architecture: str
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    queue_arn: pulumi.Input[str]
    grantables: Grantables
    environment: Mapping[str, pulumi.Input[str]]  # by cloud_config field name


class Functions(pulumi.ComponentResource):
    """Runtime python3.12, X-Ray active, reserved concurrency, environment of names and ARNs."""

    def __init__(
        self, name: str, args: FunctionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:compute:Functions", name, None, opts)
        self._args = args
        self._environment = {**DUCKDB_SETTINGS, **args.environment}
        digests = {
            a: hashlib.sha256(a.read_bytes()).digest()
            for a in (args.artifact, args.curate_artifact)
        }
        self.code_sha256 = digests[args.artifact].hex()
        self._code_hashes = {a: base64.b64encode(d).decode() for a, d in digests.items()}
        self.functions: dict[str, aws.lambda_.Function] = {}
        self.roles: dict[str, aws.iam.Role] = {}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        self.policies: dict[str, aws.iam.RolePolicy] = {}
        for handler in HANDLERS:
            self._function(name, handler)
        # Only reconcile invokes curate_report asynchronously, and its next sweep asks again:
        # Lambda's own two retries would run a deterministic failure three times per sweep.
        self.curate_async = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-{CURATE}-async",
            function_name=self.functions[CURATE].name,
            maximum_retry_attempts=0,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.event_source = aws.lambda_.EventSourceMapping(
            f"{name}-notifications",
            event_source_arn=args.queue_arn,
            function_name=self.functions["process_notification"].arn,
            batch_size=10,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": QUEUE_MAX_CONCURRENCY},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.policies["process_notification"]]
            ),
        )
        self.register_outputs({h: f.name for h, f in self.functions.items()})

    def _function(self, name: str, handler: str) -> None:
        args, spec = self._args, SPECS[handler]
        artifact = args.curate_artifact if handler == CURATE else args.artifact
        child = pulumi.ResourceOptions(parent=self)
        fname = function_name(args.prefix, handler)
        log_group = encrypted_log_group(
            f"{name}-{handler}-logs",
            f"/aws/lambda/{fname}",
            args.log_retention_days,
            args.kms_key_arn,
            child,
        )
        role = aws.iam.Role(
            f"{name}-{handler}-role",
            name=f"{fname}-role",
            assume_role_policy=trust("lambda.amazonaws.com"),
            opts=child,
        )
        variables = {
            VARIABLES[field]: self._environment[field]
            for field in (*NEEDS[handler], *OPTIONAL.get(handler, ()))
        }
        # The raw file, DuckDB's spill and the Parquet file, on the function's local disk.
        storage = (
            aws.lambda_.FunctionEphemeralStorageArgs(size=CURATE_EPHEMERAL_STORAGE_MB)
            if handler == CURATE
            else None
        )
        function = aws.lambda_.Function(
            f"{name}-{handler}",
            name=fname,
            role=role.arn,
            runtime="python3.12",
            architectures=[args.architecture],
            handler=f"handlers.{handler}.lambda_handler",
            code=pulumi.FileArchive(str(artifact)),
            source_code_hash=self._code_hashes[artifact],
            timeout=spec.timeout,
            memory_size=spec.memory,
            ephemeral_storage=storage,
            reserved_concurrent_executions=spec.concurrency,
            tracing_config={"mode": "Active"},
            kms_key_arn=args.kms_key_arn,
            environment={"variables": variables},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        self.policies[handler] = aws.iam.RolePolicy(
            f"{name}-{handler}-policy",
            role=role.id,
            policy=document(*statements(handler, args.grantables, function.arn, log_group.arn)),
            opts=child,
        )
        self.functions[handler] = function
        self.roles[handler] = role
        self.log_groups[handler] = log_group
