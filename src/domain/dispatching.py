"""Dispatching REPORT_PROCESSING_FINISHED notifications: one ingest per finished report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from domain.errors import SpApiLakeError
from domain.model import FinishedReport, Report, ReportStatus, Start, StoredReport
from domain.notifications import parse_notification
from domain.ports import Clock, Workflow


class Recorder(Protocol):
    """Records a report that has nothing to download (DocumentStorer.store)."""

    def store(self, report: Report) -> StoredReport: ...


class Disposition(Enum):
    STARTED = "started"  # an ingest-report execution was started
    RESTARTED = "restarted"  # the report's last ingest failed: a new attempt was started
    ALREADY_STARTED = "already-started"  # one exists for this report: a redelivery
    DUPLICATE = "duplicate"  # the same report came earlier in this batch
    RECORDED = "recorded"  # CANCELLED or FATAL without a document: manifest written, no ingest
    IGNORED = "ignored"  # a partner (seller, vendor account) or report type not ingested here
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
    finished: FinishedReport | None = None
    stored: StoredReport | None = None
    error: SpApiLakeError | None = None


class NotificationDispatcher:
    """Starts an ingest for DONE reports and FATAL ones with a document; records CANCELLED and
    document-less FATAL reports directly. A message is routed by its partner: the sellerId, or
    for a vendor group (no sellerId) the accountId (FinishedReport.owner); `accepts(owner,
    report_type)` filters out partners and types the stack does not ingest (IGNORED, as a
    seller it does not know). Every message gets a disposition; none raises."""

    def __init__(
        self,
        workflow: Workflow,
        recorder: Recorder,
        accepts: Callable[[str, str], bool],
        clock: Clock,
    ) -> None:
        self._workflow = workflow
        self._recorder = recorder
        self._accepts = accepts
        self._clock = clock

    def dispatch(self, messages: Iterable[tuple[str, str]]) -> list[Dispatched]:
        """`messages` are (messageId, body) pairs, as SQS delivers them."""
        handled: set[tuple[str, str]] = set()
        results = []
        for message_id, body in messages:
            finished: FinishedReport | None = None
            try:
                finished = parse_notification(body)
                key = (finished.owner, finished.report_id)
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

    def _route(self, message_id: str, finished: FinishedReport) -> Dispatched:
        if not self._accepts(finished.owner, finished.report_type):
            return Dispatched(message_id, Disposition.IGNORED, finished)
        if finished.status is ReportStatus.DONE or (
            finished.status is ReportStatus.FATAL and finished.document_id
        ):
            started = self._workflow.start_ingest(finished)
            return Dispatched(message_id, _DISPOSITIONS[started], finished)
        stored = self._recorder.store(report_of(finished, self._clock.now()))
        return Dispatched(message_id, Disposition.RECORDED, finished, stored)


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
