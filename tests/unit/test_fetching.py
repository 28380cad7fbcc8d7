"""DocumentFetcher: getReport once, then getReportDocument only with its token in hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from domain.errors import (
    AccessTokenExpiredError,
    ReportNotReadyError,
    SpApiError,
    ThrottleDeadlineError,
)
from domain.locating import DocumentFetcher
from domain.model import Report, ReportStatus
from domain.pacing import Pacer
from tests.fakes import FakeClock, FakeRateLimits, FakeReportsApi

SELLER = "A3TH9S8BH6GOGM"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
REPORT_ID = "50000000001"
DOCUMENT_ID = "amzn1.spdoc.1.4.na.50000000001"


@dataclass
class World:
    free: dict[str, int] = field(default_factory=dict)
    deadline: timedelta = timedelta(hours=24)
    clock: FakeClock = field(default_factory=FakeClock)
    limits: FakeRateLimits = field(init=False)
    api: FakeReportsApi = field(init=False)
    fetcher: DocumentFetcher = field(init=False)

    def __post_init__(self) -> None:
        self.limits = FakeRateLimits(self.clock, free=self.free)
        self.api = FakeReportsApi(clock=self.clock, limits=self.limits)
        self.fetcher = DocumentFetcher(self.api, Pacer(self.limits, self.clock, self.deadline))

    def report(self, status: ReportStatus, document_id: str | None = DOCUMENT_ID) -> Report:
        return self.api.add(
            Report(
                seller_id=SELLER,
                report_id=REPORT_ID,
                report_type=LISTINGS,
                status=status,
                created_time=self.clock.now() - timedelta(minutes=5),
                document_id=document_id,
            )
        )


def test_a_done_report_and_its_document_are_found_in_one_attempt() -> None:
    world = World()
    world.report(ReportStatus.DONE)

    fetched = world.fetcher.fetch(SELLER, REPORT_ID, None, None)

    assert fetched.report is not None
    assert fetched.report.report_id == REPORT_ID
    assert fetched.document is not None
    assert fetched.document.url == f"https://docs.test/{DOCUMENT_ID}"
    assert not fetched.pace.waiting
    assert (world.api.get_report_calls, world.api.document_calls) == (1, 1)


def test_a_rate_limited_document_returns_the_report_and_a_wait() -> None:
    # given getReportDocument has no token to spare
    world = World(free={"getReportDocument": 0})
    world.report(ReportStatus.DONE)

    # when the first attempt runs
    fetched = world.fetcher.fetch(SELLER, REPORT_ID, None, None)

    # then the report is known, no URL was asked for, and the workflow is to wait
    assert fetched.report is not None
    assert fetched.report.status is ReportStatus.DONE
    assert fetched.document is None
    assert fetched.pace.waiting
    assert fetched.pace.wait_seconds == 60
    assert fetched.pace.ticket is not None
    assert fetched.pace.ticket.operation == "getReportDocument"
    assert world.api.document_calls == 0


def test_the_next_attempt_skips_getreport_and_spends_the_reserved_token() -> None:
    # given an attempt that waited for getReportDocument
    world = World(free={"getReportDocument": 0})
    world.report(ReportStatus.DONE)
    first = world.fetcher.fetch(SELLER, REPORT_ID, None, None)
    world.clock.sleep(first.pace.wait_seconds)

    # when the next attempt runs with the report and pace it carried
    second = world.fetcher.fetch(SELLER, REPORT_ID, first.report, first.pace)

    # then getReport ran once in all, and the document came on the reserved token
    assert world.api.get_report_calls == 1
    assert world.limits.honoured == [first.pace.ticket]
    assert world.limits.reserved == {"getReportDocument": 1}
    assert second.document is not None
    assert second.document.document_id == DOCUMENT_ID
    assert second.report == first.report
    assert not second.pace.waiting
    assert second.pace.deadline == first.pace.deadline


def test_a_rate_limited_getreport_waits_and_runs_on_the_next_attempt() -> None:
    world = World(free={"getReport": 0})
    world.report(ReportStatus.DONE)

    first = world.fetcher.fetch(SELLER, REPORT_ID, None, None)
    world.clock.sleep(first.pace.wait_seconds)
    second = world.fetcher.fetch(SELLER, REPORT_ID, first.report, first.pace)

    assert (first.report, first.document) == (None, None)
    assert first.pace.ticket is not None
    assert first.pace.ticket.operation == "getReport"
    assert world.limits.honoured == [first.pace.ticket]
    assert world.api.get_report_calls == 1
    assert second.document is not None


def test_a_document_token_after_the_deadline_fails_the_step() -> None:
    world = World(free={"getReportDocument": 0}, deadline=timedelta(seconds=30))
    world.report(ReportStatus.DONE)

    with pytest.raises(ThrottleDeadlineError, match="getReportDocument"):
        world.fetcher.fetch(SELLER, REPORT_ID, None, None)


def test_a_report_still_in_progress_is_not_ready() -> None:
    # given a report that needs two polls to finish
    world = World()
    world.api.polls_until_done = 2
    world.report(ReportStatus.IN_QUEUE, document_id=None)

    # when it is fetched, then the workflow is told to ask again later
    with pytest.raises(ReportNotReadyError, match=f"report {REPORT_ID} is IN_PROGRESS"):
        world.fetcher.fetch(SELLER, REPORT_ID, None, None)
    assert world.api.document_calls == 0


def test_a_cancelled_report_has_no_document_to_fetch() -> None:
    world = World()
    world.report(ReportStatus.CANCELLED, document_id=None)

    fetched = world.fetcher.fetch(SELLER, REPORT_ID, None, None)

    assert fetched.report is not None
    assert fetched.report.status is ReportStatus.CANCELLED
    assert fetched.document is None
    assert not fetched.pace.waiting
    assert world.api.document_calls == 0


def test_a_fatal_report_with_an_error_document_fetches_it() -> None:
    world = World()
    world.report(ReportStatus.FATAL)

    fetched = world.fetcher.fetch(SELLER, REPORT_ID, None, None)

    assert fetched.document is not None
    assert fetched.document.document_id == DOCUMENT_ID


def test_a_fatal_report_without_a_document_has_nothing_to_fetch() -> None:
    world = World()
    world.report(ReportStatus.FATAL, document_id=None)

    fetched = world.fetcher.fetch(SELLER, REPORT_ID, None, None)

    assert fetched.document is None
    assert world.api.document_calls == 0


def test_a_done_report_without_a_document_is_an_sp_api_error() -> None:
    world = World()
    world.report(ReportStatus.DONE, document_id=None)

    with pytest.raises(SpApiError, match="DONE without a document") as raised:
        world.fetcher.fetch(SELLER, REPORT_ID, None, None)
    assert raised.value.operation == "getReport"
    assert world.api.document_calls == 0


def test_a_token_that_expired_while_waiting_goes_back_through_authenticate_with_the_report() -> (
    None
):
    # given the access token expired while the step waited for its rate limit
    world = World()
    world.report(ReportStatus.DONE)
    expired = AccessTokenExpiredError("getReportDocument", "The access token has expired")

    def refused(seller_id: str, document_id: str) -> None:
        raise expired

    world.api.get_report_document = refused  # type: ignore[method-assign]

    # when the step runs
    fetched = world.fetcher.fetch(SELLER, REPORT_ID, None, None)

    # then it pauses (the workflow's loop re-authenticates) and keeps the report it has
    assert fetched.report is not None
    assert fetched.document is None
    assert fetched.pace.waiting
    assert fetched.pace.ticket is None
    assert world.api.get_report_calls == 1
