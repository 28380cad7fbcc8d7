"""Locating a finished report's document: getReport, then getReportDocument when it has one."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import (
    AccessTokenExpiredError,
    RateLimitedError,
    ReportNotReadyError,
    SpApiError,
    SpApiServerError,
    ThrottledError,
)
from domain.model import Report, ReportDocument, ReportStatus
from domain.pacing import Pace, Pacer
from domain.placing import FAULT_PAUSE_SECONDS
from domain.ports import ReportsApi


@dataclass(frozen=True)
class Fetched:
    """One attempt of the workflow's fetch step: the report once known (carried to the next
    attempt, so getReport runs once), the document once its token was in hand, and the pace."""

    report: Report | None
    document: ReportDocument | None
    pace: Pace


class DocumentFetcher:
    """The locator as a paced workflow step: a long rate-limit wait is handed to the workflow.

    getReportDocument is called only with its token in hand, so the URL it returns (valid for
    minutes) is never spent waiting.
    """

    def __init__(self, reports: ReportsApi, pacer: Pacer) -> None:
        self._reports = reports
        self._pacer = pacer

    def fetch(
        self, seller_id: str, report_id: str, report: Report | None, pace: Pace | None
    ) -> Fetched:
        """Raises ThrottleDeadlineError past the deadline, ReportNotReadyError while the report
        is IN_QUEUE or IN_PROGRESS, SpApiError when a DONE report has no document, and the
        ReportsApi errors (SpApiServerError and ThrottledError are retried by the workflow)."""
        pace = self._pacer.start(pace)
        known = report is not None
        try:
            with self._pacer.attempt(pace):
                if report is None:
                    report = _terminal(self._reports.get_report(seller_id, report_id))
                document = _document(self._reports, report)
        except RateLimitedError as limited:
            return Fetched(report, None, self._pacer.wait(pace, limited))
        except AccessTokenExpiredError:
            # The loop back goes through Authenticate: a fresh token, the report kept.
            return Fetched(report, None, self._pacer.reauthenticate(pace))
        except (SpApiServerError, ThrottledError):
            if known or report is None:
                raise  # the workflow's retry budget: nothing of this attempt is lost
            # getReport answered before the fault: keep its report, so it is not asked again.
            return Fetched(report, None, self._pacer.pause(pace, FAULT_PAUSE_SECONDS))
        return Fetched(report, document, self._pacer.done(pace))


def _terminal(report: Report) -> Report:
    if not report.status.terminal:
        raise ReportNotReadyError(f"report {report.report_id} is {report.status.value}")
    return report


def _document(reports: ReportsApi, report: Report) -> ReportDocument | None:
    if report.status is ReportStatus.CANCELLED or report.document_id is None:
        if report.status is ReportStatus.DONE:
            raise SpApiError("getReport", f"report {report.report_id} is DONE without a document")
        return None  # CANCELLED, or FATAL without a document
    return reports.get_report_document(report.seller_id, report.document_id)
