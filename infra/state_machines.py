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
    "curate_report",
    "run_query",
)

# Lambda timeouts the functions are deployed with; infra reads these too, so that every task's
# TimeoutSeconds stays longer than its function's timeout (security checklist rule 19).
DEFAULT_LAMBDA_TIMEOUTS: Mapping[str, int] = {
    "authenticate": 30,
    "create_report": 120,  # planning pages through getReports under a token bucket
    "fetch_document": 60,
    "store_report": 900,  # streams a whole report into S3
    "curate_report": 900,  # a whole report through DuckDB into Parquet
    "run_query": 120,  # getQueries to count the partner's running queries, then createQuery
}


@dataclass(frozen=True)
class FunctionSpec:
    timeout: int
    memory: int
    concurrency: int  # reserved: bounds SP-API load and protects the account's other functions


# How each function is deployed; LocalCloud runs the same pool sizes. SP-API's limits are kept
# by the shared rate-limit table, not by these: they only keep a burst of reports (hundreds of
# executions at once) from throttling the functions, and bound the account's concurrency.
FUNCTION_SPECS: Mapping[str, FunctionSpec] = {
    "subscribe": FunctionSpec(300, 256, 1),
    "authenticate": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["authenticate"], 256, 25),
    "create_report": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["create_report"], 256, 10),
    "process_notification": FunctionSpec(60, 256, 5),
    "fetch_document": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["fetch_document"], 256, 25),
    # Network throughput grows with memory; the stream itself needs little.
    "store_report": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["store_report"], 1024, 20),
    "reconcile": FunctionSpec(600, 256, 1),
    # DuckDB's memory_limit is a share of this (infra/functions.py), so a report of any size
    # spills to /tmp instead of running out of memory; 2048 MB also buys a second vCPU.
    "curate_report": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["curate_report"], 2048, 10),
    # Data Kiosk: plan, create a page, fetch a finished one (small calls under shared limits).
    "run_query": FunctionSpec(DEFAULT_LAMBDA_TIMEOUTS["run_query"], 256, 10),
}
# Curation's local disk: the raw file, DuckDB's spill and the Parquet file, for reports up to the
# default decompression ceiling (8 GiB). Lambda's maximum; billed only for the seconds used.
CURATE_EPHEMERAL_STORAGE_MB = 10240
# Below process_notification's reserved concurrency, so SQS polling is never throttled.
QUEUE_MAX_CONCURRENCY = 4
# Room for cold start and invoke overhead on top of the function's own timeout.
TASK_TIMEOUT_MARGIN_SECONDS = 30

LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
)
# A function at its reserved concurrency is load, not a fault: like a rate limit, it only waits.
# Its own budget, with delays capped at MaxDelaySeconds, outlasts any burst (about 35 minutes).
LAMBDA_THROTTLED = ("Lambda.TooManyRequestsException",)
LAMBDA_THROTTLED_MAX_ATTEMPTS = 40
# Domain error class names (src/domain/errors.py): Step Functions matches on them.
SP_API_TRANSIENT_ERRORS = ("ThrottledError", "SpApiServerError")
DOWNLOAD_TRANSIENT_ERRORS = ("DocumentDownloadError", "CorruptDocumentError")
URL_EXPIRED_ERROR = "DocumentUrlExpiredError"
# An S3 fault outlasting the SDK's own retries; anything else in curation is deterministic
# (the same file fails the same way), so it ends the execution in CurateFailed at once.
CURATE_TRANSIENT_ERRORS = ("AwsServiceError",)
# The execution's error when curation failed: the raw file and manifest stay, an alarm fires
# (infra/monitoring.py) and reconcile curates the report again later.
CURATE_FAILED_ERROR = "CurateFailedError"
# A query the notification called finished is not yet terminal in getQuery: ask again shortly.
QUERY_NOT_READY_ERRORS = ("QueryNotReadyError",)
QUERY_NOT_READY_MAX_ATTEMPTS = 5
# A page's context is recorded just after createQuery returns; its notification can come first.
# Past these attempts (about 30 s) the query is not this stack's: NotOurs.
QUERY_CONTEXT_MISSING = "QueryContextMissingError"
QUERY_CONTEXT_MAX_ATTEMPTS = 4

LAMBDA_MAX_ATTEMPTS = 3
# Rate limits never spend this budget: a step hands long waits to a Wait state (pacing). What is
# left is 5xx, transport failures and the rare 429 that outlasts the function's own waits.
SP_API_MAX_ATTEMPTS = 6
DOWNLOAD_MAX_ATTEMPTS = 3
CURATE_MAX_ATTEMPTS = 2
DEFAULT_THROTTLE_DEADLINE_HOURS = 24
# On top of the throttle deadline: the work itself, and the retries of faults.
EXECUTION_MARGIN_SECONDS = 3600
BACKOFF_RATE = 2.0


@dataclass(frozen=True)
class FunctionArns:
    """The functions the workflows invoke, and the timeouts they are deployed with."""

    authenticate: str
    create_report: str
    fetch_document: str
    store_report: str
    curate_report: str
    run_query: str
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
                self.retrier(LAMBDA_THROTTLED, LAMBDA_THROTTLED_MAX_ATTEMPTS),
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


# Waits up to this long go straight back to the step, with the token sealed before them.
SHORT_WAIT_SECONDS = 300


def _wait_for_token(pace_path: str, next_state: str) -> State:
    """The execution waits for its reserved token here, billed nothing."""
    return {"Type": "Wait", "SecondsPath": f"{pace_path}.waitSeconds", "Next": next_state}


def _must_wait(
    pace_path: str, default: str, brief: str = "WaitBriefly", long: str = "WaitForToken"
) -> State:
    """A short wait keeps the sealed token (it lives at least 10 minutes after Authenticate);
    a longer one seals a new token after it. A token that expires anyway comes back as a pause
    (AccessTokenExpiredError), which goes through Authenticate too."""
    return {
        "Type": "Choice",
        "Choices": [
            {
                "And": [
                    {"Variable": f"{pace_path}.waiting", "BooleanEquals": True},
                    {
                        "Variable": f"{pace_path}.waitSeconds",
                        "NumericLessThanEquals": SHORT_WAIT_SECONDS,
                    },
                    {"Variable": f"{pace_path}.ticket", "IsNull": False},
                    {"Variable": f"{pace_path}.authenticate", "BooleanEquals": False},
                ],
                "Next": brief,
            },
            {"Variable": f"{pace_path}.waiting", "BooleanEquals": True, "Next": long},
        ],
        "Default": default,
    }


def execution_timeout(throttle_deadline_hours: int) -> int:
    return throttle_deadline_hours * 3600 + EXECUTION_MARGIN_SECONDS


def request_reports_definition(
    arns: FunctionArns,
    *,
    max_concurrency: int = 5,
    timeout_seconds: int | None = None,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
    throttle_deadline_hours: int = DEFAULT_THROTTLE_DEADLINE_HOURS,
) -> State:
    """Plan the due report requests, then place each seller's and report type's group: one
    getReports for reuse, then createReport as the shared rate limit allows, waiting in a Wait
    state. Any request left unplaced (rejected, or still waiting at the deadline) fails the
    execution with the list, after every other group has been placed."""
    if max_concurrency < 1:
        # MaxConcurrency 0 means unbounded to Step Functions, which SP-API quotas cannot take.
        raise ValueError("max_concurrency must be at least 1")
    tasks = _Tasks(arns, retry_interval_seconds, max_retry_delay_seconds)
    sp_api = ((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),)
    per_group = {
        "Authenticate": _authenticate(tasks, "Place", on_error="GroupFailed"),
        "Place": tasks.invoke(
            "create_report",
            {
                "action": "place",
                "sellerId.$": "$.sellerId",
                "placement.$": "$.progress.placement",
                "pace.$": "$.progress.pace",
                "sealedToken.$": "$.auth.sealedToken",
            },
            result={"placement.$": "$.placement", "pace.$": "$.pace"},
            result_path="$.progress",
            next_state="MustWait",
            on_error="GroupFailed",
            retry=sp_api,
        ),
        "MustWait": _must_wait("$.progress.pace", "GroupPlaced"),
        "WaitBriefly": _wait_for_token("$.progress.pace", "Place"),
        # Through Authenticate again: a wait may outlast the sealed token.
        "WaitForToken": _wait_for_token("$.progress.pace", "Authenticate"),
        # Neither record state copies $.auth: the sealed token never reaches the output.
        "GroupPlaced": {
            "Type": "Pass",
            "Parameters": {
                "placed.$": "$.progress.placement.placed",
                "failed.$": "$.progress.placement.failed",
            },
            "End": True,
        },
        "GroupFailed": {
            "Type": "Pass",
            "Parameters": {
                "placed.$": "$.progress.placement.placed",
                "failed.$": "$.progress.placement.failed",
                "error": {
                    "error.$": "$.error.Error",
                    "cause.$": "$.error.Cause",
                    "pending.$": "$.progress.placement.pending",
                },
            },
            "End": True,
        },
    }
    return {
        "Comment": "Plan report requests, then place each seller's and type's group (paced).",
        "TimeoutSeconds": timeout_seconds or execution_timeout(throttle_deadline_hours),
        "StartAt": "Plan",
        "States": {
            "Plan": tasks.invoke(
                "create_report",
                {"action": "plan", "input.$": "$"},
                result={"groups.$": "$.groups"},
                result_path="$.plan",
                next_state="PlaceGroups",
                on_error="PlanFailed",
                retry=sp_api,
            ),
            "PlaceGroups": {
                "Type": "Map",
                "ItemsPath": "$.plan.groups",
                "ItemSelector": {
                    "sellerId.$": "$$.Map.Item.Value.sellerId",
                    "progress": {"placement.$": "$$.Map.Item.Value.placement", "pace": None},
                },
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Authenticate",
                    "States": per_group,
                },
                "ResultPath": "$.results",
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MapFailed"}
                ],
                "Next": "Summarise",
            },
            # A function flattens the groups' lists: JSONPath cannot do it when they are empty.
            "Summarise": tasks.invoke(
                "create_report",
                {"action": "summarise", "results.$": "$.results"},
                result={
                    "reports.$": "$.reports",
                    "failures.$": "$.failures",
                    "unplaced.$": "$.unplaced",
                },
                result_path="$.summary",
                next_state="AllPlaced",
                on_error="MapFailed",
            ),
            "AllPlaced": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.summary.unplaced",
                        "NumericGreaterThan": 0,
                        "Next": "DescribeUnplaced",
                    }
                ],
                "Default": "Placed",
            },
            "Placed": {
                "Type": "Pass",
                "Parameters": {
                    "reports.$": "$.summary.reports",
                    "failures.$": "$.summary.failures",
                },
                "End": True,
            },
            "DescribeUnplaced": {
                "Type": "Pass",
                "Parameters": {"cause.$": "States.JsonToString($.summary)"},
                "Next": "RequestsUnplaced",
            },
            # Visible: the execution fails (an alarm fires) and its cause lists every request.
            "RequestsUnplaced": {
                "Type": "Fail",
                "Error": "RequestsUnplacedError",
                "CausePath": "$.cause",
            },
            "PlanFailed": _fail_with_cause(),
            "MapFailed": _fail_with_cause(),
        },
    }


def ingest_report_definition(
    arns: FunctionArns,
    *,
    max_url_refreshes: int = 3,
    timeout_seconds: int | None = None,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
    throttle_deadline_hours: int = DEFAULT_THROTTLE_DEADLINE_HOURS,
) -> State:
    """Fetch one finished report's document and store it; an expired URL is fetched anew.

    FetchDocument runs getReport once (the report is carried in `$.fetched`) and calls
    getReportDocument only with its token in hand; a longer wait goes through WaitForToken.
    CurateReport then writes the registry's Parquet tables of a stored document; when it
    fails, the execution ends in CurateFailed.
    """
    if max_url_refreshes < 0:
        raise ValueError("max_url_refreshes must not be negative")
    tasks = _Tasks(arns, retry_interval_seconds, max_retry_delay_seconds)
    sp_api = ((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),)
    return {
        "Comment": "Authenticate, getReport and getReportDocument (paced), download, store "
        "and curate.",
        "TimeoutSeconds": timeout_seconds or execution_timeout(throttle_deadline_hours),
        "StartAt": "Start",
        "States": {
            "Start": _count_url_refreshes_from_zero("Prepare"),
            "Prepare": {
                "Type": "Pass",
                "Result": {"report": None, "document": None, "pace": None},
                "ResultPath": "$.fetched",
                "Next": "Authenticate",
            },
            "Authenticate": _authenticate(tasks, "FetchDocument", on_error="Failed"),
            "FetchDocument": tasks.invoke(
                "fetch_document",
                {
                    "sellerId.$": "$.sellerId",
                    "reportId.$": "$.reportId",
                    "sealedToken.$": "$.auth.sealedToken",
                    "report.$": "$.fetched.report",
                    "pace.$": "$.fetched.pace",
                },
                result={"report.$": "$.report", "document.$": "$.document", "pace.$": "$.pace"},
                result_path="$.fetched",
                next_state="MustWait",
                on_error="Failed",
                retry=sp_api,
            ),
            "MustWait": _must_wait("$.fetched.pace", "StoreReport"),
            "WaitBriefly": _wait_for_token("$.fetched.pace", "FetchDocument"),
            # Through Authenticate again: a wait may outlast the sealed token.
            "WaitForToken": _wait_for_token("$.fetched.pace", "Authenticate"),
            "StoreReport": _store(tasks, {"report.$": "$.fetched.report"}),
            # The report stays in $.fetched, so only getReportDocument runs again.
            **_url_refresh_states(max_url_refreshes),
            **_curate_states(tasks, "Done"),
            # Only what the caller needs: the token and the sealed URL stay behind.
            "Done": {
                "Type": "Pass",
                "Parameters": {
                    "sellerId.$": "$.sellerId",
                    "reportId.$": "$.reportId",
                    "urlRefreshes.$": "$.urlRefreshes.count",
                    "rateLimitWaits.$": "$.fetched.pace.waits",
                    "stored.$": "$.stored",
                    "curated.$": "$.curated",
                },
                "End": True,
            },
            "UrlExpired": _fail_with_cause(URL_EXPIRED_ERROR),
            "Failed": _fail_with_cause(),
        },
    }


def _authenticate(tasks: _Tasks, next_state: str, *, on_error: str) -> State:
    """A fresh sealed access token for `$.sellerId` at `$.auth` (never in the output)."""
    return tasks.invoke(
        "authenticate",
        {"sellerId.$": "$.sellerId"},
        result={"sealedToken.$": "$.sealedToken"},
        result_path="$.auth",
        next_state=next_state,
        on_error=on_error,
        retry=((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),),
    )


def _store(tasks: _Tasks, what: State, more: tuple[str, ...] = ()) -> State:
    """store_report on the fetched document of `what` (a report, or a query page): a broken
    download is retried, an expired URL goes to CountUrlRefresh; then MayCurate."""
    fields = ("outcome", "manifestKey", "dataKey", "bytes", "rows", "curate", *more)
    return tasks.invoke(
        "store_report",
        {"sellerId.$": "$.sellerId", **what, "document.$": "$.fetched.document"},
        result={f"{name}.$": f"$.{name}" for name in fields},
        result_path="$.stored",
        next_state="MayCurate",
        on_error="Failed",
        retry=((DOWNLOAD_TRANSIENT_ERRORS, DOWNLOAD_MAX_ATTEMPTS),),
        catch=(
            {
                "ErrorEquals": [URL_EXPIRED_ERROR],
                "ResultPath": "$.error",
                "Next": "CountUrlRefresh",
            },
        ),
    )


def _count_url_refreshes_from_zero(next_state: str) -> State:
    # A counter object rather than a bare number: Parameters must produce an object.
    return {
        "Type": "Pass",
        "Result": {"count": 0},
        "ResultPath": "$.urlRefreshes",
        "Next": next_state,
    }


def _url_refresh_states(max_url_refreshes: int) -> dict[str, State]:
    """After a store step's DocumentUrlExpiredError: count it, and go back for a fresh URL
    through Authenticate (the sealed token may be older than the URL), at most
    `max_url_refreshes` times; then UrlExpired."""
    return {
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
                    "Next": "Authenticate",
                }
            ],
            "Default": "UrlExpired",
        },
    }


def _curate_states(tasks: _Tasks, next_state: str) -> dict[str, State]:
    """After the store step: the curated tables of a stored document the registry knows (the
    store step's `curate` flag). A failure keeps the raw file and the manifest."""
    return {
        "MayCurate": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.stored.curate", "BooleanEquals": True, "Next": "CurateReport"}
            ],
            "Default": "NotCurated",
        },
        "NotCurated": {
            "Type": "Pass",
            "Result": None,
            "ResultPath": "$.curated",
            "Next": next_state,
        },
        "CurateReport": tasks.invoke(
            "curate_report",
            {"manifestKey.$": "$.stored.manifestKey"},
            result={"curatedAt.$": "$.curatedAt", "tables.$": "$.tables"},
            result_path="$.curated",
            next_state=next_state,
            on_error="CurateFailed",
            retry=((CURATE_TRANSIENT_ERRORS, CURATE_MAX_ATTEMPTS),),
        ),
        "CurateFailed": _fail_with_cause(CURATE_FAILED_ERROR),
    }


def request_queries_definition(
    arns: FunctionArns,
    *,
    max_concurrency: int = 5,
    timeout_seconds: int | None = None,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
    throttle_deadline_hours: int = DEFAULT_THROTTLE_DEADLINE_HOURS,
) -> State:
    """Plan the due Data Kiosk queries, then create each first page: within the shared rate
    limit and the partner's concurrency limit, waiting in Wait states (never failing for load).
    Each page's notification then starts ingest-query. A page that could not be created fails
    the execution with the list, after every other page was created."""
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    tasks = _Tasks(arns, retry_interval_seconds, max_retry_delay_seconds)
    sp_api = ((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),)
    per_page = {
        "Authenticate": _authenticate(tasks, "Create", on_error="PageFailed"),
        "Create": tasks.invoke(
            "run_query",
            {
                "action": "create",
                "sellerId.$": "$.sellerId",
                "request.$": "$.request",
                "pace.$": "$.progress.pace",
                "sealedToken.$": "$.auth.sealedToken",
            },
            result={"queryId.$": "$.queryId", "last.$": "$.last", "pace.$": "$.pace"},
            result_path="$.progress",
            next_state="MustWait",
            on_error="PageFailed",
            retry=sp_api,
        ),
        "MustWait": _must_wait("$.progress.pace", "PageCreated"),
        "WaitBriefly": _wait_for_token("$.progress.pace", "Create"),
        "WaitForToken": _wait_for_token("$.progress.pace", "Authenticate"),
        # Neither copies $.auth: the sealed token never reaches the output.
        "PageCreated": {
            "Type": "Pass",
            "Parameters": {
                "sellerId.$": "$.sellerId",
                "request.$": "$.request",
                "queryId.$": "$.progress.queryId",
            },
            "End": True,
        },
        "PageFailed": {
            "Type": "Pass",
            "Parameters": {
                "sellerId.$": "$.sellerId",
                "request.$": "$.request",
                "queryId": None,
                "error": {"error.$": "$.error.Error", "cause.$": "$.error.Cause"},
            },
            "End": True,
        },
    }
    return {
        "Comment": "Plan Data Kiosk queries, then create each first page (paced, within slots).",
        "TimeoutSeconds": timeout_seconds or execution_timeout(throttle_deadline_hours),
        "StartAt": "Plan",
        "States": {
            "Plan": tasks.invoke(
                "run_query",
                {"action": "plan", "input.$": "$"},
                result={"pages.$": "$.pages"},
                result_path="$.plan",
                next_state="CreatePages",
                on_error="PlanFailed",
                retry=sp_api,
            ),
            "CreatePages": {
                "Type": "Map",
                "ItemsPath": "$.plan.pages",
                "ItemSelector": {
                    "sellerId.$": "$$.Map.Item.Value.sellerId",
                    "request.$": "$$.Map.Item.Value.request",
                    "progress": {"queryId": None, "last": False, "pace": None},
                },
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Authenticate",
                    "States": per_page,
                },
                "ResultPath": "$.results",
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MapFailed"}
                ],
                "Next": "Summarise",
            },
            "Summarise": tasks.invoke(
                "run_query",
                {"action": "summarise", "results.$": "$.results"},
                result={
                    "created.$": "$.created",
                    "failed.$": "$.failed",
                    "failures.$": "$.failures",
                },
                result_path="$.summary",
                next_state="AllCreated",
                on_error="MapFailed",
            ),
            "AllCreated": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.summary.failures",
                        "NumericGreaterThan": 0,
                        "Next": "DescribeFailed",
                    }
                ],
                "Default": "Created",
            },
            "Created": {
                "Type": "Pass",
                "Parameters": {"created.$": "$.summary.created"},
                "End": True,
            },
            "DescribeFailed": {
                "Type": "Pass",
                "Parameters": {"cause.$": "States.JsonToString($.summary)"},
                "Next": "QueriesUncreated",
            },
            "QueriesUncreated": {
                "Type": "Fail",
                "Error": "QueriesUncreatedError",
                "CausePath": "$.cause",
            },
            "PlanFailed": _fail_with_cause(),
            "MapFailed": _fail_with_cause(),
        },
    }


def ingest_query_definition(
    arns: FunctionArns,
    *,
    max_url_refreshes: int = 3,
    timeout_seconds: int | None = None,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
    throttle_deadline_hours: int = DEFAULT_THROTTLE_DEADLINE_HOURS,
) -> State:
    """One finished Data Kiosk page (started by its notification, or by reconcile): getQuery
    and getDocument (paced), download and store the page, curate it, then create the next page
    (within the partner's slots), whose own notification starts the next execution. A query
    this stack did not create ends in NotOurs, untouched."""
    if max_url_refreshes < 0:
        raise ValueError("max_url_refreshes must not be negative")
    tasks = _Tasks(arns, retry_interval_seconds, max_retry_delay_seconds)
    sp_api = ((SP_API_TRANSIENT_ERRORS, SP_API_MAX_ATTEMPTS),)
    not_ready = ((QUERY_NOT_READY_ERRORS, QUERY_NOT_READY_MAX_ATTEMPTS),)
    return {
        "Comment": "getQuery and getDocument (paced), store and curate a page, create the next.",
        "TimeoutSeconds": timeout_seconds or execution_timeout(throttle_deadline_hours),
        "StartAt": "Start",
        "States": {
            "Start": _count_url_refreshes_from_zero("Prepare"),
            "Prepare": {
                "Type": "Pass",
                "Result": {"query": None, "context": None, "document": None, "pace": None},
                "ResultPath": "$.fetched",
                "Next": "Authenticate",
            },
            "Authenticate": _authenticate(tasks, "Fetch", on_error="Failed"),
            "Fetch": tasks.invoke(
                "run_query",
                {
                    "action": "fetch",
                    "sellerId.$": "$.sellerId",
                    "queryId.$": "$.queryId",
                    "sealedToken.$": "$.auth.sealedToken",
                    "pace.$": "$.fetched.pace",
                },
                result={
                    "query.$": "$.query",
                    "context.$": "$.context",
                    "document.$": "$.document",
                    "pace.$": "$.pace",
                },
                result_path="$.fetched",
                next_state="MustWait",
                on_error="Failed",
                retry=(*sp_api, *not_ready, ((QUERY_CONTEXT_MISSING,), QUERY_CONTEXT_MAX_ATTEMPTS)),
                catch=(
                    {
                        "ErrorEquals": [QUERY_CONTEXT_MISSING],
                        "ResultPath": "$.error",
                        "Next": "NotOurs",
                    },
                ),
            ),
            "MustWait": _must_wait("$.fetched.pace", "StorePage"),
            "WaitBriefly": _wait_for_token("$.fetched.pace", "Fetch"),
            "WaitForToken": _wait_for_token("$.fetched.pace", "Authenticate"),
            "NotOurs": {
                "Type": "Pass",
                "Parameters": {"sellerId.$": "$.sellerId", "queryId.$": "$.queryId", "ours": False},
                "End": True,
            },
            "StorePage": _store(
                tasks,
                {"page": {"query.$": "$.fetched.query", "context.$": "$.fetched.context"}},
                ("hasNextPage",),
            ),
            **_url_refresh_states(max_url_refreshes),
            **_curate_states(tasks, "MayCreateNext"),
            "MayCreateNext": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.stored.hasNextPage",
                        "BooleanEquals": True,
                        "Next": "PrepareNext",
                    }
                ],
                "Default": "Done",
            },
            "PrepareNext": {
                "Type": "Pass",
                "Result": {"queryId": None, "last": False, "pace": None},
                "ResultPath": "$.next",
                "Next": "AuthenticateNext",
            },
            "AuthenticateNext": _authenticate(tasks, "CreateNext", on_error="NextFailed"),
            "CreateNext": tasks.invoke(
                "run_query",
                {
                    "action": "create",
                    "sellerId.$": "$.sellerId",
                    "after.$": "$.queryId",
                    "pace.$": "$.next.pace",
                    "sealedToken.$": "$.auth.sealedToken",
                },
                result={"queryId.$": "$.queryId", "last.$": "$.last", "pace.$": "$.pace"},
                result_path="$.next",
                next_state="NextMustWait",
                on_error="NextFailed",
                retry=sp_api,
            ),
            "NextMustWait": _must_wait(
                "$.next.pace", "NextCreated", "WaitNextBriefly", "WaitNextForToken"
            ),
            "WaitNextBriefly": _wait_for_token("$.next.pace", "CreateNext"),
            "WaitNextForToken": _wait_for_token("$.next.pace", "AuthenticateNext"),
            # Only what the caller needs: the token and the sealed URL stay behind.
            "Done": {
                "Type": "Pass",
                "Parameters": {
                    "sellerId.$": "$.sellerId",
                    "queryId.$": "$.queryId",
                    "ours": True,
                    "stored.$": "$.stored",
                    "curated.$": "$.curated",
                    "nextQueryId": None,
                },
                "End": True,
            },
            "NextCreated": {
                "Type": "Pass",
                "Parameters": {
                    "sellerId.$": "$.sellerId",
                    "queryId.$": "$.queryId",
                    "ours": True,
                    "stored.$": "$.stored",
                    "curated.$": "$.curated",
                    "nextQueryId.$": "$.next.queryId",
                },
                "End": True,
            },
            # The page is stored; reconcile finds its manifest announcing a page never created
            # and starts this execution again, which creates it then.
            "NextFailed": _fail_with_cause("NextPageFailedError"),
            "UrlExpired": _fail_with_cause(URL_EXPIRED_ERROR),
            "Failed": _fail_with_cause(),
        },
    }


def definitions(
    arns: FunctionArns,
    *,
    max_concurrency: int = 5,
    max_url_refreshes: int = 3,
    timeout_seconds: int | None = None,
    retry_interval_seconds: int = 2,
    max_retry_delay_seconds: int = 60,
    throttle_deadline_hours: int = DEFAULT_THROTTLE_DEADLINE_HOURS,
) -> dict[str, State]:
    """Every state machine, keyed by the name the stack gives it."""
    return {
        "request-reports": request_reports_definition(
            arns,
            max_concurrency=max_concurrency,
            timeout_seconds=timeout_seconds,
            retry_interval_seconds=retry_interval_seconds,
            max_retry_delay_seconds=max_retry_delay_seconds,
            throttle_deadline_hours=throttle_deadline_hours,
        ),
        "ingest-report": ingest_report_definition(
            arns,
            max_url_refreshes=max_url_refreshes,
            timeout_seconds=timeout_seconds,
            retry_interval_seconds=retry_interval_seconds,
            max_retry_delay_seconds=max_retry_delay_seconds,
            throttle_deadline_hours=throttle_deadline_hours,
        ),
        "request-queries": request_queries_definition(
            arns,
            max_concurrency=max_concurrency,
            timeout_seconds=timeout_seconds,
            retry_interval_seconds=retry_interval_seconds,
            max_retry_delay_seconds=max_retry_delay_seconds,
            throttle_deadline_hours=throttle_deadline_hours,
        ),
        "ingest-query": ingest_query_definition(
            arns,
            max_url_refreshes=max_url_refreshes,
            timeout_seconds=timeout_seconds,
            retry_interval_seconds=retry_interval_seconds,
            max_retry_delay_seconds=max_retry_delay_seconds,
            throttle_deadline_hours=throttle_deadline_hours,
        ),
    }
