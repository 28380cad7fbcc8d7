"""The local ingest: request, wait, store; one failure never costs the other reports."""

from dataclasses import dataclass, field
from datetime import timedelta

from domain.errors import CorruptDocumentError, InvalidRequestError
from domain.ingesting import IngestResult, LocalIngest
from domain.model import Outcome, Report, ReportRequest, ReportStatus, StoredReport
from domain.requesting import ReportRequester
from domain.waiting import PollPolicy, ReportWaiter
from tests.fakes import FakeClock, FakeReportsApi

SELLER = "A3TH9S8BH6GOGM"
OUTCOMES = {
    ReportStatus.DONE: Outcome.STORE_DOCUMENT,
    ReportStatus.CANCELLED: Outcome.NO_DATA,
    ReportStatus.FATAL: Outcome.STORE_ERROR_DOCUMENT,
}


@dataclass
class RecordingStorer:
    failing: set[str] = field(default_factory=set)
    stored: list[str] = field(default_factory=list)

    def store(self, report: Report) -> StoredReport:
        if report.report_type in self.failing:
            raise CorruptDocumentError("gzip stream ended early: retry")
        self.stored.append(report.report_id)
        return StoredReport(report, OUTCOMES[report.status], f"manifests/{report.report_id}.json")


@dataclass
class RecordingObserver:
    events: list[str] = field(default_factory=list)

    def requested(self, requested):
        self.events.append("requested")

    def polled(self, report):
        self.events.append("polled")

    def stored(self, result: IngestResult):
        self.events.append("stored")


def _ingest(api, clock, storer):
    waiter = ReportWaiter(api, clock, PollPolicy(timeout=timedelta(minutes=10)))
    return LocalIngest(ReportRequester(api, clock), waiter, storer)


def _requests(*types):
    return [ReportRequest(SELLER, t, ("ATVPDKIKX0DER",)) for t in types]


def test_every_report_is_requested_waited_for_and_stored():
    clock = FakeClock()
    api, storer, observer = (
        FakeReportsApi(clock=clock, polls_until_done=3),
        RecordingStorer(),
        RecordingObserver(),
    )
    api.final_status["GET_C"] = ReportStatus.CANCELLED
    results = _ingest(api, clock, storer).run(_requests("GET_A", "GET_B", "GET_C"), observer)
    assert sorted(storer.stored) == sorted(r.report_id for r in results)
    assert all(r.ok for r in results)
    assert observer.events.count("requested") == 3
    assert observer.events.count("stored") == 3
    assert "polled" in observer.events


def test_a_fatal_report_is_stored_but_not_ok():
    clock = FakeClock()
    api = FakeReportsApi(clock=clock)
    api.final_status["GET_F"] = ReportStatus.FATAL
    [result] = _ingest(api, clock, RecordingStorer()).run(_requests("GET_F"))
    assert result.stored.outcome is Outcome.STORE_ERROR_DOCUMENT
    assert not result.ok


def test_a_failed_store_is_reported_and_the_rest_still_land():
    clock = FakeClock()
    api, storer = FakeReportsApi(clock=clock), RecordingStorer(failing={"GET_BAD"})
    results = _ingest(api, clock, storer).run(_requests("GET_BAD", "GET_GOOD"))
    by_type = {r.request.report_type: r for r in results}
    assert "gzip stream ended early" in by_type["GET_BAD"].error
    assert by_type["GET_GOOD"].ok
    assert len(storer.stored) == 1


def test_a_rejected_create_report_is_a_failure_not_a_crash():
    clock = FakeClock()
    api = FakeReportsApi(clock=clock)
    real_create = api.create_report

    def create(request):
        if request.report_type == "GET_NOPE":
            raise InvalidRequestError("createReport", "bad type", status=400, request_id="r-1")
        return real_create(request)

    api.create_report = create
    results = _ingest(api, clock, RecordingStorer()).run(_requests("GET_NOPE", "GET_A"))
    failed = next(r for r in results if r.report_id is None)
    assert "createReport failed, HTTP 400" in failed.error
    assert "r-1" in failed.error
    assert sum(r.ok for r in results) == 1


def test_reports_that_never_finish_are_failures_after_the_timeout():
    clock = FakeClock()
    api = FakeReportsApi(clock=clock, polls_until_done=10**6)
    [result] = _ingest(api, clock, RecordingStorer()).run(_requests("GET_SLOW"))
    assert "did not finish" in result.error
