"""Requesting reports: reuse a recent or in-flight identical report before creating a new one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import RateLimitedError, SpApiError
from domain.model import Report, ReportRequest, ReportStatus
from domain.ports import Clock, ReportsApi
from domain.report_types import spec

_REUSABLE = (ReportStatus.IN_QUEUE, ReportStatus.IN_PROGRESS, ReportStatus.DONE)


@dataclass(frozen=True)
class RequestedReport:
    """A request and the report that answers it, or why none could be created."""

    request: ReportRequest
    report_id: str | None
    reused: bool = False
    error: SpApiError | None = None


def _same_moment(a: datetime | None, b: datetime | None) -> bool:
    # Amazon echoes times at second precision; compare on that grain.
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 1


def matches(request: ReportRequest, report: Report) -> bool:
    """Whether `report` answers `request`: same seller, type, marketplaces, data window and
    reportOptions.

    getReports returns no reportOptions (and takes no filter for them), so a listed report's
    options are unknown: it answers only a request without options. A request with options is
    answered only by a report known to have been created with the same ones (in this plan, or
    by an earlier attempt of the same step); otherwise a report for, say, another
    distributorView or granularity would be handed back as this one.
    """
    if (report.seller_id, report.report_type) != (request.seller_id, request.report_type):
        return False
    if sorted(report.marketplace_ids) != sorted(request.marketplace_ids):
        return False
    if report.status not in _REUSABLE:
        return False
    known = report.options if report.options is not None else ()
    if sorted(known) != sorted(request.options):
        return False
    if request.data_start is None and request.data_end is None:
        return True  # a snapshot: any recent one is as good as a new one
    return _same_moment(report.data_start, request.data_start) and _same_moment(
        report.data_end, request.data_end
    )


def fresh(report: Report, now: datetime) -> bool:
    """Whether a DONE report is recent enough to reuse: types whose data Amazon restates
    (vendor analytics) set a staleness in the catalog; a report in flight is always fresh."""
    staleness = spec(report.report_type).reuse_staleness
    if staleness is None or report.status is not ReportStatus.DONE:
        return True
    return report.created_time >= now - staleness


class ReportRequester:
    """Creates the reports a plan asks for, reusing identical ones created within `reuse_within`
    (and, for restated types, their catalog staleness).

    getReports is rate-limited harder than createReport, so candidates are fetched once per
    seller and report type, not once per request. Raises the ReportsApi errors.
    """

    def __init__(
        self, reports: ReportsApi, clock: Clock, reuse_within: timedelta = timedelta(hours=1)
    ) -> None:
        self._reports = reports
        self._clock = clock
        self._reuse_within = reuse_within

    def candidates(self, seller_id: str, report_type: str) -> list[Report]:
        """Reports of this seller and type that may answer a request: one paginated getReports
        for every marketplace and window, without DONE reports older than the type's staleness."""
        if self._reuse_within <= timedelta(0):
            return []
        now = self._clock.now()
        listed = self._reports.get_reports(
            seller_id,
            report_types=[report_type],
            statuses=_REUSABLE,
            created_since=now - self._reuse_within,
        )
        return [report for report in listed if fresh(report, now)]

    def request_all(self, requests: Iterable[ReportRequest]) -> list[RequestedReport]:
        """Request each report once; identical requests in one plan share one report.

        A request that SP-API rejects is returned with its error; InvalidGrantError and
        InvalidClientError propagate, since every other request would fail the same way.
        """
        candidates: dict[tuple[str, str], list[Report]] = {}
        done: list[RequestedReport] = []
        for request in requests:
            key = (request.seller_id, request.report_type)
            if key not in candidates:
                candidates[key] = self.candidates(*key)
            found = next((r for r in candidates[key] if matches(request, r)), None)
            if found is not None:
                done.append(RequestedReport(request, found.report_id, reused=True))
                continue
            try:
                report_id = self.create(request)
            except RateLimitedError:
                raise
            except SpApiError as exc:
                # One rejected request must not cost the others; auth errors still propagate.
                done.append(RequestedReport(request, None, error=exc))
                continue
            done.append(RequestedReport(request, report_id, reused=False))
            candidates[key].append(_pending(request, report_id, self._clock.now()))
        return done

    def create(self, request: ReportRequest) -> str:
        return self._reports.create_report(request)

    def pending(self, request: ReportRequest, report_id: str) -> Report:
        """The report just created for `request`, as getReports would list it."""
        return _pending(request, report_id, self._clock.now())

    def request(self, request: ReportRequest) -> RequestedReport:
        return self.request_all([request])[0]


def _pending(request: ReportRequest, report_id: str, now: datetime) -> Report:
    return Report(
        seller_id=request.seller_id,
        report_id=report_id,
        report_type=request.report_type,
        status=ReportStatus.IN_QUEUE,
        created_time=now,
        marketplace_ids=request.marketplace_ids,
        data_start=request.data_start,
        data_end=request.data_end,
        options=request.options,
    )
