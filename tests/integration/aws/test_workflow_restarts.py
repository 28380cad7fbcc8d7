"""StepFunctionsWorkflow restarts a report's failed ingest under a new name, up to a limit."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from adapters.stepfunctions_workflow import (
    MAX_NAME,
    StepFunctionsWorkflow,
    execution_arn,
    execution_name,
)
from domain.model import FinishedReport, ReportStatus, Start
from tests.integration.aws.conftest import ACCOUNT, MotoServer, count_calls

VALID = re.compile(r"[A-Za-z0-9_-]{1,80}")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/spapi-lake-dev-sfn"
PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "DocumentError"}}}
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
SELLER, REPORT_ID = "A3TH9S8BH6GOGM", "50000000001"
FIRST = f"{SELLER}-{REPORT_ID}"
FINISHED = FinishedReport(
    report_id=REPORT_ID,
    report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
    status=ReportStatus.DONE,
    seller_id=SELLER,
    document_id="amzn1.spdoc.1.4.na.abc",
)


@pytest.fixture
def sfn(aws: Callable[[str], Any]) -> Any:
    return aws("stepfunctions")


def _machine(sfn: Any, definition: dict[str, Any]) -> str:
    created = sfn.create_state_machine(
        # Unique: moto's executing backend is not emptied by a reset.
        name=f"spapi-lake-dev-ingest-report-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=ROLE,
    )
    return str(created["stateMachineArn"])


@pytest.fixture
def machine(sfn: Any) -> str:
    """A machine whose executions stay RUNNING until stopped (moto does not run them)."""
    return _machine(sfn, PASS)


@pytest.fixture
def executing(moto_server: MotoServer, aws: Callable[[str], Any]) -> Iterator[None]:
    """moto runs state machines for this test; the shared server is put back afterwards."""
    config = f"{moto_server.url}/moto-api/config"
    httpx.post(config, json={"stepfunctions": {"execute_state_machine": True}}).raise_for_status()
    try:
        yield
    finally:
        off = {"stepfunctions": {"execute_state_machine": False}}
        httpx.post(config, json=off).raise_for_status()


def _names(sfn: Any, machine: str) -> list[str]:
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    return sorted(e["name"] for e in executions)


def _abort(sfn: Any, machine: str, name: str) -> None:
    sfn.stop_execution(executionArn=execution_arn(machine, name), error="Test", cause="aborted")


def _finished(sfn: Any, machine: str, name: str) -> str:
    """The execution's terminal status, once moto has run it to the end."""
    arn = execution_arn(machine, name)
    for _ in range(400):
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status in TERMINAL:
            return status
        time.sleep(0.025)
    raise AssertionError(f"execution {name} did not finish")


def test_a_first_start_is_named_after_the_seller_and_report(sfn: Any, machine: str) -> None:
    started = StepFunctionsWorkflow(sfn, machine).start_ingest(FINISHED)

    assert started is Start.STARTED
    assert _names(sfn, machine) == [FIRST]


def test_a_running_ingest_is_not_started_again(sfn: Any, machine: str) -> None:
    # given an ingest of the report that is still running
    workflow = StepFunctionsWorkflow(sfn, machine)
    workflow.start_ingest(FINISHED)

    # when the report is asked for again
    again = workflow.start_ingest(FINISHED)

    # then the existing execution stands alone
    assert again is Start.EXISTS
    assert _names(sfn, machine) == [FIRST]


def test_an_aborted_ingest_is_restarted_as_a_second_attempt(sfn: Any, machine: str) -> None:
    # given the report's ingest was aborted
    workflow = StepFunctionsWorkflow(sfn, machine, start_id=lambda: "start-2")
    workflow.start_ingest(FINISHED)
    _abort(sfn, machine, FIRST)

    # when the report is asked for again
    again = workflow.start_ingest(FINISHED)

    # then a second attempt runs under its own name, for the same report
    assert again is Start.RESTARTED
    assert _names(sfn, machine) == [FIRST, f"{FIRST}-a2"]
    restarted = sfn.describe_execution(executionArn=execution_arn(machine, f"{FIRST}-a2"))
    assert restarted["status"] == "RUNNING"
    assert json.loads(restarted["input"])["reportId"] == REPORT_ID


def test_a_running_second_attempt_is_not_started_again(sfn: Any, machine: str) -> None:
    workflow = StepFunctionsWorkflow(sfn, machine)
    workflow.start_ingest(FINISHED)
    _abort(sfn, machine, FIRST)
    workflow.start_ingest(FINISHED)

    assert workflow.start_ingest(FINISHED) is Start.EXISTS
    assert _names(sfn, machine) == [FIRST, f"{FIRST}-a2"]


def test_after_max_attempts_failed_nothing_more_is_started(sfn: Any, machine: str) -> None:
    # given three attempts, every one of them aborted
    workflow = StepFunctionsWorkflow(sfn, machine, max_attempts=3)
    for name in (FIRST, f"{FIRST}-a2", f"{FIRST}-a3"):
        assert workflow.start_ingest(FINISHED).began
        _abort(sfn, machine, name)
    starts = count_calls(sfn, "StartExecution")

    # when the report is asked for once more
    again = workflow.start_ingest(FINISHED)

    # then no fourth attempt is made, and none is even tried beyond the three names
    assert again is Start.EXISTS
    assert _names(sfn, machine) == [FIRST, f"{FIRST}-a2", f"{FIRST}-a3"]
    assert len(starts) == 3


@pytest.mark.usefixtures("executing")
def test_a_failed_ingest_is_restarted_as_a_second_attempt(sfn: Any) -> None:
    # given an ingest that FAILED
    machine = _machine(sfn, FAIL)
    workflow = StepFunctionsWorkflow(sfn, machine)
    assert workflow.start_ingest(FINISHED) is Start.STARTED
    assert _finished(sfn, machine, FIRST) == "FAILED"

    # when the report is asked for again
    again = workflow.start_ingest(FINISHED)

    # then a second attempt is started
    assert again is Start.RESTARTED
    assert _names(sfn, machine) == [FIRST, f"{FIRST}-a2"]


@pytest.mark.usefixtures("executing")
def test_a_succeeded_ingest_is_never_restarted(sfn: Any) -> None:
    machine = _machine(sfn, PASS)
    workflow = StepFunctionsWorkflow(sfn, machine)
    workflow.start_ingest(FINISHED)
    assert _finished(sfn, machine, FIRST) == "SUCCEEDED"

    assert workflow.start_ingest(FINISHED) is Start.EXISTS
    assert _names(sfn, machine) == [FIRST]


def test_max_attempts_must_be_at_least_one(sfn: Any, machine: str) -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        StepFunctionsWorkflow(sfn, machine, max_attempts=0)


def test_attempts_after_the_first_add_a_suffix_to_the_readable_name() -> None:
    assert execution_name(SELLER, REPORT_ID, 1) == FIRST
    assert execution_name(SELLER, REPORT_ID, 2) == f"{FIRST}-a2"
    assert execution_name(SELLER, REPORT_ID, 12) == f"{FIRST}-a12"


@pytest.mark.parametrize(
    ("owner", "report_id"),
    [
        (SELLER, REPORT_ID),
        ("S" * 70, "9" * 30),
        ("S" * 40, "9" * 38),  # readable on attempt 1 only: the suffix does not fit
        ("seller with spaces/and*stars", "id:1"),
        ("日本", "1"),
        ("amzn1.vendor.account", "7001"),
    ],
)
def test_every_attempt_has_a_distinct_valid_name_within_80_characters(
    owner: str, report_id: str
) -> None:
    names = [execution_name(owner, report_id, attempt) for attempt in range(1, 21)]

    assert len(set(names)) == len(names)
    assert all(len(name) <= MAX_NAME for name in names), names
    assert all(VALID.fullmatch(name) for name in names), names
    assert all(name.endswith(f"-a{n}") for n, name in enumerate(names[1:], start=2))


def test_long_ids_keep_distinct_names_on_every_attempt() -> None:
    pairs = [("S" * 70, f"{n:030}") for n in range(50)]

    names = {execution_name(o, r, attempt) for o, r in pairs for attempt in (1, 2, 5)}

    assert len(names) == 150
