"""StepFunctionsWorkflow: execution names, and idempotent starts against moto over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from adapters.stepfunctions_workflow import MAX_NAME, StepFunctionsWorkflow, execution_name
from domain.errors import ConfigError
from domain.model import FinishedReport, ReportStatus, Start
from tests.integration.aws.conftest import ACCOUNT, REGION

VALID = re.compile(r"[A-Za-z0-9_-]{1,80}")
PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
FINISHED = FinishedReport(
    report_id="50000000001",
    report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
    status=ReportStatus.DONE,
    seller_id="A3TH9S8BH6GOGM",
    document_id="amzn1.spdoc.1.4.na.abc",
)
AWKWARD = [
    ("A3TH9S8BH6GOGM", "50000000001"),
    ("amzn1.vendor.account", "50000000001"),
    ("seller with spaces/and*stars", "id:1"),
    ("日本", "1"),
    ("S" * 70, "9" * 30),
    ("", ""),
    ("a-b", "c"),
    ("a", "b-c"),
    ("a.b", "c"),
    ("a_b", "c"),
]


def test_plain_ids_give_a_readable_name() -> None:
    assert execution_name("A3TH9S8BH6GOGM", "50000000001") == "A3TH9S8BH6GOGM-50000000001"


@pytest.mark.parametrize(("owner", "report_id"), AWKWARD)
def test_every_name_fits_the_step_functions_charset_and_length(owner: str, report_id: str) -> None:
    name = execution_name(owner, report_id)

    assert VALID.fullmatch(name), name
    assert execution_name(owner, report_id) == name


def test_distinct_pairs_get_distinct_names_even_when_cleaning_or_truncating() -> None:
    long_pairs = [("S" * 70, f"{n:030}") for n in range(200)]
    pairs = AWKWARD + long_pairs + [("A1", "2"), ("A12", ""), ("A", "12")]

    names = {execution_name(owner, report_id) for owner, report_id in pairs}

    assert len(names) == len(set(pairs))
    assert all(len(name) <= MAX_NAME for name in names)


def test_a_long_name_keeps_a_readable_start() -> None:
    name = execution_name("S" * 70, "9" * 30)
    assert len(name) == MAX_NAME
    assert name.startswith("S" * 60)


@pytest.fixture
def sfn(aws: Callable[[str], Any]) -> Any:
    return aws("stepfunctions")


@pytest.fixture
def machine(sfn: Any) -> str:
    created = sfn.create_state_machine(
        name="spapi-lake-dev-ingest-report",
        definition=json.dumps(PASS),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/spapi-lake-dev-sfn",
    )
    return str(created["stateMachineArn"])


def test_a_duplicate_notification_is_ingested_once(sfn: Any, machine: str) -> None:
    workflow = StepFunctionsWorkflow(sfn, machine)

    assert workflow.start_ingest(FINISHED) is Start.STARTED
    assert workflow.start_ingest(FINISHED) is Start.EXISTS

    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["name"] for e in executions] == ["A3TH9S8BH6GOGM-50000000001"]


def test_the_execution_input_names_the_report_and_holds_nothing_secret(
    sfn: Any, machine: str
) -> None:
    StepFunctionsWorkflow(sfn, machine, start_id=lambda: "start-1").start_ingest(FINISHED)

    execution = sfn.list_executions(stateMachineArn=machine)["executions"][0]
    document = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert document == {
        "sellerId": "A3TH9S8BH6GOGM",
        "reportId": "50000000001",
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "processingStatus": "DONE",
        "reportDocumentId": "amzn1.spdoc.1.4.na.abc",
        "startId": "start-1",
    }


def test_a_vendor_report_is_named_after_its_account(sfn: Any, machine: str) -> None:
    vendor = FinishedReport("7001", "GET_VENDOR_SALES_REPORT", ReportStatus.DONE, account_id="V1")

    assert StepFunctionsWorkflow(sfn, machine).start_ingest(vendor) is Start.STARTED

    assert sfn.list_executions(stateMachineArn=machine)["executions"][0]["name"] == "V1-7001"


def test_a_missing_state_machine_is_a_config_error(sfn: Any) -> None:
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:nowhere"
    with pytest.raises(ConfigError, match="StateMachineDoesNotExist"):
        StepFunctionsWorkflow(sfn, arn).start_ingest(FINISHED)
