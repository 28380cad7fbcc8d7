"""The shared rate limit as deployed: the table the adapter expects, the settings each function
reads, machines that outlast the throttle deadline, and alarms on the pipeline's metrics."""

from __future__ import annotations

import json

import pytest

from domain.deployment import DeployOptions
from infra.monitoring import NAMESPACE
from infra.synth import Synth, run, stack_config
from tests.infra import resources as q

# DeployOptions field → (stack-file key, variable, the functions that read it)
SETTINGS = {
    "throttle_deadline_hours": (
        "throttleDeadlineHours",
        "SPAPI_LAKE_THROTTLE_DEADLINE_HOURS",
        {"create_report", "fetch_document", "run_query"},
    ),
    "max_ingest_attempts": (
        "maxIngestAttempts",
        "SPAPI_LAKE_MAX_INGEST_ATTEMPTS",
        {"process_notification", "reconcile"},
    ),
}
# metric → (statistic, period, threshold) of its alarm, in namespace spapi-lake.
ALARMS = {
    "RateLimitWaits": ("Sum", 3600, 500),
    "RateLimitOldestWaitSeconds": ("Maximum", 300, 6 * 3600),
    "IngestsRestarted": ("Sum", 300, 0),
    "RequestsUnplaced": ("Sum", 300, 0),
}


def variables(function: q.Resource) -> dict[str, str]:
    return function["inputs"]["environment"]["variables"]


def option(synth: Synth, field: str) -> int:
    key = SETTINGS[field][0]
    return int(q.configured(stack_config(synth.stack), key, getattr(DeployOptions(), field)))


def test_the_table_has_the_layout_the_adapter_reads_and_writes(synth):
    """adapters/dynamodb_rate_limit.py: one item per bucket (string key `bucket`), idle items
    expired by TTL on `expires_at`; on demand; one table per stack, named after it."""
    [table] = synth.of_type(q.TABLE)
    inputs = table["inputs"]
    assert q.physical(table) == f"spapi-lake-{synth.stack}-rate-limits"
    assert inputs["billingMode"] == "PAY_PER_REQUEST"
    assert inputs["hashKey"] == "bucket"
    assert "rangeKey" not in inputs
    assert inputs["attributes"] == [{"name": "bucket", "type": "S"}]
    assert inputs["ttl"] == {"attributeName": "expires_at", "enabled": True}
    for handler in ("subscribe", "create_report", "fetch_document", "reconcile", "run_query"):
        function = q.functions(synth)[handler]
        assert variables(function)["SPAPI_LAKE_RATE_LIMIT_TABLE"] == q.physical(table), handler


@pytest.mark.parametrize("field", sorted(SETTINGS))
def test_the_throttle_deadline_and_ingest_attempts_reach_the_functions_that_read_them(synth, field):
    _, variable, readers = SETTINGS[field]
    environments = {h: variables(f) for h, f in q.functions(synth).items()}
    held = {h: env[variable] for h, env in environments.items() if variable in env}
    assert held == dict.fromkeys(readers, str(option(synth, field)))


def test_every_function_names_its_stack_so_its_metrics_reach_the_stacks_alarms(synth):
    """Powertools puts SPAPI_LAKE_STACK in each metric's `service` dimension, which the alarms
    select: without it, process_notification's IngestsRestarted would never alarm."""
    for handler, function in q.functions(synth).items():
        assert variables(function)["SPAPI_LAKE_STACK"] == synth.stack, handler


def test_every_machine_outlasts_the_throttle_deadline(synth):
    deadline = option(synth, "throttle_deadline_hours") * 3600
    for machine, definition in synth.state_machines().items():
        assert definition["TimeoutSeconds"] > deadline, machine


def test_a_longer_deadline_and_fewer_attempts_reach_the_functions_and_the_machines():
    config = {
        **stack_config("dev"),
        "spapi-lake:throttleDeadlineHours": "72",
        "spapi-lake:maxIngestAttempts": "2",
    }
    synth = run("dev", config)
    functions = q.functions(synth)
    assert variables(functions["fetch_document"])["SPAPI_LAKE_THROTTLE_DEADLINE_HOURS"] == "72"
    assert variables(functions["run_query"])["SPAPI_LAKE_THROTTLE_DEADLINE_HOURS"] == "72"
    assert variables(functions["reconcile"])["SPAPI_LAKE_MAX_INGEST_ATTEMPTS"] == "2"
    for machine, definition in synth.state_machines().items():
        assert definition["TimeoutSeconds"] > 72 * 3600, machine


def test_the_pipeline_metrics_alarm_on_the_stacks_service_dimension(synth):
    [topic] = synth.of_type(q.TOPIC)
    alarms = {
        a["inputs"]["metricName"]: a["inputs"]
        for a in synth.of_type(q.ALARM)
        if a["inputs"]["namespace"] == NAMESPACE
    }
    assert sorted(alarms) == sorted(ALARMS)
    for metric, (statistic, period, threshold) in ALARMS.items():
        alarm = alarms[metric]
        assert alarm["dimensions"] == {"service": synth.stack}, metric
        assert (alarm["statistic"], alarm["period"], alarm["threshold"]) == (
            statistic,
            period,
            threshold,
        ), metric
        assert alarm["comparisonOperator"] == "GreaterThanThreshold", metric
        assert alarm["evaluationPeriods"] == 1, metric
        assert alarm["treatMissingData"] == "notBreaching", metric
        assert alarm["alarmActions"] == [q.topic_arn(synth, topic)], metric


def test_the_dashboard_charts_the_pipeline_metrics(synth):
    [dashboard] = synth.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard["inputs"]["dashboardBody"])
    charted = {
        line[1]: line
        for widget in body["widgets"]
        for line in widget["properties"]["metrics"]
        if line[0] == NAMESPACE
    }
    for metric in ALARMS:
        assert charted[metric][2:4] == ["service", synth.stack], metric
    assert charted["RateLimitOldestWaitSeconds"][-1] == {"stat": "Maximum"}
