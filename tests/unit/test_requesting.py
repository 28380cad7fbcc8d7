"""Requesting reports: identical recent or in-flight reports are reused, not created again."""

from dataclasses import replace
from datetime import timedelta

from domain.model import Report, ReportRequest, ReportStatus
from domain.requesting import ReportRequester
from tests.fakes import FakeClock, FakeReportsApi

SELLER = "A3TH9S8BH6GOGM"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


def _setup():
    clock = FakeClock()
    return clock, FakeReportsApi(clock=clock)


def _existing(api, clock, status, age=timedelta(minutes=10), **changes):
    report = Report(
        seller_id=SELLER,
        report_id="40000000001",
        report_type=LISTINGS,
        status=status,
        created_time=clock.now() - age,
        marketplace_ids=("ATVPDKIKX0DER",),
    )
    return api.add(replace(report, **changes))


def test_a_new_request_creates_a_report():
    clock, api = _setup()
    done = ReportRequester(api, clock).request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",)))
    assert not done.reused
    assert [r.report_type for r in api.created] == [LISTINGS]


def test_an_in_flight_identical_report_is_reused():
    clock, api = _setup()
    _existing(api, clock, ReportStatus.IN_PROGRESS)
    done = ReportRequester(api, clock).request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",)))
    assert (done.report_id, done.reused) == ("40000000001", True)
    assert api.created == []


def test_a_recent_done_report_is_reused_but_an_old_one_is_not():
    clock, api = _setup()
    _existing(api, clock, ReportStatus.DONE, age=timedelta(hours=3))
    done = ReportRequester(api, clock).request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",)))
    assert not done.reused


def test_fatal_and_cancelled_reports_are_never_reused():
    clock, api = _setup()
    _existing(api, clock, ReportStatus.FATAL)
    done = ReportRequester(api, clock).request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",)))
    assert not done.reused


def test_a_report_for_another_marketplace_or_window_is_not_reused():
    clock, api = _setup()
    _existing(api, clock, ReportStatus.DONE, marketplace_ids=("A2EUQ1WTGCTBG2",))
    start = clock.now() - timedelta(days=1)
    _existing(api, clock, ReportStatus.DONE, report_id="40000000002", data_start=start)
    request = ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",), start - timedelta(days=1), start)
    assert not ReportRequester(api, clock).request(request).reused


def test_identical_requests_in_one_plan_share_one_report_and_one_get_reports_page():
    clock, api = _setup()
    request = ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",))
    done = ReportRequester(api, clock).request_all([request, request])
    assert [d.reused for d in done] == [False, True]
    assert done[0].report_id == done[1].report_id
    assert len(api.created) == 1


def test_reuse_can_be_turned_off():
    clock, api = _setup()
    _existing(api, clock, ReportStatus.IN_PROGRESS)
    requester = ReportRequester(api, clock, reuse_within=timedelta(0))
    assert not requester.request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",))).reused
