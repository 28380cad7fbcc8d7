"""Waiting: polling with per-report backoff that yields each report as soon as it finishes."""

from datetime import timedelta

import pytest

from domain.errors import ReportTimeoutError, ThrottledError
from domain.model import ReportRequest, ReportStatus
from domain.waiting import PollPolicy, ReportWaiter
from tests.fakes import FakeClock, FakeReportsApi

SELLER = "A3TH9S8BH6GOGM"


def _api(polls):
    clock = FakeClock()
    return clock, FakeReportsApi(clock=clock, polls_until_done=polls)


def test_polling_backs_off_exponentially_until_done():
    clock, api = _api(polls=4)
    report_id = api.create_report(ReportRequest(SELLER, "GET_X", ("ATVPDKIKX0DER",)))
    waiter = ReportWaiter(api, clock, PollPolicy(first_interval=2, factor=2, max_interval=5))
    report = waiter.wait(SELLER, report_id)
    assert report.status is ReportStatus.DONE
    assert clock.slept == [2, 4, 5]


def test_many_reports_are_yielded_as_each_finishes():
    clock, api = _api(polls=2)
    first = api.create_report(ReportRequest(SELLER, "GET_A", ("ATVPDKIKX0DER",)))
    second = api.create_report(ReportRequest(SELLER, "GET_B", ("ATVPDKIKX0DER",)))
    api.final_status["GET_B"] = ReportStatus.CANCELLED
    done = list(ReportWaiter(api, clock).wait_all([(SELLER, first), (SELLER, second)]))
    assert {(r.report_id, r.status) for r in done} == {
        (first, ReportStatus.DONE),
        (second, ReportStatus.CANCELLED),
    }


def test_throttling_while_polling_only_delays_the_next_poll():
    clock, api = _api(polls=1)
    report_id = api.create_report(ReportRequest(SELLER, "GET_X", ("ATVPDKIKX0DER",)))
    real_get = api.get_report
    failures = iter([ThrottledError("getReport", "quota", status=429)])

    def flaky(seller_id, rid):
        error = next(failures, None)
        if error:
            raise error
        return real_get(seller_id, rid)

    api.get_report = flaky
    assert ReportWaiter(api, clock).wait(SELLER, report_id).status is ReportStatus.DONE
    assert clock.slept == [2.0]


def test_a_report_that_never_finishes_times_out_with_advice():
    clock, api = _api(polls=10**6)
    report_id = api.create_report(ReportRequest(SELLER, "GET_X", ("ATVPDKIKX0DER",)))
    waiter = ReportWaiter(api, clock, PollPolicy(timeout=timedelta(minutes=5)))
    with pytest.raises(ReportTimeoutError, match=f"{report_id} did not finish.*run again"):
        waiter.wait(SELLER, report_id)
    assert clock.now() - FakeClock().now() <= timedelta(minutes=6)
