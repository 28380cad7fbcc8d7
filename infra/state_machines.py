"""The request-reports and ingest-report state machines as Amazon States Language dicts."""

# Standard library only: the Pulumi program imports this as a sibling module and the workflow
# tests import it as `infra.state_machines`, so both deploy and test the very same definitions.

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

State = dict[str, Any]

HANDLERS = (
    "subscribe",
    "authenticate",
    "create_report",
    "process_notification",
    "fetch_document",
    "store_report",
    "reconcile",
)

# Lambda timeouts the functions are deployed with; infra reads these too, so that every task's
# TimeoutSeconds stays longer than its function's timeout (security checklist rule 19).
DEFAULT_LAMBDA_TIMEOUTS: Mapping[str, int] = {
    "authenticate": 30,
    "create_report": 120,  # planning pages through getReports under a token bucket
    "fetch_document": 60,
    "store_report": 900,  # streams a whole report into S3
}


@dataclass(frozen=True)
class FunctionSpec:
    timeout: int
    memory: int
    concurrency: int  # reserved: bounds SP-API load and protects the account's other functions


# How each function is deployed; LocalCloud runs the same pool sizes.
FUNCTION_SPECS: Mapping[str, FunctionSpec] = {
    "subscribe": FunctionSpec(300, 256, 1),
    "authenticate": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["authenticate"], 256, 10),
    "create_report": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["create_report"], 256, 5),
    "process_notification": FunctionSpec(60, 256, 5),
    "fetch_document": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["fetch_document"], 256, 10),
    # Network throughput grows with memory; the stream itself needs little.
    "store_report": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["store_report"], 1024, 10),
    "reconcile": FunctionSpec(600, 256, 1),
}
# Below process_notification's reserved concurrency, so SQS polling is never throttled.
QUEUE_MAX_CONCURRENCY = 4
# Room for cold start and invoke overhead on top of the function's own timeout.
TASK_TIMEOUT_MARGIN_SECONDS = 30

LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
# Domain error class names (src/domain/errors.py): Step Functions matches on them.
SP_API_TRANSIENT_ERRORS = ("ThrottledError", "SpApiServerError")
DOWNLOAD_TRANSIENT_ERRORS = ("DocumentDownloadError", "CorruptDocumentError")
URL_EXPIRED_ERROR = "DocumentUrlExpiredError"

LAMBDA_MAX_ATTEMPTS = 3
SP_API_MAX_ATTEMPTS = 8  # with BackoffRate 2 and MaxDelaySeconds 60, outlasts a 60 s refill
DOWNLOAD_MAX_ATTEMPTS = 3
BACKOFF_RATE = 2.0


@dataclass(frozen=True)
class FunctionArns:
    """The functions the workflows invoke, and the timeouts they are deployed with."""

    authenticate: str
    create_report: str
    fetch_document: str
    store_report: str
    lambda_timeouts: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_LAMBDA_TIMEOUTS)
    )

    def arn(self, handler: str) -> str:
        return str(getattr(self, handler))

    def task_timeout(self, handler: str) -> int:
        lambda_timeout = self.lambda_timeouts.get(handler, DEFAULT_LAMBDA_TIMEOUTS[handler])
        return lambda_timeout + TASK_TIMEOUT_MARGIN_SECONDS


@dataclass(frozen=True)
class _Tasks:
    """Builds Lambda tasks that all follow rule 19: timeout, bounded jittered retries, Catch."""

    arns: FunctionArns
    interval_seconds: int
    max_delay_seconds: int

    def __post_init__(self) -> None:
        # Step Functions rejects 0 here, and MaxDelaySeconds below the interval is a typo.
        if not 1 <= self.interval_seconds <= self.max_delay_seconds:
            raise ValueError("need 1 <= retry_interval_seconds <= max_retry_delay_seconds")

    def retrier(self, errors: tuple[str, ...], attempts: int) -> State:
        return {
            "ErrorEquals": list(errors),
            "IntervalSeconds": self.interval_seconds,
            "BackoffRate": BACKOFF_RATE,
            "MaxAttempts": attempts,
            "MaxDelaySeconds": self.max_delay_seconds,
            "JitterStrategy": "FULL",
        }

    def invoke(
        self,
        handler: str,
        payload: State,
        *,
        result: State,
        result_path: str,
        next_state: str,
        on_error: str,
        retry: tuple[tuple[tuple[str, ...], int], ...] = (),
        catch: tuple[State, ...] = (),
    ) -> State:
        """`result` selects fields of the function's return value (paths relative to it)."""
        return {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": self.arns.arn(handler), "Payload": payload},
            "TimeoutSeconds": self.arns.task_timeout(handler),
            # Name each field the function returns, so nothing unexpected flows into state.
            "ResultSelector": {
                key: "$.Payload" + path.removeprefix("$") for key, path in result.items()
            },
            "ResultPath": result_path,
            "Retry": [
                self.retrier(LAMBDA_TRANSIENT_ERRORS, LAMBDA_MAX_ATTEMPTS),
                *(self.retrier(errors, attempts) for errors, attempts in retry),
            ],
            "Catch": [
                *catch,
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": on_error},
            ],
            "Next": next_state,
        }


def _fail_with_cause(error: str | None = None) -> State:
    state: State = {"Type": "Fail", "CausePath": "$.error.Cause"}
    if error:
        state["Error"] = error
    else:
        state["ErrorPath"] = "$.error.Error"
    return state


def request_reports_definition(
    arns: FunctionArns,
    *,
    max_concurrency: int = 5,
    timeout_seconds: int = 3600,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
) -> State:
    """Plan the due report requests, then create each one; one failed request fails no other."""
    if max_concurrency < 1:
        # MaxConcurrency 0 means unbounded to Step Functions, which SP-API quotas cannot take.
        raise ValueError("max_concurrency must be at least 1")
    tasks = _Tasks(arns, retry_interval_seconds, max_retry_delay_seconds)
    sp_api = ((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),)
    per_request = {
        "Authenticate": tasks.invoke(
            "authenticate",
            {"sellerId.$": "$.request.sellerId"},
            result={"sealedToken.$": "$.sealedToken"},
            result_path="$.auth",
            next_state="CreateReport",
            on_error="RecordFailure",
            retry=sp_api,
        ),
        "CreateReport": tasks.invoke(
            "create_report",
            {"action": "create", "request.$": "$.request", "sealedToken.$": "$.auth.sealedToken"},
            result={"reportId.$": "$.reportId", "reused.$": "$.reused"},
            result_path="$.created",
            next_state="RecordReport",
            on_error="RecordFailure",
            retry=sp_api,
        ),
        # The two record states shape each item's output; neither copies $.auth, so the sealed
        # token never reaches the Map's result or the execution's output.
        "RecordReport": {
            "Type": "Pass",
            "Parameters": {
                "report": {
                    "reportId.$": "$.created.reportId",
                    "reused.$": "$.created.reused",
                    "request.$": "$.request",
                }
            },
            "End": True,
        },
        "RecordFailure": {
            "Type": "Pass",
            "Parameters": {
                "failure": {
                    "request.$": "$.request",
                    "error.$": "$.error.Error",
                    "cause.$": "$.error.Cause",
                }
            },
            "End": True,
        },
    }
    return {
        "Comment": "Plan report requests, then createReport for each (bounded concurrency).",
        "TimeoutSeconds": timeout_seconds,
        "StartAt": "Plan",
        "States": {
            "Plan": tasks.invoke(
                "create_report",
                {"action": "plan", "input.$": "$"},
                result={"requests.$": "$.requests"},
                result_path="$.plan",
                next_state="CreateReports",
                on_error="PlanFailed",
                retry=sp_api,
            ),
            "CreateReports": {
                "Type": "Map",
                "ItemsPath": "$.plan.requests",
                "ItemSelector": {"request.$": "$$.Map.Item.Value"},
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Authenticate",
                    "States": per_request,
                },
                "ResultPath": "$.results",
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MapFailed"}
                ],
                "Next": "Summarise",
            },
            # A wildcard path skips items without the key and yields [] when none has it, in
            # Step Functions and in moto alike (a filter expression fails in moto on no match).
            "Summarise": {
                "Type": "Pass",
                "Parameters": {
                    "reports.$": "$.results[*].report",
                    "failures.$": "$.results[*].failure",
                },
                "End": True,
            },
            "PlanFailed": _fail_with_cause(),
            "MapFailed": _fail_with_cause(),
        },
    }


def ingest_report_definition(
    arns: FunctionArns,
    *,
    max_url_refreshes: int = 3,
    timeout_seconds: int = 3600,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
) -> State:
    """Fetch one finished report's document and store it; an expired URL is fetched anew."""
    if max_url_refreshes < 0:
        raise ValueError("max_url_refreshes must not be negative")
    tasks = _Tasks(arns, retry_interval_seconds, max_retry_delay_seconds)
    sp_api = ((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),)
    return {
        "Comment": "Authenticate, getReportDocument, then download and store the report.",
        "TimeoutSeconds": timeout_seconds,
        "StartAt": "Start",
        "States": {
            # A counter object rather than a bare number: Parameters must produce an object.
            "Start": {
                "Type": "Pass",
                "Result": {"count": 0},
                "ResultPath": "$.urlRefreshes",
                "Next": "Authenticate",
            },
            "Authenticate": tasks.invoke(
                "authenticate",
                {"sellerId.$": "$.sellerId"},
                result={"sealedToken.$": "$.sealedToken"},
                result_path="$.auth",
                next_state="FetchDocument",
                on_error="Failed",
                retry=sp_api,
            ),
            "FetchDocument": tasks.invoke(
                "fetch_document",
                {
                    "sellerId.$": "$.sellerId",
                    "reportId.$": "$.reportId",
                    "sealedToken.$": "$.auth.sealedToken",
                },
                result={"report.$": "$.report", "document.$": "$.document"},
                result_path="$.fetched",
                next_state="StoreReport",
                on_error="Failed",
                retry=sp_api,
            ),
            "StoreReport": tasks.invoke(
                "store_report",
                {
                    "sellerId.$": "$.sellerId",
                    "report.$": "$.fetched.report",
                    "document.$": "$.fetched.document",
                },
                result={
                    "outcome.$": "$.outcome",
                    "manifestKey.$": "$.manifestKey",
                    "dataKey.$": "$.dataKey",
                    "bytes.$": "$.bytes",
                    "rows.$": "$.rows",
                },
                result_path="$.stored",
                next_state="Done",
                on_error="Failed",
                retry=((DOWNLOAD_TRANSIENT_ERRORS, DOWNLOAD_MAX_ATTEMPTS),),
                catch=(
                    {
                        "ErrorEquals": [URL_EXPIRED_ERROR],
                        "ResultPath": "$.error",
                        "Next": "CountUrlRefresh",
                    },
                ),
            ),
            "CountUrlRefresh": {
                "Type": "Pass",
                "Parameters": {"count.$": "States.MathAdd($.urlRefreshes.count, 1)"},
                "ResultPath": "$.urlRefreshes",
                "Next": "MayRefreshUrl",
            },
            "MayRefreshUrl": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.urlRefreshes.count",
                        "NumericLessThanEquals": max_url_refreshes,
                        # Through Authenticate: the sealed token may be older than the URL.
                        "Next": "Authenticate",
                    }
                ],
                "Default": "UrlExpired",
            },
            # Only what the caller needs: the token and the sealed URL stay behind.
            "Done": {
                "Type": "Pass",
                "Parameters": {
                    "sellerId.$": "$.sellerId",
                    "reportId.$": "$.reportId",
                    "urlRefreshes.$": "$.urlRefreshes.count",
                    "stored.$": "$.stored",
                },
                "End": True,
            },
            "UrlExpired": _fail_with_cause(URL_EXPIRED_ERROR),
            "Failed": _fail_with_cause(),
        },
    }


def definitions(
    arns: FunctionArns,
    *,
    max_concurrency: int = 5,
    max_url_refreshes: int = 3,
    timeout_seconds: int = 3600,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
) -> dict[str, State]:
    """Both state machines, keyed by the name the stack gives them."""
    retries = {
        "timeout_seconds": timeout_seconds,
        "retry_interval_seconds": retry_interval_seconds,
        "max_retry_delay_seconds": max_retry_delay_seconds,
    }
    return {
        "request-reports": request_reports_definition(
            arns, max_concurrency=max_concurrency, **retries
        ),
        "ingest-report": ingest_report_definition(
            arns, max_url_refreshes=max_url_refreshes, **retries
        ),
    }
