"""Reading IAM policy documents and Step Functions definitions: the vocabulary of the rules."""

# Standard library only, like the rest of policy/: the policy pack and tests/infra share it.

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

Statement = dict[str, Any]

SP_API_ACCOUNT = "437568002678"
SP_API_ROOT = f"arn:aws:iam::{SP_API_ACCOUNT}:root"
KEY_ARN = re.compile(r"arn:aws:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}")
# Condition keys that tie a service or cross-account grant to our resources (rule 22).
SCOPING_CONDITION_KEYS = re.compile(
    r"(kms:EncryptionContext:.+|aws:SourceArn|aws:SourceAccount|kms:ViaService)", re.IGNORECASE
)
# What runtime tests scan executions and logs for (rule 20), plus what an LWA client secret or a
# refresh-token field looks like, for the static scans of environments and parameters.
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret")
SECRET_LOOKING = (
    *SECRET_MARKERS,
    "clientSecret",
    "amzn1.oa2-cs.",
    "refresh_token",
    "refreshToken",
    "-----BEGIN",
)
LAMBDA_TRANSIENT_ERRORS = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }
)
# "Bounded" is a matter of time: a retrier's worst case must fit in the machine's deadline
# (retry_seconds). The count only guards against typos.
MAX_RETRY_ATTEMPTS = 100


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if is_sequence(value) else [value]


def is_sequence(value: Any) -> bool:
    """Lists, and the read-only views the policy SDK wraps them in."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar in `value` with the path of keys and indexes leading to it."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from leaves(item, (*path, str(key)))
    elif is_sequence(value):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, str(index)))
    else:
        yield path, value


def secret_markers(text: str) -> list[str]:
    return [marker for marker in SECRET_MARKERS if marker in text]


def secret_looking(value: Any) -> list[str]:
    """The SECRET_LOOKING patterns in any string of `value` (JSON text included)."""
    texts = [leaf for _, leaf in leaves(value) if isinstance(leaf, str)]
    return [marker for marker in SECRET_LOOKING if any(marker in text for text in texts)]


# --- IAM -------------------------------------------------------------------------------------


def document(value: Any) -> dict[str, Any]:
    """A policy document, whether the engine holds it as JSON text or as a mapping."""
    return json.loads(value) if isinstance(value, str) else dict(value)


def statements(value: Any) -> list[Statement]:
    return as_list(document(value).get("Statement"))


def actions(statement: Statement) -> list[str]:
    return as_list(statement.get("Action"))


def resources(statement: Statement) -> list[str]:
    return as_list(statement.get("Resource"))


def principals(statement: Statement) -> list[str]:
    """Every principal a statement names; "*" for `"Principal": "*"` or `{"AWS": "*"}`."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    return [p for values in principal.values() for p in as_list(values)]


def public_allow(statement: Statement) -> bool:
    return statement.get("Effect") == "Allow" and "*" in principals(statement)


def wildcard_actions(statement: Statement) -> list[str]:
    """`*`, `svc:*` and NotAction: actions no least-privilege statement grants (rule 15)."""
    found = [a for a in actions(statement) if a == "*" or a.endswith(":*")]
    return found + (["NotAction"] if "NotAction" in statement else [])


def unscoped_actions(statement: Statement, allowed: frozenset[str]) -> list[str]:
    """Actions granted on `Resource: "*"` that are not in `allowed` (rule 15)."""
    if statement.get("Effect") != "Allow":
        return []
    if "*" not in resources(statement) and "NotResource" not in statement:
        return []
    return [a for a in actions(statement) if a not in allowed]


def exact_arn_problems(statement: Statement, prefixes: tuple[str, ...]) -> list[str]:
    """The resources of an Allow of `prefixes` actions that are not exact ARNs (rule 15)."""
    if statement.get("Effect") != "Allow" or not any(
        a.startswith(prefixes) for a in actions(statement)
    ):
        return []
    return [r for r in resources(statement) if "*" in r or "?" in r or not r.startswith("arn:aws:")]


def scoping_conditions(statement: Statement) -> list[str]:
    """The condition keys that tie a grant to our resources or account (rule 22)."""
    keys = [k for operator in statement.get("Condition", {}).values() for k in operator]
    return [k for k in keys if SCOPING_CONDITION_KEYS.fullmatch(k)]


def unconditioned_service_grants(statement: Statement, own_account: str | None) -> bool:
    """An Allow to a service or another account with no scoping condition (rule 22)."""
    if statement.get("Effect") != "Allow":
        return False
    own = f"arn:aws:iam::{own_account}:" if own_account else None
    outside = [
        p
        for p in principals(statement)
        if not (own and (p == f"{own}root" or p.startswith(f"{own}role/")))
    ]
    return bool(outside) and not scoping_conditions(statement)


# --- Step Functions --------------------------------------------------------------------------


def parse_definition(value: Any) -> dict[str, Any]:
    """A state machine's definition, from the JSON text the engine holds."""
    return json.loads(value) if isinstance(value, str) else dict(value)


def machines(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """A definition and every machine nested in it (Map ItemProcessor/Iterator, Parallel)."""
    yield definition
    for state in definition["States"].values():
        nested = [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]
        for machine in filter(None, nested):
            yield from machines(machine)


def tasks(definition: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, state)
        for machine in machines(definition)
        for name, state in machine["States"].items()
        if state["Type"] == "Task"
    ]


def invoked_function(task: Mapping[str, Any]) -> str | None:
    """The Lambda ARN a task invokes (the optimised integration or a bare function ARN)."""
    resource = str(task.get("Resource", ""))
    if resource.startswith("arn:aws:states:::lambda:invoke"):
        return str(task.get("Parameters", {}).get("FunctionName"))
    return resource if ":lambda:" in resource and ":function:" in resource else None


def retry_seconds(retrier: Mapping[str, Any]) -> float:
    """The longest a retrier can wait in all, before jitter shortens any of it."""
    interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds") or float("inf")
    return float(sum(min(interval * rate**n, cap) for n in range(retrier.get("MaxAttempts", 3))))


def task_problems(task: Mapping[str, Any], deadline: float | None = None) -> list[str]:
    """Rule 19 for one task: transient Lambda errors retried with bounded, jittered backoff;
    every retrier bounded (within `deadline`, the machine's, when given); a final Catch of
    States.ALL that keeps the input; a timeout."""
    problems = []
    retriers = task.get("Retry", [])
    # One retrier or several (throttling may get a budget of its own), each with the backoff.
    lambda_retriers = [
        r for r in retriers if set(r.get("ErrorEquals", [])) & LAMBDA_TRANSIENT_ERRORS
    ]
    retried = {e for r in lambda_retriers for e in r["ErrorEquals"]}
    if not retried >= LAMBDA_TRANSIENT_ERRORS:
        problems.append(f"does not retry {sorted(LAMBDA_TRANSIENT_ERRORS - retried)}")
    for r in lambda_retriers:
        if r.get("BackoffRate", 1.0) < 2:
            problems.append(f"BackoffRate {r.get('BackoffRate')} < 2")
        if r.get("JitterStrategy") != "FULL":
            problems.append(f"JitterStrategy {r.get('JitterStrategy')}, not FULL")
    for r in retriers:
        if not 1 <= r.get("MaxAttempts", 3) <= MAX_RETRY_ATTEMPTS:
            problems.append(f"{r['ErrorEquals']}: MaxAttempts {r.get('MaxAttempts')} unbounded")
        if not r.get("MaxDelaySeconds"):
            problems.append(f"{r['ErrorEquals']}: no MaxDelaySeconds")
        elif deadline is not None and retry_seconds(r) > deadline:
            problems.append(f"{r['ErrorEquals']}: retries outlast the machine's deadline")
    catches = task.get("Catch", [])
    if not catches or catches[-1].get("ErrorEquals") != ["States.ALL"]:
        problems.append("does not end in a Catch of States.ALL")
    elif not str(catches[-1].get("ResultPath") or "").startswith("$."):
        problems.append("its States.ALL Catch does not keep the input (ResultPath $.…)")
    if not isinstance(task.get("TimeoutSeconds"), int) or task["TimeoutSeconds"] <= 0:
        problems.append("no TimeoutSeconds")
    return problems


def definition_strings(value: Any) -> Iterator[str]:
    """Every key and string value in a definition."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from definition_strings(v)
    elif is_sequence(value):
        for v in value:
            yield from definition_strings(v)
    elif isinstance(value, str):
        yield value
