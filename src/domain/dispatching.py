"""Dispatching finished-report and finished-query notifications: one ingest for each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from domain.datakiosk.notifications import (
    QUERY_FINISHED,
    FinishedQuery,
    parse_query_notification,
)
from domain.errors import MalformedNotificationError, SpApiLakeError
from domain.model import FinishedReport, Report, ReportStatus, Start, StoredReport
from domain.notifications import NOTIFICATION_TYPE, decode, parse_notification
from domain.ports import Clock, Workflow

Finished = FinishedReport | FinishedQuery
_PARSERS: Mapping[str, Callable[[Mapping[str, Any]], Finished]] = {
    NOTIFICATION_TYPE: parse_notification,
    QUERY_FINISHED: parse_query_notification,
}


def parse_finished(body: str | bytes | Mapping[str, Any]) -> Finished:
    """A REPORT_PROCESSING_FINISHED or DATA_KIOSK_QUERY_PROCESSING_FINISHED message, routed on
    notificationType as Amazon advises; MalformedNotificationError (one line) otherwise."""
    message = decode(body)
    kind = message.get("notificationType")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise MalformedNotificationError(
            f"notificationType is {kind!r}, expected {' or '.join(_PARSERS)}: "
            "check the subscription"
        )
    return parser(message)


def _nobody(owner: str) -> bool:
    return False


class Recorder(Protocol):
    """Records a report that has nothing to download (DocumentStorer.store)."""

    def store(self, report: Report) -> StoredReport: ...


class Disposition(Enum):
    STARTED = "started"  # an ingest-report execution was started
    RESTARTED = "restarted"  # the report's last ingest failed: a new attempt was started
    ALREADY_STARTED = "already-started"  # one exists for this report: a redelivery
    DUPLICATE = "duplicate"  # the same report (query) came earlier in this batch
    RECORDED = "recorded"  # CANCELLED or FATAL without a document: manifest written, no ingest
    IGNORED = "ignored"  # a partner (seller, vendor account) or report type not ingested here,
    # or a partner the stack runs no queries for
    FAILED = "failed"  # malformed, or starting/recording failed: the queue delivers it again


_DISPOSITIONS = {
    Start.STARTED: Disposition.STARTED,
    Start.RESTARTED: Disposition.RESTARTED,
    Start.EXISTS: Disposition.ALREADY_STARTED,
}


@dataclass(frozen=True)
class Dispatched:
    message_id: str
    disposition: Disposition
    finished: Finished | None = None
    stored: StoredReport | None = None
    error: SpApiLakeError | None = None


class NotificationDispatcher:
    """Starts an ingest for DONE reports and FATAL ones with a document; records CANCELLED and
    document-less FATAL reports directly. A message is routed by its partner: the sellerId, or
    for a vendor group (no sellerId) the accountId (FinishedReport.owner); `accepts(owner,
    report_type)` filters out partners and types the stack does not ingest (IGNORED, as a
    seller it does not know). A finished query, whatever its terminal status, starts one
    ingest-query for a partner `accepts_query(owner)` says the stack runs queries for (by
    default none). Every message gets a disposition; none raises."""

    def __init__(
        self,
        workflow: Workflow,
        recorder: Recorder,
        accepts: Callable[[str, str], bool],
        clock: Clock,
        accepts_query: Callable[[str], bool] = _nobody,
    ) -> None:
        self._workflow = workflow
        self._recorder = recorder
        self._accepts = accepts
        self._clock = clock
        self._accepts_query = accepts_query

    def dispatch(self, messages: Iterable[tuple[str, str]]) -> list[Dispatched]:
        """`messages` are (messageId, body) pairs, as SQS delivers them."""
        handled: set[tuple[str, str, str]] = set()
        results = []
        for message_id, body in messages:
            finished: Finished | None = None
            try:
                finished = parse_finished(body)
                key = _key(finished)
                if key in handled:
                    results.append(Dispatched(message_id, Disposition.DUPLICATE, finished))
                    continue
                result = self._route(message_id, finished)
            except SpApiLakeError as exc:
                results.append(Dispatched(message_id, Disposition.FAILED, finished, error=exc))
                continue
            # Only once it is handled: a duplicate of a failed message gets its own attempt.
            handled.add(key)
            results.append(result)
        return results

    def _route(self, message_id: str, finished: Finished) -> Dispatched:
        if isinstance(finished, FinishedQuery):
            if not self._accepts_query(finished.owner):
                return Dispatched(message_id, Disposition.IGNORED, finished)
            started = self._workflow.start_query_ingest(finished)
            return Dispatched(message_id, _DISPOSITIONS[started], finished)
        if not self._accepts(finished.owner, finished.report_type):
            return Dispatched(message_id, Disposition.IGNORED, finished)
        if finished.status is ReportStatus.DONE or (
            finished.status is ReportStatus.FATAL and finished.document_id
        ):
            started = self._workflow.start_ingest(finished)
            return Dispatched(message_id, _DISPOSITIONS[started], finished)
        stored = self._recorder.store(report_of(finished, self._clock.now()))
        return Dispatched(message_id, Disposition.RECORDED, finished, stored)


def _key(finished: Finished) -> tuple[str, str, str]:
    """Report and query ids are numbers alike: the kind keeps a report and a query apart."""
    if isinstance(finished, FinishedQuery):
        return ("query", finished.owner, finished.query_id)
    return ("report", finished.owner, finished.report_id)


def report_of(finished: FinishedReport, now: datetime) -> Report:
    """The report a notification describes, under its partner's id (a vendor's account id in
    the lake's seller_id partition). A notification has no data window nor creation time: the
    manifest's date partition comes from its eventTime (else now)."""
    return Report(
        seller_id=finished.owner,
        report_id=finished.report_id,
        report_type=finished.report_type,
        status=finished.status,
        created_time=finished.event_time or now,
        document_id=finished.document_id,
    )
