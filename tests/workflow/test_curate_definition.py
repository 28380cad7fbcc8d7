"""ingest-report's CurateReport step, by shape: only after a stored document of a registry type,
its own retries, and a distinct CurateFailed end that keeps the input."""

from __future__ import annotations

from infra.state_machines import (
    CURATE_FAILED_ERROR,
    LAMBDA_THROTTLED,
    LAMBDA_TRANSIENT_ERRORS,
    FunctionArns,
    ingest_report_definition,
)
from tests.workflow.test_definitions import asl_problems, reachable, transitions

ARNS = FunctionArns(
    **{
        name: f"arn:aws:lambda:eu-west-1:111122223333:function:spapi-lake-prod-{name}"
        for name in (
            "authenticate",
            "create_report",
            "fetch_document",
            "store_report",
            "curate_report",
            "run_query",
        )
    }
)
CURATING = ingest_report_definition(ARNS)
STATES = CURATING["States"]


def test_the_curating_definition_is_valid_and_every_state_reaches_an_end():
    assert asl_problems(CURATING) == []
    graph = {name: transitions(state) for name, state in STATES.items()}
    assert reachable(graph, CURATING["StartAt"]) == set(graph)
    ends = {n for n, s in STATES.items() if s.get("End") or s["Type"] == "Fail"}
    assert all(reachable(graph, name) & ends for name in graph)


def test_curate_report_runs_only_when_store_report_says_there_is_something_to_curate():
    assert STATES["StoreReport"]["Next"] == "MayCurate"
    assert STATES["StoreReport"]["ResultSelector"]["curate.$"] == "$.Payload.curate"
    choice = STATES["MayCurate"]
    assert choice["Choices"] == [
        {"Variable": "$.stored.curate", "BooleanEquals": True, "Next": "CurateReport"}
    ]
    # Otherwise straight to Done, which then reports `curated: null`.
    assert STATES[choice["Default"]] == {
        "Type": "Pass",
        "Result": None,
        "ResultPath": "$.curated",
        "Next": "Done",
    }
    assert STATES["Done"]["Parameters"]["curated.$"] == "$.curated"


def test_curate_report_gets_the_manifest_key_and_keeps_only_its_section():
    task = STATES["CurateReport"]
    assert task["Parameters"] == {
        "FunctionName": ARNS.arn("curate_report"),
        "Payload": {"manifestKey.$": "$.stored.manifestKey"},
    }
    assert task["ResultSelector"] == {
        "curatedAt.$": "$.Payload.curatedAt",
        "tables.$": "$.Payload.tables",
    }
    assert task["ResultPath"] == "$.curated"  # $.stored, the raw file's record, stays
    assert task["TimeoutSeconds"] > 900  # the function's own 15 minutes, and the invoke's


def test_curate_report_retries_lambda_faults_and_s3_but_not_a_deterministic_failure():
    retried = {tuple(r["ErrorEquals"]): r["MaxAttempts"] for r in STATES["CurateReport"]["Retry"]}
    assert retried[LAMBDA_TRANSIENT_ERRORS] >= 2
    assert retried[LAMBDA_THROTTLED] >= 30
    assert retried[("AwsServiceError",)] >= 1
    named = {error for errors in retried for error in errors}
    assert not named & {"CurateError", "States.ALL", "States.TaskFailed", "States.Timeout"}


def test_a_failed_curation_ends_in_curate_failed_with_a_distinct_error_and_its_cause():
    [catch] = STATES["CurateReport"]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "CurateFailed"}
    assert STATES["CurateFailed"] == {
        "Type": "Fail",
        "Error": CURATE_FAILED_ERROR,
        "CausePath": "$.error.Cause",
    }
    other_errors = {s.get("Error") for n, s in STATES.items() if n != "CurateFailed"}
    assert CURATE_FAILED_ERROR not in other_errors
    assert CURATE_FAILED_ERROR not in {"CurateError", "AwsServiceError"}
