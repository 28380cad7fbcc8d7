"""StepFunctionsWorkflow.start_query_ingest: one ingest-query per partner and query, on moto."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from adapters.stepfunctions_workflow import StepFunctionsWorkflow, execution_arn, execution_name
from domain.datakiosk.model import QueryStatus
from domain.datakiosk.notifications import FinishedQuery
from domain.errors import ConfigError
from domain.model import FinishedReport, ReportStatus, Start
from tests.integration.aws.conftest import ACCOUNT, REGION, count_calls

ROLE = f"arn:aws:iam::{ACCOUNT}:role/spapi-lake-dev-sfn"
PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
SELLER, QUERY_ID = "A21CXK3C4ERTY8", "61000000001"
FIRST = f"{SELLER}-{QUERY_ID}"
TOKEN = "AAMA-EFRSURBSGhKZlpVSWVwOW96aU1xa2p6amVJdGp1YlZxMndOelFXa2hydStrUjZvVmFRRWVI"
FINISHED = FinishedQuery(
    query_id=QUERY_ID,
    account_id=f"amzn1.merchant.o.{SELLER}",
    status=QueryStatus.DONE,
    query="query {analytics_economics_2024_03_15 {economics {msku}}}",
    data_document_id="amzn1.tortuga.4.na.doc",
    next_token=TOKEN,
)


@pytest.fixture
def sfn(aws: Callable[[str], Any]) -> Any:
    return aws("stepfunctions")


def _machine(sfn: Any, name: str) -> str:
    created = sfn.create_state_machine(
        # Unique: moto's executing backend is not emptied by a reset.
        name=f"spapi-lake-dev-{name}-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(PASS),
        roleArn=ROLE,
    )
    return str(created["stateMachineArn"])


@pytest.fixture
def machines(sfn: Any) -> tuple[str, str]:
    """ingest-report and ingest-query; moto leaves their executions RUNNING."""
    return _machine(sfn, "ingest-report"), _machine(sfn, "ingest-query")


def _names(sfn: Any, machine: str) -> list[str]:
    return sorted(e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"])


def test_a_finished_query_starts_one_execution_on_the_query_machine(
    sfn: Any, machines: tuple[str, str]
) -> None:
    reports, queries = machines
    workflow = StepFunctionsWorkflow(sfn, reports, query_state_machine_arn=queries)

    assert workflow.start_query_ingest(FINISHED) is Start.STARTED

    assert _names(sfn, queries) == [FIRST]
    assert _names(sfn, reports) == []


def test_the_input_names_the_partner_and_query_and_holds_no_token(
    sfn: Any, machines: tuple[str, str]
) -> None:
    reports, queries = machines
    workflow = StepFunctionsWorkflow(
        sfn, reports, start_id=lambda: "start-1", query_state_machine_arn=queries
    )

    workflow.start_query_ingest(FINISHED)

    described = sfn.describe_execution(executionArn=execution_arn(queries, FIRST))
    assert json.loads(described["input"]) == {
        "sellerId": SELLER,
        "queryId": QUERY_ID,
        "startId": "start-1",
    }
    assert TOKEN not in described["input"]


def test_a_duplicate_query_notification_is_ingested_once(
    sfn: Any, machines: tuple[str, str]
) -> None:
    reports, queries = machines
    workflow = StepFunctionsWorkflow(sfn, reports, query_state_machine_arn=queries)
    workflow.start_query_ingest(FINISHED)

    again = workflow.start_query_ingest(FINISHED)

    assert again is Start.EXISTS
    assert _names(sfn, queries) == [FIRST]


def test_an_aborted_query_ingest_is_restarted_up_to_the_limit(
    sfn: Any, machines: tuple[str, str]
) -> None:
    # given two attempts allowed, the first aborted
    reports, queries = machines
    workflow = StepFunctionsWorkflow(sfn, reports, max_attempts=2, query_state_machine_arn=queries)
    workflow.start_query_ingest(FINISHED)
    sfn.stop_execution(executionArn=execution_arn(queries, FIRST), error="Test", cause="x")

    # when the query is notified again, twice, the second attempt aborted in between
    second = workflow.start_query_ingest(FINISHED)
    sfn.stop_execution(executionArn=execution_arn(queries, f"{FIRST}-a2"), error="Test", cause="x")
    starts = count_calls(sfn, "StartExecution")
    third = workflow.start_query_ingest(FINISHED)

    # then one more attempt ran, and none beyond the limit was even tried
    assert (second, third) == (Start.RESTARTED, Start.EXISTS)
    assert _names(sfn, queries) == [FIRST, f"{FIRST}-a2"]
    assert len(starts) == 2


def test_a_vendor_groups_query_is_named_after_its_account(
    sfn: Any, machines: tuple[str, str]
) -> None:
    reports, queries = machines
    vendor = FinishedQuery(query_id="7", account_id="amzn1.vg.6213651", status=QueryStatus.FATAL)

    StepFunctionsWorkflow(sfn, reports, query_state_machine_arn=queries).start_query_ingest(vendor)

    assert _names(sfn, queries) == [execution_name("amzn1.vg.6213651", "7")]


def test_a_report_and_a_query_with_the_same_id_start_one_execution_each(
    sfn: Any, machines: tuple[str, str]
) -> None:
    reports, queries = machines
    workflow = StepFunctionsWorkflow(sfn, reports, query_state_machine_arn=queries)
    report = FinishedReport(QUERY_ID, "GET_MERCHANT_LISTINGS_ALL_DATA", ReportStatus.DONE, SELLER)

    started = (workflow.start_ingest(report), workflow.start_query_ingest(FINISHED))

    assert started == (Start.STARTED, Start.STARTED)
    assert (_names(sfn, reports), _names(sfn, queries)) == ([FIRST], [FIRST])


def test_without_a_query_machine_a_query_is_a_config_error(
    sfn: Any, machines: tuple[str, str]
) -> None:
    with pytest.raises(ConfigError, match="ingest-query"):
        StepFunctionsWorkflow(sfn, machines[0]).start_query_ingest(FINISHED)


def test_a_missing_query_machine_is_a_config_error(sfn: Any, machines: tuple[str, str]) -> None:
    nowhere = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:nowhere"
    workflow = StepFunctionsWorkflow(sfn, machines[0], query_state_machine_arn=nowhere)

    with pytest.raises(ConfigError, match="StateMachineDoesNotExist"):
        workflow.start_query_ingest(FINISHED)
