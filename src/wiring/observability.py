"""Structured JSON logs and EMF metrics for the Lambda handlers; Powertools loads on first call."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, cast

from domain.datakiosk.notifications import QUERY_FINISHED, FinishedQuery
from domain.dispatching import Dispatched, Disposition
from domain.errors import MalformedNotificationError
from domain.locating import Fetched
from domain.model import FinishedReport, Outcome, StoredReport
from domain.notifications import NOTIFICATION_TYPE
from domain.pacing import Pace
from domain.placing import Placement

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = NAMESPACE = "spapi-lake"
# Our loggers get the JSON handler, so adapter lines carry the invocation's keys too.
_OURS = ("adapters", "domain")
# Their DEBUG lines hold request bodies and headers (LWA forms, KMS plaintext, secret values):
# kept at WARNING whatever the function's log level, so no setting can leak a secret.
_CHATTY = ("botocore", "boto3", "s3transfer", "urllib3", "httpx", "httpcore")
_STORED = (Outcome.STORE_DOCUMENT, Outcome.NO_DATA)
_DISPATCH_METRICS = {
    Disposition.STARTED: "IngestsStarted",
    Disposition.RESTARTED: "IngestsRestarted",
    Disposition.ALREADY_STARTED: "NotificationsRedelivered",
    Disposition.DUPLICATE: "NotificationsDuplicated",
    Disposition.IGNORED: "NotificationsIgnored",
    Disposition.FAILED: "NotificationsFailed",
}
# Queries' ingests count apart from reports'; the other dispositions count notifications.
_QUERY_METRICS = {
    Disposition.STARTED: "QueryIngestsStarted",
    Disposition.RESTARTED: "QueryIngestsRestarted",
}

Event = dict[str, Any]
Handler = Callable[[Event, Any], Any]


class _Stdout:
    """Writes wherever sys.stdout points now: Lambda reads stdout, and tests swap it."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class _Telemetry:
    def __init__(self) -> None:
        from aws_lambda_powertools import Logger, Metrics
        from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

        self.logger = Logger(
            service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE),
            stream=cast(IO[str], _Stdout()),
        )
        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
        # One dimension, the stack, so dev and prod (and regions) chart apart.
        self.metrics = Metrics(
            namespace=namespace, service=os.environ.get("SPAPI_LAKE_STACK") or SERVICE
        )
        for name in _OURS:
            logging.getLogger(name)  # registered, so that the copy below finds it
        copy_config_to_registered_loggers(source_logger=self.logger, include=set(_OURS))
        for name in _CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)

    def invoke(self, function: str, handler: Handler, event: Event, context: Any) -> Any:
        def keyed(event: Event, context: Any) -> Any:
            self.logger.append_keys(handler=function)
            try:
                return handler(event, context)
            except Exception as exc:
                # Our errors' messages are one line and secret-free by design; the class name
                # leads, as it is what Step Functions matches on.
                kind = type(exc).__name__
                self.logger.error(f"{function} failed: {kind}: {exc}", extra={"errorType": kind})
                raise

        try:
            if context is None:
                self.logger.clear_state()
                return keyed(event, context)
            # log_event off: POWERTOOLS_LOGGER_LOG_EVENT must not dump events into the logs.
            return self.logger.inject_lambda_context(keyed, clear_state=True, log_event=False)(
                event, context
            )
        finally:
            if self.metrics.metric_set:
                self.metrics.flush_metrics()


_telemetry: _Telemetry | None = None


def _get() -> _Telemetry:
    global _telemetry
    if _telemetry is None:
        _telemetry = _Telemetry()
    return _telemetry


def lambda_entry(function: str) -> Callable[[Handler], Handler]:
    """Decorates a `lambda_handler`: JSON logs with the Lambda request id, metrics flushed."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def entry(event: Event, context: Any) -> Any:
            return _get().invoke(function, handler, event, context)

        return entry

    return decorate


def log() -> Logger:
    return _get().logger


def keys(**values: object) -> None:
    """Adds keys (reportId, sellerId, ...) to every log line of this invocation."""
    _get().logger.append_keys(**{k: v for k, v in values.items() if v is not None})


def metric(name: str, value: float = 1, unit: str = "Count") -> None:
    _get().metrics.add_metric(name=name, unit=unit, value=value)


def stored(result: StoredReport, now: datetime) -> None:
    """Ingestion metrics for one report; nothing for one that was in the lake already."""
    if result.reused:
        return
    if result.outcome not in _STORED:
        metric("ReportsFailed")
        return
    metric("ReportsIngested")
    if result.download is not None:
        metric("BytesIngested", result.download.bytes, "Bytes")
        metric("RowsIngested", result.download.rows or 0)
    latency = (now - result.report.created_time).total_seconds()
    metric("EndToEndLatency", max(latency, 0.0), "Seconds")


def _finished_keys(finished: FinishedReport | FinishedQuery | None) -> dict[str, str]:
    """The ids a notification's log line carries: never its nextToken nor a document URL."""
    if isinstance(finished, FinishedQuery):
        return {
            "notificationType": QUERY_FINISHED,
            "sellerId": finished.owner,
            "queryId": finished.query_id,
            "processingStatus": finished.status.value,
        }
    if isinstance(finished, FinishedReport):
        return {
            "notificationType": NOTIFICATION_TYPE,
            "sellerId": finished.owner,
            "reportId": finished.report_id,
            "reportType": finished.report_type,
            "processingStatus": finished.status.value,
        }
    return {}


def dispatched(result: Dispatched, now: datetime) -> None:
    """One log line and its metrics per notification. Never the message body: only the ids."""
    extra = {
        "messageId": result.message_id,
        "disposition": result.disposition.value,
        **_finished_keys(result.finished),
    }
    if result.error is not None:
        kind = type(result.error).__name__
        _get().logger.warning(
            f"notification {result.message_id} returns to the queue: {kind}: {result.error}",
            extra={**extra, "errorType": kind},
        )
    else:
        _get().logger.info(
            f"notification {result.message_id}: {result.disposition.value}", extra=extra
        )
    query = isinstance(result.finished, FinishedQuery)
    if isinstance(result.error, MalformedNotificationError):
        metric("NotificationsMalformed")
    elif query and result.disposition in _QUERY_METRICS:
        metric(_QUERY_METRICS[result.disposition])
    elif result.disposition in _DISPATCH_METRICS:
        metric(_DISPATCH_METRICS[result.disposition])
    if result.stored is not None:
        stored(result.stored, now)


def paced(pace: Pace, now: datetime, step: str) -> None:
    """A step that parks in a Wait state for a rate limit: counted, with its oldest wait."""
    if not pace.waiting:
        return
    metric("RateLimitWaits")
    oldest = (now - pace.since).total_seconds() if pace.since else 0.0
    metric("RateLimitOldestWaitSeconds", max(oldest, 0.0), "Seconds")
    ticket = pace.ticket
    _get().logger.info(
        f"{step}: waiting {pace.wait_seconds} s for {ticket.operation if ticket else 'a token'}",
        extra={"waits": pace.waits, "waitSeconds": pace.wait_seconds},
    )


def fetched(result: Fetched, now: datetime) -> None:
    if result.report is not None:
        keys(reportType=result.report.report_type, processingStatus=result.report.status.value)
    paced(result.pace, now, "fetch")
    if not result.pace.waiting:
        _get().logger.info("document located" if result.document else "nothing to download")


def placed(placement: Placement, pace: Pace, now: datetime) -> None:
    paced(pace, now, "place")
    unplaced = [f for f in placement.failed if f.error == "ThrottleDeadlineError"]
    if unplaced:
        metric("RequestsUnplaced", len(unplaced))
    if not pace.waiting:
        reused = sum(1 for p in placement.placed if p.reused)
        metric("ReportsRequested", len(placement.placed) - reused)
        metric("ReportsReused", reused)
        _get().logger.info(
            f"placed {len(placement.placed)} requests ({reused} reused),"
            f" {len(placement.failed)} failed"
        )


def query_created(query_id: str | None) -> None:
    """A Data Kiosk page created (None: the workflow waits for a rate limit or a slot)."""
    if query_id:
        _get().logger.info(f"created Data Kiosk query {query_id}")


def queries_summarised(summary: dict[str, Any]) -> dict[str, Any]:
    """Logs request-queries' summary (created and failed pages) and returns it."""
    _get().logger.info(
        f"{len(summary['created'])} Data Kiosk queries created, {summary['failures']} failed"
    )
    return summary


def restarted(count: int) -> None:
    """Failed ingests started again (reconcile, or a redelivered notification)."""
    if count:
        metric("IngestsRestarted", count)
