"""The spapi-lake stack: reads config once, then builds each component with typed args."""

from __future__ import annotations

import sys
from pathlib import Path

# Pulumi (Pulumi.yaml `main: infra/`), `make synth` and tests/infra run this directory as the
# program, and Python then puts infra/ itself first on sys.path. Put the repository there
# instead: every module of ours is imported as `infra.<module>` (never `lake` or `key`, which a
# ./lake directory from `make demo` shadows), once, under the names mypy checks.
_INFRA = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _INFRA]
if str(_INFRA.parent) not in sys.path:
    sys.path.insert(0, str(_INFRA.parent))

import dataclasses

import pulumi
import pulumi_aws as aws

from infra import lambda_package, stack_config
from infra.analytics import Analytics, AnalyticsArgs
from infra.audit import Audit, AuditArgs
from infra.function_policies import Grantables
from infra.functions import SPECS, Functions, FunctionsArgs, function_name
from infra.key import StackKey, StackKeyArgs
from infra.lake import Lake, LakeArgs
from infra.lwa_secrets import Secrets, SecretsArgs
from infra.monitoring import Monitoring, MonitoringArgs
from infra.notification_queue import NotificationQueue, NotificationQueueArgs
from infra.rate_limits import RateLimitTable, RateLimitTableArgs
from infra.settings import Settings, SettingsArgs, query_parameters
from infra.subscription import Subscription, SubscriptionArgs
from infra.workflows import ScheduledQuery, ScheduledReport, Workflows, WorkflowsArgs

stack = pulumi.get_stack()
deployment = stack_config.load(stack)
config, options = deployment.config, deployment.options
prefix = f"spapi-lake-{stack}"
account = aws.get_caller_identity_output().account_id
region = deployment.aws_region
try:
    queries = query_parameters(deployment.queries, deployment.query_concurrency)
except ValueError as exc:
    raise pulumi.RunError(str(exc)) from None
try:
    artifact = lambda_package.ensure(options.lambda_architecture)
    curate_artifact = lambda_package.ensure(options.lambda_architecture, kind=lambda_package.CURATE)
except lambda_package.PackagingError as exc:
    raise pulumi.RunError(f"{exc}; run `make package` and try again") from None


def arn(service: str, resource: str) -> pulumi.Output[str]:
    """ARNs of resources that reference each other, known before either exists."""
    return pulumi.Output.concat("arn:aws:", service, ":", region, ":", account, ":", resource)


queue_name = f"{prefix}-notifications"
trail_name = f"{prefix}-trail"
ingest_arn = arn("states", f"stateMachine:{prefix}-ingest-report")
query_ingest_arn = arn("states", f"stateMachine:{prefix}-ingest-query")
authenticate_arn = arn("lambda", f"function:{function_name(prefix, 'authenticate')}")
curate_arn = arn("lambda", f"function:{function_name(prefix, 'curate_report')}")

key = StackKey(
    "key",
    StackKeyArgs(
        prefix=prefix,
        account_id=account,
        region=region,
        queue_arn=arn("sqs", queue_name),
        trail_arn=arn("cloudtrail", f"trail/{trail_name}") if options.trail else None,
        log_group_patterns=[
            arn("logs", f"log-group:/aws/lambda/{prefix}-*"),
            arn("logs", f"log-group:/aws/vendedlogs/states/{prefix}-*"),
            arn("logs", f"log-group:/aws/cloudtrail/{prefix}-*"),
        ],
    ),
)
lake = Lake("lake", LakeArgs(prefix, key.arn, account, options.log_retention_days))
rate_limits = RateLimitTable(
    "rate-limits", RateLimitTableArgs(name=f"{prefix}-rate-limits", kms_key_arn=key.arn)
)
secrets = Secrets(
    "secrets",
    SecretsArgs(
        prefix=f"spapi-lake/{stack}",
        kms_key_arn=key.arn,
        seller_ids=[seller.seller_id for seller in config.sellers],
        app_credentials=deployment.app_credentials,
        refresh_tokens=deployment.refresh_tokens,
    ),
)
settings = Settings(
    "settings",
    SettingsArgs(
        path=f"/spapi-lake/{stack}",
        endpoint=config.region.endpoint,
        sellers=deployment.sellers_json,
        reports=deployment.reports_json,
        queries=queries,
    ),
)
queue = NotificationQueue(
    "notifications",
    NotificationQueueArgs(
        name=queue_name,
        kms_key_arn=key.arn,
        consumer_timeout_seconds=SPECS["process_notification"].timeout,
    ),
)
grantables = Grantables(
    stack=stack,
    region=region,
    account_id=account,
    key_arn=key.arn,
    bucket_arn=lake.arn,
    queue_arn=queue.arn,
    ingest_state_machine_arn=ingest_arn,
    query_state_machine_arn=query_ingest_arn,
    authenticate_function_arn=authenticate_arn,
    curate_function_arn=curate_arn,
    lwa_secret_arns=secrets.arns,
    settings_path=settings.path,
    rate_limit_table_arn=rate_limits.arn,
)
functions = Functions(
    "functions",
    FunctionsArgs(
        prefix=prefix,
        artifact=artifact,
        curate_artifact=curate_artifact,
        architecture=options.lambda_architecture,
        kms_key_arn=key.arn,
        log_retention_days=options.log_retention_days,
        queue_arn=queue.arn,
        grantables=grantables,
        environment={
            "stack": stack,
            "region": config.region.name,
            "settings_path": settings.path,
            "app_secret_id": secrets.app_secret_id,
            "seller_secret_prefix": secrets.seller_secret_prefix,
            "kms_key_id": key.arn,
            "bucket": lake.bucket,
            "ingest_state_machine_arn": ingest_arn,
            "query_state_machine_arn": query_ingest_arn,
            "queue_arn": queue.arn,
            "destination_name": prefix,
            "authenticate_function": function_name(prefix, "authenticate"),
            "curate_function": function_name(prefix, "curate_report"),
            "max_decompressed_bytes": str(options.max_decompressed_bytes),
            "reconcile_hours": str(options.reconcile_hours),
            "rate_limit_table": rate_limits.name,
            "throttle_deadline_hours": str(options.throttle_deadline_hours),
            "max_ingest_attempts": str(options.max_ingest_attempts),
        },
    ),
)
secrets.restrict_to([functions.roles[h].arn for h in ("authenticate", "subscribe")])
workflows = Workflows(
    "workflows",
    WorkflowsArgs(
        prefix=prefix,
        account_id=account,
        region=region,
        kms_key_arn=key.arn,
        log_retention_days=options.log_retention_days,
        function_arns={h: f.arn for h, f in functions.functions.items()},
        lambda_timeouts={h: spec.timeout for h, spec in SPECS.items()},
        reports=[
            ScheduledReport(report.report_type, report.schedule)
            for report in config.reports
            if report.schedule
        ],
        reconcile_schedule=options.reconcile_schedule,
        throttle_deadline_hours=options.throttle_deadline_hours,
        queries=[
            ScheduledQuery(query.name, query.schedule)
            for query in deployment.queries
            if query.schedule
        ],
    ),
)
if deployment.app_credentials is not None and len(deployment.refresh_tokens) == len(config.sellers):
    # Without credentials subscribe cannot work yet: README, "Filling the secrets".
    Subscription(
        "subscription",
        SubscriptionArgs(
            function_name=functions.functions["subscribe"].name,
            seller_ids=[seller.seller_id for seller in config.sellers],
            code_sha256=functions.code_sha256,
            ready=[functions.policies["subscribe"], *secrets.values],
        ),
    )
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        prefix=prefix,
        stack=stack,
        region=region,
        account_id=account,
        kms_key_arn=key.arn,
        alarm_email=options.alarm_email,
        queue_name=queue.queue.name,
        dlq_name=queue.dlq.name,
        function_names={h: f.name for h, f in functions.functions.items()},
        state_machine_arns={m: sm.arn for m, sm in workflows.machines.items()},
        ingest_log_group=workflows.log_groups["ingest-report"].name,
        query_log_group=workflows.log_groups["ingest-query"].name,
        app_secret_id=secrets.app_secret_id,
    ),
)
if options.trail:
    Audit(
        "audit",
        AuditArgs(
            trail_name=trail_name,
            trail_arn=arn("cloudtrail", f"trail/{trail_name}"),
            kms_key_arn=key.arn,
            lake_bucket_arn=lake.arn,
            log_bucket=lake.log_bucket,
            log_retention_days=options.log_retention_days,
        ),
    )

analytics = Analytics(
    "analytics",
    AnalyticsArgs(
        prefix=prefix,
        stack=stack,
        region=region,
        account_id=account,
        bucket=lake.bucket,
        bucket_arn=lake.arn,
        kms_key_arn=key.arn,
        seller_ids=tuple(seller.seller_id for seller in config.sellers),
        report_types=tuple(report.report_type for report in config.reports),
        bytes_scanned_cutoff=deployment.analytics.bytes_scanned_cutoff,
        catalog_encryption=deployment.analytics.glue_catalog_encryption,
    ),
)
pulumi.export("glueDatabase", analytics.database)
pulumi.export("athenaWorkgroup", analytics.workgroup.name)
pulumi.export("analystPolicyArn", analytics.policy.arn)

pulumi.export("bucket", lake.bucket)
pulumi.export("queueUrl", queue.url)
pulumi.export("dlqUrl", queue.dlq.url)
pulumi.export("requestReportsStateMachineArn", workflows.machines["request-reports"].arn)
pulumi.export("ingestReportStateMachineArn", workflows.machines["ingest-report"].arn)
pulumi.export("requestQueriesStateMachineArn", workflows.machines["request-queries"].arn)
pulumi.export("ingestQueryStateMachineArn", workflows.machines["ingest-query"].arn)
pulumi.export("appSecretId", secrets.app_secret_id)
pulumi.export("sellerSecretIds", {s: f"{secrets.seller_secret_prefix}{s}" for s in secrets.sellers})
pulumi.export("subscribeFunction", functions.functions["subscribe"].name)
pulumi.export("kmsKeyArn", key.arn)
pulumi.export("rateLimitTable", rate_limits.name)
pulumi.export("dashboardUrl", monitoring.dashboard_url)
pulumi.export("settings", dataclasses.asdict(options))
