"""Alarms to an encrypted SNS topic, a dashboard, and the client-secret rotation reminder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam import allow, service_role

NAMESPACE = "spapi-lake"  # EMF namespace of wiring/observability.py
# Executions that ended in a CurateFailed state (ingest-report's or ingest-query's), as their
# logs record them. The state machines' logs, not a metric of the curate function: only they
# know that the retries are spent, and they also see a curation that never reached our code
# (a timeout, out of memory).
# A metric filter's dimensions can only come from the log line, so each stack gets a namespace.
CURATE_FAILED_METRIC = "CurateFailed"
CURATE_FAILED_PATTERN = (
    '{ ($.type = "ExecutionFailed") && ($.details.error = "CurateFailedError") }'
)
# Amazon requires a new LWA client secret every 180 days; remind a month ahead.
ROTATION_REMINDER = "rate(150 days)"


@dataclass(frozen=True)
class MonitoringArgs:
    prefix: str
    stack: str
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    alarm_email: str | None
    queue_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    function_names: Mapping[str, pulumi.Input[str]]
    state_machine_arns: Mapping[str, pulumi.Input[str]]
    ingest_log_group: pulumi.Input[str]  # ingest-report's execution log (level ALL), by name
    query_log_group: pulumi.Input[str]  # ingest-query's, likewise
    app_secret_id: str
    oldest_message_seconds: int = 3600
    # Rate limits: waiting is normal under load; this much of it means the schedules ask for
    # more reports than SP-API's quotas let through.
    rate_limit_waits_per_hour: int = 500
    oldest_rate_limit_wait_seconds: int = 6 * 3600


class Monitoring(pulumi.ComponentResource):
    """Alarms on the DLQ, failed executions, Lambda errors and throttles, queue age, and the
    pipeline's own metrics (rate-limit waits, restarted ingests, unplaced requests)."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:observability:Monitoring", name, None, opts)
        self._args, self._name = args, name
        self._child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            name=f"{args.prefix}-alarms",
            kms_master_key_id=args.kms_key_arn,
            opts=self._child,
        )
        if args.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarm-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=self._child,
            )
        self.alarms: list[aws.cloudwatch.MetricAlarm] = []
        sqs = "AWS/SQS"
        self._alarm(
            "dlq-depth",
            sqs,
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": args.dlq_name},
            0,
            "Maximum",
            "a notification failed maxReceiveCount times: read it in the DLQ",
        )
        self._alarm(
            "oldest-notification",
            sqs,
            "ApproximateAgeOfOldestMessage",
            {"QueueName": args.queue_name},
            args.oldest_message_seconds,
            "Maximum",
            "notifications are waiting: process_notification is failing or throttled",
        )
        for machine, arn in args.state_machine_arns.items():
            self._alarm(
                f"{machine}-failed",
                "AWS/States",
                "ExecutionsFailed",
                {"StateMachineArn": arn},
                0,
                "Sum",
                f"a {machine} execution failed",
            )
            self._alarm(
                f"{machine}-timed-out",
                "AWS/States",
                "ExecutionsTimedOut",
                {"StateMachineArn": arn},
                0,
                "Sum",
                f"a {machine} execution timed out",
            )
        for handler, function in args.function_names.items():
            slug = handler.replace("_", "-")
            self._alarm(
                f"{slug}-errors",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": function},
                0,
                "Sum",
                f"{handler} raised",
            )
            self._alarm(
                f"{slug}-throttles",
                "AWS/Lambda",
                "Throttles",
                {"FunctionName": function},
                0,
                "Sum",
                f"{handler} hit its reserved concurrency",
            )
        self._pipeline_alarms()
        self._curate_failed_alarm()
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.prefix,
            dashboard_body=pulumi.Output.all(
                args.region,
                args.queue_name,
                args.dlq_name,
                *args.function_names.values(),
                *args.state_machine_arns.values(),
            ).apply(lambda values: json.dumps(_dashboard(args, values))),
            opts=self._child,
        )
        self.dashboard_url = pulumi.Output.concat(
            "https://",
            args.region,
            ".console.aws.amazon.com/cloudwatch/home?region=",
            args.region,
            "#dashboards:name=",
            args.prefix,
        )
        self._rotation_reminder()
        self.register_outputs({"topic": self.topic.arn, "dashboardUrl": self.dashboard_url})

    def _alarm(
        self,
        slug: str,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: float,
        statistic: str,
        description: str,
        period: int = 300,
    ) -> None:
        self.alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{slug}",
                name=f"{self._args.prefix}-{slug}",
                alarm_description=f"spapi-lake {self._args.stack}: {description}",
                namespace=namespace,
                metric_name=metric,
                dimensions=dict(dimensions) or None,
                statistic=statistic,
                period=period,
                evaluation_periods=1,
                threshold=threshold,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                opts=self._child,
            )
        )

    def _pipeline_alarms(self) -> None:
        """On the EMF metrics of wiring/observability.py: Powertools' `service` dimension
        carries the stack name. No data means nothing happened, so none of them fires."""
        args, stack = self._args, {"service": self._args.stack}
        self._alarm(
            "rate-limit-waits",
            NAMESPACE,
            "RateLimitWaits",
            stack,
            args.rate_limit_waits_per_hour,
            "Sum",
            f"reports waiting on a rate limit: over {args.rate_limit_waits_per_hour} waits"
            " in an hour",
            period=3600,
        )
        self._alarm(
            "rate-limit-oldest-wait",
            NAMESPACE,
            "RateLimitOldestWaitSeconds",
            stack,
            args.oldest_rate_limit_wait_seconds,
            "Maximum",
            f"an execution has waited on a rate limit for over"
            f" {args.oldest_rate_limit_wait_seconds // 3600} hours",
        )
        self._alarm(
            "ingests-restarted",
            NAMESPACE,
            "IngestsRestarted",
            stack,
            0,
            "Sum",
            "a failed, timed-out or aborted ingest was started again",
        )
        self._alarm(
            "requests-unplaced",
            NAMESPACE,
            "RequestsUnplaced",
            stack,
            0,
            "Sum",
            "request-reports gave up on report requests at the throttle deadline",
        )

    def _curate_failed_alarm(self) -> None:
        args = self._args
        namespace = curate_failed_namespace(args.stack)
        # One metric from both ingest machines' logs, so one alarm covers reports and pages.
        self.curate_failed_filters = [
            aws.cloudwatch.LogMetricFilter(
                f"{self._name}-{slug}",
                name=f"{args.prefix}-{slug}",
                log_group_name=log_group,
                pattern=CURATE_FAILED_PATTERN,
                metric_transformation={
                    "name": CURATE_FAILED_METRIC,
                    "namespace": namespace,
                    "value": "1",
                    "unit": "Count",
                },
                opts=self._child,
            )
            for slug, log_group in (
                ("curate-failed", args.ingest_log_group),
                ("query-curate-failed", args.query_log_group),
            )
        ]
        self._alarm(
            "curate-failed",
            namespace,
            CURATE_FAILED_METRIC,
            {},
            0,
            "Sum",
            "an ingest-report or ingest-query execution ended in CurateFailed: the raw file and"
            " manifest are kept (reconcile curates a report again); read the execution's cause",
        )

    def _rotation_reminder(self) -> None:
        # Secrets Manager's own rotation needs a rotation function that calls SP-API's
        # rotateApplicationClientSecret; until that exists, a schedule tells the team when.
        args = self._args
        role, _ = service_role(
            f"{self._name}-reminder",
            f"{args.prefix}-reminder-role",
            "scheduler.amazonaws.com",
            [
                allow(["sns:Publish"], [self.topic.arn], "PublishReminder"),
                allow(["kms:GenerateDataKey", "kms:Decrypt"], [args.kms_key_arn], "EncryptedTopic"),
            ],
            self._child,
            args.account_id,
        )
        self.rotation_reminder = aws.scheduler.Schedule(
            f"{self._name}-rotate-client-secret",
            name=f"{args.prefix}-rotate-client-secret",
            description=f"rotate the LWA client secret in {args.app_secret_id}",
            schedule_expression=ROTATION_REMINDER,
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": self.topic.arn,
                "role_arn": role.arn,
                "input": json.dumps(
                    {
                        "subject": "spapi-lake: rotate the LWA client secret",
                        "secret": args.app_secret_id,
                        "how": "README.md, section 'Rotating the LWA client secret'",
                    }
                ),
            },
            opts=self._child,
        )


def _dashboard(args: MonitoringArgs, values: list[str]) -> dict[str, object]:
    region, queue, dlq = values[0], values[1], values[2]
    functions = values[3 : 3 + len(args.function_names)]
    machines = values[3 + len(args.function_names) :]
    stack = {"service": args.stack}

    def widget(title: str, metrics: list[list[object]], stat: str = "Sum") -> dict[str, object]:
        return {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": 300,
                "metrics": metrics,
            },
        }

    curation: list[list[object]] = [
        [NAMESPACE, m, *_flat(stack)]
        for m in ("ReportsCurated", "TablesRefused", "ReportsCuratedAgain")
    ]
    curation.append([curate_failed_namespace(args.stack), CURATE_FAILED_METRIC])
    return {
        "widgets": [
            widget(
                "Reports",
                [
                    [NAMESPACE, m, *_flat(stack)]
                    for m in (
                        "ReportsIngested",
                        "ReportsFailed",
                        "ReportsReused",
                        "ReportsReconciled",
                    )
                ],
            ),
            widget(
                "Bytes and rows ingested",
                [[NAMESPACE, m, *_flat(stack)] for m in ("BytesIngested", "RowsIngested")],
            ),
            widget(
                "End-to-end latency (s)", [[NAMESPACE, "EndToEndLatency", *_flat(stack)]], "p90"
            ),
            widget(
                "Rate limits: waits (sum), oldest wait (max, s)",
                [
                    [NAMESPACE, "RateLimitWaits", *_flat(stack)],
                    [NAMESPACE, "RateLimitOldestWaitSeconds", *_flat(stack), {"stat": "Maximum"}],
                ],
            ),
            widget(
                "Ingests restarted, requests unplaced",
                [[NAMESPACE, m, *_flat(stack)] for m in ("IngestsRestarted", "RequestsUnplaced")],
            ),
            widget(
                "Curation: reports, tables refused, curated again, failed executions",
                curation,
            ),
            widget(
                "Notification queue",
                [
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue],
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq],
                    ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue],
                ],
                "Maximum",
            ),
            widget(
                "Executions",
                [
                    ["AWS/States", m, "StateMachineArn", arn]
                    for arn in machines
                    for m in ("ExecutionsSucceeded", "ExecutionsFailed")
                ],
            ),
            widget(
                "Lambda errors and throttles",
                [
                    ["AWS/Lambda", m, "FunctionName", f]
                    for f in functions
                    for m in ("Errors", "Throttles")
                ],
            ),
            widget(
                "Lambda duration (p90, ms)",
                [["AWS/Lambda", "Duration", "FunctionName", f] for f in functions],
                "p90",
            ),
        ]
    }


def curate_failed_namespace(stack: str) -> str:
    return f"{NAMESPACE}/{stack}"


def _flat(dimensions: Mapping[str, str]) -> list[str]:
    return [part for key, value in dimensions.items() for part in (key, value)]
