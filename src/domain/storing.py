"""Storing one terminal report: its document streamed into the lake, then its manifest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from domain.copying import (
    GIB,
    DocumentCopier,
    Progress,
    copy_with_retries,
    download_of,
    zlib_gzip,
)
from domain.errors import ReportNotReadyError, SpApiError
from domain.lake import data_key, error_key, is_delimited, manifest, manifest_key
from domain.model import Download, Outcome, Report, ReportDocument, ReportStatus, StoredReport
from domain.ports import Clock, Decompressor, DocumentSource, Lake, ReportsApi


class DocumentStorer:
    """Stores terminal reports. Idempotent: once a report's manifest exists it is not fetched
    again (unless forced), and every key is a function of the report."""

    def __init__(
        self,
        reports: ReportsApi,
        source: DocumentSource,
        lake: Lake,
        clock: Clock,
        decompressor: Callable[[], Decompressor] = zlib_gzip,
        max_decompressed_bytes: int = 8 * GIB,
        max_url_refreshes: int = 3,
        max_download_retries: int = 3,
    ) -> None:
        self._reports = reports
        self._lake = lake
        self._clock = clock
        self._copier = DocumentCopier(source, lake, decompressor, max_decompressed_bytes)
        self._max_url_refreshes = max_url_refreshes
        self._max_download_retries = max_download_retries

    def store(
        self, report: Report, *, force: bool = False, on_progress: Progress | None = None
    ) -> StoredReport:
        """Stores a DONE/FATAL report's document and manifest, or a manifest alone (CANCELLED,
        FATAL without a document). Broken downloads are retried `max_download_retries` times.
        Raises ReportNotReadyError; DocumentUrlExpiredError once `max_url_refreshes` fresh URLs
        expired too; DocumentDownloadError and CorruptDocumentError once retries ran out;
        DocumentTooLargeError; SpApiError."""
        _require_terminal(report)
        if not force and (stored := self.existing(report)):
            return stored
        if report.status is ReportStatus.DONE and not report.document_id:
            # A notification need not carry the document id; getReport always does.
            report = self._reports.get_report(report.seller_id, report.report_id)
            if not report.document_id:
                raise SpApiError("getReport", f"report {report.report_id} is DONE, no document")
        document_id = report.document_id
        if document_id is None or report.status is ReportStatus.CANCELLED:
            return self._record(report, _outcome(report), None, None)

        def fetch() -> ReportDocument:
            return self._reports.get_report_document(report.seller_id, document_id)

        budget = (self._max_url_refreshes, self._max_download_retries)
        return self._ingest(report, fetch, budget, on_progress)

    def store_document(
        self,
        report: Report,
        document: ReportDocument,
        *,
        force: bool = False,
        on_progress: Progress | None = None,
    ) -> StoredReport:
        """Like `store`, for a caller that already called getReportDocument (a workflow step),
        and that retries itself: DocumentUrlExpiredError (fetch the document again),
        DocumentDownloadError and CorruptDocumentError (download again) propagate."""
        _require_terminal(report)
        report = report if report.document_id else replace(report, document_id=document.document_id)
        if not force and (stored := self.existing(report)):
            return stored
        if report.status is ReportStatus.CANCELLED:
            return self._record(report, Outcome.NO_DATA, None, None)
        return self._ingest(report, lambda: document, (0, 0), on_progress)

    def existing(self, report: Report) -> StoredReport | None:
        """The stored result of this report, if its manifest (written last) is in the lake."""
        key = manifest_key(report)
        body = self._lake.get_manifest(key)
        if body is None:
            return None
        try:
            outcome, download = Outcome(body["outcome"]), download_of(body)
        except (KeyError, ValueError, TypeError):
            return None  # unreadable: ingesting again rewrites it
        return StoredReport(report, outcome, key, body.get("key"), download, reused=True)

    def _ingest(
        self,
        report: Report,
        fetch: Callable[[], ReportDocument],
        budget: tuple[int, int],
        on_progress: Progress | None,
    ) -> StoredReport:
        """Copies the document, then records it. `budget` is how many fresh URLs and how many
        download retries it may use."""
        outcome = _outcome(report)
        key = data_key(report) if outcome is Outcome.STORE_DOCUMENT else error_key(report)
        delimited = outcome is Outcome.STORE_DOCUMENT and is_delimited(report.report_type)
        download = copy_with_retries(
            self._copier,
            fetch,
            key,
            self._clock,
            budget=budget,
            delimited=delimited,
            on_progress=on_progress,
        )
        return self._record(report, outcome, key, download)

    def _record(
        self, report: Report, outcome: Outcome, key: str | None, download: Download | None
    ) -> StoredReport:
        """Writes the manifest, always last: its presence means the report is complete."""
        mkey = manifest_key(report)
        body = manifest(
            report, outcome, stored_key=key, download=download, ingested_at=self._clock.now()
        )
        self._lake.put_manifest(mkey, body)
        return StoredReport(report, outcome, mkey, key, download)


def _require_terminal(report: Report) -> None:
    if not report.status.terminal:
        raise ReportNotReadyError(f"report {report.report_id} is {report.status.value}")


def _outcome(report: Report) -> Outcome:
    if report.status is ReportStatus.CANCELLED:
        return Outcome.NO_DATA  # cancelled, or no data to report: not an error
    if report.status is ReportStatus.FATAL:
        has_document = report.document_id is not None
        return Outcome.STORE_ERROR_DOCUMENT if has_document else Outcome.FAILED_WITHOUT_DOCUMENT
    return Outcome.STORE_DOCUMENT
