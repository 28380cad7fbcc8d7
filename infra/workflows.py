"""The state machines (reports and Data Kiosk queries), and the schedules that start them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam import allow, encrypted_log_group, service_role
from infra.state_machines import FunctionArns, State, definitions

# CloudWatch Logs delivery and X-Ray accept no resource ARNs for these actions (AWS docs).
_LOG_DELIVERY = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]
_TRACES = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
]


# The functions the state machines invoke (FunctionArns' fields); each machine's role may invoke
# only those its own definition does (`invoked_by`).
_INVOKED = (
    "authenticate",
    "create_report",
    "fetch_document",
    "store_report",
    "curate_report",
    "run_query",
)


@dataclass(frozen=True)
class ScheduledReport:
    report_type: str
    schedule: str


@dataclass(frozen=True)
class ScheduledQuery:
    name: str  # a Data Kiosk query of the stack file
    schedule: str


@dataclass(frozen=True)
class WorkflowsArgs:
    prefix: str
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    function_arns: Mapping[str, pulumi.Input[str]]  # by handler
    lambda_timeouts: Mapping[str, int]  # by handler, as deployed
    reports: Sequence[ScheduledReport]
    reconcile_schedule: str
    # How long a step may wait for SP-API's rate limits; the machines' timeouts cover it.
    throttle_deadline_hours: int
    queries: Sequence[ScheduledQuery] = ()  # Data Kiosk queries with a schedule
    max_concurrency: int = 5
    max_url_refreshes: int = 3


class Workflows(pulumi.ComponentResource):
    """Standard state machines: KMS-encrypted, traced, logging ALL to an encrypted log group."""

    def __init__(
        self, name: str, args: WorkflowsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:orchestration:Workflows", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        arns = args.function_arns
        definitions_json = pulumi.Output.all(*(arns[h] for h in _INVOKED)).apply(
            lambda resolved: {
                machine: json.dumps(body, indent=2)
                for machine, body in self._definitions(
                    dict(zip(_INVOKED, resolved, strict=True))
                ).items()
            }
        )
        # The same definitions with each function's handler name for its ARN: what each invokes.
        self.invoked = {
            machine: invoked_by(body)
            for machine, body in self._definitions({h: h for h in _INVOKED}).items()
        }
        self.machines: dict[str, aws.sfn.StateMachine] = {}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        for machine in self.invoked:
            self._machine(name, machine, definitions_json.apply(_pick(machine)))
        self._schedules(name)
        self.register_outputs({m: sm.arn for m, sm in self.machines.items()})

    def _definitions(self, arns: Mapping[str, str]) -> dict[str, State]:
        timeouts = {h: self._args.lambda_timeouts[h] for h in _INVOKED}
        return definitions(
            FunctionArns(**{h: arns[h] for h in _INVOKED}, lambda_timeouts=timeouts),
            max_concurrency=self._args.max_concurrency,
            max_url_refreshes=self._args.max_url_refreshes,
            throttle_deadline_hours=self._args.throttle_deadline_hours,
        )

    def _machine(self, name: str, machine: str, definition: pulumi.Output[str]) -> None:
        args = self._args
        full_name = f"{args.prefix}-{machine}"
        arn = pulumi.Output.concat(
            "arn:aws:states:", args.region, ":", args.account_id, ":stateMachine:", full_name
        )
        log_group = encrypted_log_group(
            f"{name}-{machine}-logs",
            f"/aws/vendedlogs/states/{full_name}",
            args.log_retention_days,
            args.kms_key_arn,
            self._child,
        )
        invoked = [args.function_arns[h] for h in self.invoked[machine]]
        role, policy = service_role(
            f"{name}-{machine}",
            f"{full_name}-role",
            "states.amazonaws.com",
            [
                allow(["lambda:InvokeFunction"], invoked, "InvokeItsFunctions"),
                allow(
                    ["kms:Decrypt", "kms:GenerateDataKey"],
                    [args.kms_key_arn],
                    "EncryptExecutionData",
                    {"StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": arn}},
                ),
                allow(_LOG_DELIVERY, ["*"], "DeliverExecutionLogs"),
                allow(_TRACES, ["*"], "SendTraces"),
            ],
            self._child,
            args.account_id,
        )
        self.log_groups[machine] = log_group
        self.machines[machine] = aws.sfn.StateMachine(
            f"{name}-{machine}",
            name=full_name,
            type="STANDARD",
            role_arn=role.arn,
            definition=definition,
            tracing_configuration={"enabled": True},
            logging_configuration={
                "level": "ALL",
                # Safe only because no state carries a secret unsealed (checklist rule 20).
                "include_execution_data": True,
                "log_destination": pulumi.Output.concat(log_group.arn, ":*"),
            },
            encryption_configuration={
                "type": "CUSTOMER_MANAGED_KMS_KEY",
                "kms_key_id": args.kms_key_arn,
                "kms_data_key_reuse_period_seconds": 300,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )

    def _schedules(self, name: str) -> None:
        args = self._args
        request_reports = self.machines["request-reports"].arn
        request_queries = self.machines["request-queries"].arn
        reconcile = args.function_arns["reconcile"]
        role, policy = service_role(
            f"{name}-scheduler",
            f"{args.prefix}-scheduler-role",
            "scheduler.amazonaws.com",
            [
                allow(["states:StartExecution"], [request_reports], "StartRequestReports"),
                allow(["states:StartExecution"], [request_queries], "StartRequestQueries"),
                allow(["lambda:InvokeFunction"], [reconcile], "RunReconcile"),
            ],
            self._child,
            args.account_id,
        )
        after_policy = pulumi.ResourceOptions(parent=self, depends_on=[policy])
        self.schedules: list[aws.scheduler.Schedule] = []
        for index, report in enumerate(args.reports):
            self.schedules.append(
                aws.scheduler.Schedule(
                    f"{name}-report-{index}",
                    name=f"{args.prefix}-report-{index}",
                    description=f"request {report.report_type}",
                    schedule_expression=report.schedule,
                    schedule_expression_timezone="UTC",
                    flexible_time_window={"mode": "OFF"},
                    target={
                        "arn": request_reports,
                        "role_arn": role.arn,
                        "input": json.dumps({"reportTypes": [report.report_type]}),
                        "retry_policy": {"maximum_retry_attempts": 3},
                    },
                    opts=after_policy,
                )
            )
        for index, query in enumerate(args.queries):
            self.schedules.append(
                aws.scheduler.Schedule(
                    f"{name}-query-{index}",
                    name=f"{args.prefix}-query-{index}",
                    description=f"request Data Kiosk query {query.name}",
                    schedule_expression=query.schedule,
                    schedule_expression_timezone="UTC",
                    flexible_time_window={"mode": "OFF"},
                    target={
                        "arn": request_queries,
                        "role_arn": role.arn,
                        "input": json.dumps({"queries": [query.name]}),
                        "retry_policy": {"maximum_retry_attempts": 3},
                    },
                    opts=after_policy,
                )
            )
        self.schedules.append(
            aws.scheduler.Schedule(
                f"{name}-reconcile",
                name=f"{args.prefix}-reconcile",
                description="ingest finished reports whose notification never came",
                schedule_expression=args.reconcile_schedule,
                schedule_expression_timezone="UTC",
                flexible_time_window={"mode": "OFF"},
                target={
                    "arn": reconcile,
                    "role_arn": role.arn,
                    "input": "{}",
                    "retry_policy": {"maximum_retry_attempts": 3},
                },
                opts=after_policy,
            )
        )


def _pick(machine: str) -> Callable[[dict[str, str]], str]:
    return lambda built: built[machine]


def invoked_by(definition: State) -> tuple[str, ...]:
    """The functions a definition's Lambda tasks invoke, nested machines (Map, Parallel)
    included, in the order they first appear."""
    found: dict[str, None] = {}
    for state in definition["States"].values():
        if state["Type"] == "Task":
            found[state["Parameters"]["FunctionName"]] = None
        for nested in (
            state.get("ItemProcessor"),
            state.get("Iterator"),
            *state.get("Branches", []),
        ):
            if nested:
                found.update(dict.fromkeys(invoked_by(nested)))
    return tuple(found)
