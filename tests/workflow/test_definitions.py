"""The deployed ASL, checked by shape: valid states, rule 19 on every task, no secrets."""

from __future__ import annotations

import ast
import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import domain.errors
from infra.state_machines import (
    HANDLERS,
    LAMBDA_TRANSIENT_ERRORS,
    FunctionArns,
    definitions,
    ingest_report_definition,
    request_reports_definition,
)

LAMBDA_TIMEOUTS = {
    "authenticate": 20,
    "create_report": 90,
    "fetch_document": 45,
    "store_report": 600,
    "curate_report": 900,
    "run_query": 100,
}
ARNS = FunctionArns(
    **{
        name: f"arn:aws:lambda:eu-west-1:111122223333:function:spapi-lake-prod-{name}"
        for name in LAMBDA_TIMEOUTS
    },
    lambda_timeouts=LAMBDA_TIMEOUTS,
)
HANDLER_BY_ARN = {ARNS.arn(name): name for name in LAMBDA_TIMEOUTS}
DEFINITIONS = definitions(ARNS)
MACHINES = sorted(DEFINITIONS)
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret")
NEVER_RETRIED = {"InvalidGrantError", "InvalidClientError", "States.ALL"}

STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
COMMON = {"Type", "Comment", "InputPath", "OutputPath"}
FLOW = {"Next", "End"}
FIELDS: dict[str, set[str]] = {
    "Task": COMMON
    | FLOW
    | {"Resource", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch"}
    | {"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"},
    "Pass": COMMON | FLOW | {"Result", "ResultPath", "Parameters"},
    "Choice": COMMON | {"Choices", "Default"},
    "Wait": COMMON | FLOW | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
    "Succeed": COMMON,
    "Fail": {"Type", "Comment", "Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": COMMON | FLOW | {"Branches", "ResultPath", "ResultSelector", "Retry", "Catch"},
    "Map": COMMON
    | FLOW
    | {"ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Parameters", "MaxConcurrency"}
    | {"ResultPath", "ResultSelector", "Retry", "Catch", "ToleratedFailurePercentage"},
}
REQUIRED = {"Task": {"Resource"}, "Choice": {"Choices"}, "Parallel": {"Branches"}}
RETRIER_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate"}
RETRIER_FIELDS |= {"MaxDelaySeconds", "JitterStrategy", "Comment"}
CATCHER_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Comment"}
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def machines(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The definition and every nested state machine (Map processors, Parallel branches)."""
    yield definition
    for state in definition["States"].values():
        nested = [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]
        for machine in filter(None, nested):
            yield from machines(machine)


def states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for machine in machines(definition):
        yield from machine["States"].items()


def lambda_tasks(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, s) for name, s in states(definition) if s["Type"] == "Task"]


def transitions(state: dict[str, Any]) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in state.get("Choices", []) + state.get("Catch", [])]
    return [target for target in targets if target]


def reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    reached: set[str] = set()
    frontier = [start]
    while frontier:
        name = frontier.pop()
        if name not in reached:
            reached.add(name)
            frontier += graph[name]
    return reached


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def asl_problems(definition: dict[str, Any]) -> list[str]:
    """A structural ASL validator: what Step Functions would reject at CreateStateMachine."""
    problems: list[str] = []
    for machine in machines(definition):
        if not isinstance(machine.get("States"), dict) or not machine["States"]:
            return ["a machine without States"]
        names = set(machine["States"])
        if machine.get("StartAt") not in names:
            problems.append(f"StartAt {machine.get('StartAt')!r} is not a state")
        for name, state in machine["States"].items():
            problems += [f"{name}: {p}" for p in _state_problems(state, names)]
    return problems


def _state_problems(state: dict[str, Any], names: set[str]) -> list[str]:
    kind = state.get("Type")
    if kind not in STATE_TYPES:
        return [f"unknown Type {kind!r}"]
    problems = [f"unexpected field {key}" for key in set(state) - FIELDS[kind]]
    problems += [f"missing {key}" for key in REQUIRED.get(kind, set()) - set(state)]
    problems += [f"transition to unknown state {t}" for t in transitions(state) if t not in names]
    if kind in {"Task", "Pass", "Wait", "Parallel", "Map"} and ("Next" in state) == bool(
        state.get("End")
    ):
        problems.append("needs exactly one of Next and End")
    if kind == "Map" and not (state.get("ItemProcessor") or state.get("Iterator")):
        problems.append("Map without ItemProcessor")
    if kind == "Choice" and not all("Next" in rule for rule in state["Choices"]):
        problems.append("a choice rule without Next")
    if kind == "Fail" and (
        {"Error", "ErrorPath"} <= set(state) or {"Cause", "CausePath"} <= set(state)
    ):
        problems.append("both a static and a path Error or Cause")
    for position, retrier in enumerate(state.get("Retry", [])):
        problems += [f"Retry[{position}]: {p}" for p in _retrier_problems(retrier)]
    for position, catcher in enumerate(state.get("Catch", [])):
        problems += [f"Catch[{position}]: unexpected {k}" for k in set(catcher) - CATCHER_FIELDS]
        if not catcher.get("ErrorEquals") or "Next" not in catcher:
            problems.append(f"Catch[{position}]: needs ErrorEquals and Next")
    for rules in ("Retry", "Catch"):
        errors = [e for rule in state.get(rules, []) for e in rule.get("ErrorEquals", [])]
        if "States.ALL" in errors and state[rules][-1]["ErrorEquals"] != ["States.ALL"]:
            problems.append(f"States.ALL must stand alone in the last {rules} rule")
    for field in ("InputPath", "OutputPath", "ResultPath", "ItemsPath"):
        if field in state and not (state[field] is None or str(state[field]).startswith("$")):
            problems.append(f"{field} is not a path")
    return problems + _dynamic_value_problems(state)


def _retrier_problems(retrier: dict[str, Any]) -> list[str]:
    problems = [f"unexpected {key}" for key in set(retrier) - RETRIER_FIELDS]
    if not retrier.get("ErrorEquals"):
        problems.append("no ErrorEquals")
    if retrier.get("IntervalSeconds", 1) < 1 or retrier.get("MaxDelaySeconds", 1) < 1:
        problems.append("IntervalSeconds and MaxDelaySeconds must be positive")
    if retrier.get("BackoffRate", 1.0) < 1.0 or retrier.get("MaxAttempts", 0) < 0:
        problems.append("BackoffRate < 1 or negative MaxAttempts")
    if retrier.get("JitterStrategy", "NONE") not in {"FULL", "NONE"}:
        problems.append("JitterStrategy is FULL or NONE")
    return problems


def _dynamic_value_problems(state: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith(".$") and not str(item).startswith(("$", "States.")):
                    found.append(f"{key} is neither a path nor an intrinsic function")
                visit(item)

    visit({k: v for k, v in state.items() if k in {"Parameters", "ResultSelector"}})
    return found


@pytest.mark.parametrize("machine", MACHINES)
def test_the_definitions_are_valid_states_language(machine):
    assert asl_problems(DEFINITIONS[machine]) == []
    assert json.loads(json.dumps(DEFINITIONS[machine])) == DEFINITIONS[machine]


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (lambda d: d["States"].pop("Failed"), "transition to unknown state Failed"),
        (lambda d: d["States"]["Done"].update(Type="Finish"), "unknown Type"),
        (lambda d: d["States"]["Authenticate"].pop("Resource"), "missing Resource"),
        (lambda d: d["States"]["Done"].pop("End"), "needs exactly one of Next and End"),
        (lambda d: d.update(StartAt="Nowhere"), "StartAt 'Nowhere'"),
        (lambda d: d["States"]["Start"].update(Retries=[]), "unexpected field Retries"),
        (lambda d: d["States"]["Done"]["Parameters"].update({"x.$": "x"}), "neither a path"),
    ],
)
def test_the_validator_rejects_a_broken_definition(break_it, complaint):
    broken = copy.deepcopy(DEFINITIONS["ingest-report"])
    break_it(broken)
    assert any(complaint in problem for problem in asl_problems(broken))


@pytest.mark.parametrize("machine", MACHINES)
def test_every_state_is_reachable_and_every_path_ends(machine):
    for nested in machines(DEFINITIONS[machine]):
        graph = {name: transitions(state) for name, state in nested["States"].items()}
        assert reachable(graph, nested["StartAt"]) == set(graph)
        ends = {
            n
            for n, s in nested["States"].items()
            if s.get("End") or s["Type"] in {"Succeed", "Fail"}
        }
        assert ends
        for name in graph:
            assert reachable(graph, name) & ends, f"{name} never reaches an end"


@pytest.mark.parametrize("machine", MACHINES)
def test_every_task_invokes_one_of_our_functions_with_a_payload_template(machine):
    for name, task in lambda_tasks(DEFINITIONS[machine]):
        assert task["Resource"] == LAMBDA_INVOKE, name
        assert task["Parameters"]["FunctionName"] in HANDLER_BY_ARN, name
        assert isinstance(task["Parameters"]["Payload"], dict), name
        # Only the function's payload, field by field, ever enters the state.
        assert all(p.startswith("$.Payload.") for p in task["ResultSelector"].values()), name


@pytest.mark.parametrize("machine", MACHINES)
def test_every_task_retries_transient_lambda_errors_with_bounded_jittered_backoff(machine):
    for name, task in lambda_tasks(DEFINITIONS[machine]):
        assert task["Retry"][0]["ErrorEquals"] == list(LAMBDA_TRANSIENT_ERRORS), name
        for retrier in task["Retry"]:
            assert retrier["BackoffRate"] >= 2, name
            assert retrier["JitterStrategy"] == "FULL", name
            load = retrier["ErrorEquals"] == ["Lambda.TooManyRequestsException"]
            assert 1 <= retrier["MaxAttempts"] <= (40 if load else 10), name
            assert 1 <= retrier["IntervalSeconds"] <= retrier["MaxDelaySeconds"] <= 300, name


@pytest.mark.parametrize("machine", MACHINES)
def test_every_task_outlives_its_function_and_the_machine_has_a_deadline(machine):
    definition = DEFINITIONS[machine]
    # Past the throttle deadline by the time the work itself and its retries may take.
    assert 24 * 3600 < definition["TimeoutSeconds"] <= 25 * 3600
    for name, task in lambda_tasks(definition):
        handler = HANDLER_BY_ARN[task["Parameters"]["FunctionName"]]
        assert LAMBDA_TIMEOUTS[handler] < task["TimeoutSeconds"] < definition["TimeoutSeconds"], (
            name
        )


@pytest.mark.parametrize("machine", MACHINES)
def test_every_task_ends_in_a_catch_all_that_keeps_the_input(machine):
    for name, task in lambda_tasks(DEFINITIONS[machine]):
        last = task["Catch"][-1]
        assert last["ErrorEquals"] == ["States.ALL"], name
        # "$" or null would replace the input, and with it the request the failure is about.
        assert last["ResultPath"].startswith("$."), name


@pytest.mark.parametrize("machine", MACHINES)
def test_failures_carry_an_error_and_a_cause(machine):
    fails = [s for _, s in states(DEFINITIONS[machine]) if s["Type"] == "Fail"]
    assert fails
    for fail in fails:
        assert {"Error", "ErrorPath"} & set(fail)
        assert {"Cause", "CausePath"} & set(fail)


@pytest.mark.parametrize("machine", MACHINES)
def test_auth_failures_are_never_retried(machine):
    for name, task in lambda_tasks(DEFINITIONS[machine]):
        retried = {e for retrier in task["Retry"] for e in retrier["ErrorEquals"]}
        assert not retried & NEVER_RETRIED, name


def test_throttling_and_broken_downloads_are_retried_where_they_happen():
    def retried(definition: dict[str, Any], state: str) -> set[str]:
        task = dict(states(definition))[state]
        return {e for retrier in task["Retry"] for e in retrier["ErrorEquals"]}

    request, ingest = DEFINITIONS["request-reports"], DEFINITIONS["ingest-report"]
    for definition, state in [
        (request, "Plan"),
        (request, "Authenticate"),
        (request, "Place"),
        (ingest, "Authenticate"),
        (ingest, "FetchDocument"),
    ]:
        assert {"ThrottledError", "SpApiServerError"} <= retried(definition, state), state
    assert {"DocumentDownloadError", "CorruptDocumentError"} <= retried(ingest, "StoreReport")


@pytest.mark.parametrize("machine", MACHINES)
def test_domain_errors_named_in_retry_and_catch_exist(machine):
    named = {
        error
        for _, state in states(DEFINITIONS[machine])
        for rule in state.get("Retry", []) + state.get("Catch", [])
        for error in rule["ErrorEquals"]
        if not error.startswith(("States.", "Lambda."))
    }
    named |= {s["Error"] for _, s in states(DEFINITIONS[machine]) if "Error" in s}
    assert named
    for error in named:
        assert isinstance(getattr(domain.errors, error, None), type), error
        assert issubclass(getattr(domain.errors, error), domain.errors.SpApiLakeError), error


@pytest.mark.parametrize("machine", MACHINES)
def test_no_secret_in_a_definition(machine):
    text = json.dumps(DEFINITIONS[machine])
    assert not [marker for marker in SECRET_MARKERS if marker in text]


def test_maps_run_with_bounded_concurrency():
    maps = [
        s
        for _, s in states(request_reports_definition(ARNS, max_concurrency=3))
        if s["Type"] == "Map"
    ]
    assert [m["MaxConcurrency"] for m in maps] == [3]
    assert all(
        0 < s["MaxConcurrency"] <= 40
        for _, s in states(DEFINITIONS["request-reports"])
        if s["Type"] == "Map"
    )


def test_the_map_output_holds_no_token():
    item_states = dict(states(DEFINITIONS["request-reports"]))
    finals = [s for s in item_states.values() if s.get("End") and s["Type"] == "Pass"]
    assert finals
    for final in finals:
        assert not [text for text in strings(final) if "auth" in text or "sealedToken" in text]


def test_options_reach_the_definitions():
    request = request_reports_definition(ARNS, timeout_seconds=900, retry_interval_seconds=3)
    ingest = ingest_report_definition(ARNS, max_url_refreshes=7, max_retry_delay_seconds=30)
    assert request["TimeoutSeconds"] == 900
    assert {r["IntervalSeconds"] for _, t in lambda_tasks(request) for r in t["Retry"]} == {3}
    assert {r["MaxDelaySeconds"] for _, t in lambda_tasks(ingest) for r in t["Retry"]} == {30}
    limits = [
        c["NumericLessThanEquals"]
        for _, s in states(ingest)
        for c in s.get("Choices", [])
        if "NumericLessThanEquals" in c
    ]
    assert limits == [7]


@pytest.mark.parametrize(
    "options",
    [
        {"max_concurrency": 0},
        {"max_url_refreshes": -1},
        {"retry_interval_seconds": 0},
        {"retry_interval_seconds": 90, "max_retry_delay_seconds": 60},
    ],
)
def test_options_step_functions_would_reject_or_misread_are_refused(options):
    with pytest.raises(ValueError, match=r"must|need"):
        definitions(ARNS, **options)


def test_function_arns_fall_back_to_the_default_timeouts():
    arns = FunctionArns("a", "c", "f", "s", "u", "q", lambda_timeouts={"store_report": 300})
    assert arns.task_timeout("store_report") > 300
    assert (
        arns.task_timeout("authenticate")
        > FunctionArns("a", "c", "f", "s", "u", "q").lambda_timeouts["authenticate"]
    )
    assert set(LAMBDA_TIMEOUTS) <= set(HANDLERS)


def test_the_module_imports_only_the_standard_library():
    # The Pulumi program and the tests both import it: no pulumi, no project code.
    source = Path(__file__).resolve().parents[2] / "infra" / "state_machines.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add(str(node.module).split(".")[0])
    assert imported <= sys.stdlib_module_names | {"__future__"}


@pytest.mark.parametrize("machine", MACHINES)
def test_throttling_never_spends_a_retry_budget_it_waits_in_a_wait_state(machine):
    definition = DEFINITIONS[machine]
    for name, task in lambda_tasks(definition):
        for retrier in task["Retry"]:
            assert "RateLimitedError" not in retrier["ErrorEquals"], name
    waits = {name: s for name, s in states(definition) if s["Type"] == "Wait"}
    assert {"WaitForToken", "WaitBriefly"} <= set(waits)
    for wait in waits.values():
        assert wait["SecondsPath"].endswith(".pace.waitSeconds")
    # After a long wait the token is sealed again: the wait may outlast it.
    assert waits["WaitForToken"]["Next"] == "Authenticate"
    assert waits["WaitBriefly"]["Next"] in ("FetchDocument", "Place", "Create", "Fetch")
    if "WaitNextForToken" in waits:  # ingest-query's next page
        assert waits["WaitNextForToken"]["Next"] == "AuthenticateNext"
        assert waits["WaitNextBriefly"]["Next"] == "CreateNext"


def test_lambda_throttles_have_a_budget_of_their_own_that_outlasts_a_burst():
    for machine in MACHINES:
        for name, task in lambda_tasks(DEFINITIONS[machine]):
            [throttled] = [
                r for r in task["Retry"] if r["ErrorEquals"] == ["Lambda.TooManyRequestsException"]
            ]
            assert throttled["MaxAttempts"] >= 30, name
