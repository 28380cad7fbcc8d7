"""Locating a finished report's document: getReport, then getReportDocument when it has one."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import ReportNotReadyError, SpApiError
from domain.model import Report, ReportDocument, ReportStatus
from domain.ports import ReportsApi


@dataclass(frozen=True)
class Located:
    """A terminal report and where its document is; None when there is nothing to download."""

    report: Report
    document: ReportDocument | None


class DocumentLocator:
    """The first half of an ingest; the document URL it returns expires within minutes."""

    def __init__(self, reports: ReportsApi) -> None:
        self._reports = reports

    def locate(self, seller_id: str, report_id: str) -> Located:
        """Raises ReportNotReadyError while the report is IN_QUEUE or IN_PROGRESS, SpApiError
        when a DONE report has no document, and the ReportsApi errors (ThrottledError and
        SpApiServerError may be retried)."""
        report = self._reports.get_report(seller_id, report_id)
        if not report.status.terminal:
            raise ReportNotReadyError(f"report {report_id} is {report.status.value}")
        if report.status is ReportStatus.CANCELLED or report.document_id is None:
            if report.status is ReportStatus.DONE:
                raise SpApiError("getReport", f"report {report_id} is DONE without a document")
            return Located(report, None)  # CANCELLED, or FATAL without a document
        document = self._reports.get_report_document(seller_id, report.document_id)
        return Located(report, document)
