"""Requesting reports: identical recent or in-flight reports are reused, not created again."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.model import Report, ReportRequest, ReportStatus
from domain.requesting import ReportRequester, fresh
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


VENDOR = "amzn1.vg.6213651"
VENDOR_SALES = "GET_VENDOR_SALES_REPORT"
WEEKLY = (("distributorView", "SOURCING"), ("reportPeriod", "WEEK"), ("sellingProgram", "RETAIL"))


def _sales_request(options=WEEKLY):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)
    return ReportRequest(VENDOR, VENDOR_SALES, ("ATVPDKIKX0DER",), start, end, options)


def _listed_sales(api, clock, status, age=timedelta(minutes=5), options=None):
    request = _sales_request()
    return _existing(
        api,
        clock,
        status,
        age=age,
        seller_id=VENDOR,
        report_type=VENDOR_SALES,
        data_start=request.data_start,
        data_end=request.data_end,
        options=options,
    )


def test_a_listed_report_of_unknown_options_does_not_answer_a_request_with_options():
    # getReports returns no reportOptions: this one may be for another distributorView.
    clock, api = _setup()
    _listed_sales(api, clock, ReportStatus.IN_PROGRESS)
    done = ReportRequester(api, clock).request(_sales_request())
    assert not done.reused
    assert len(api.created) == 1


def test_a_report_known_to_have_the_same_options_is_reused():
    clock, api = _setup()
    _listed_sales(api, clock, ReportStatus.IN_PROGRESS, options=WEEKLY)
    assert ReportRequester(api, clock).request(_sales_request()).reused


def test_a_report_known_to_have_other_options_is_not_reused():
    clock, api = _setup()
    monthly = tuple((k, "MONTH" if k == "reportPeriod" else v) for k, v in WEEKLY)
    _listed_sales(api, clock, ReportStatus.IN_PROGRESS, options=monthly)
    assert not ReportRequester(api, clock).request(_sales_request()).reused


def test_identical_vendor_requests_in_one_plan_share_one_report():
    clock, api = _setup()
    done = ReportRequester(api, clock).request_all([_sales_request(), _sales_request()])
    assert [d.reused for d in done] == [False, True]
    assert len(api.created) == 1


def test_a_done_vendor_report_older_than_its_staleness_is_not_reused():
    # Amazon restates vendor data: the same period asked again later is a new report.
    clock, api = _setup()
    _listed_sales(api, clock, ReportStatus.DONE, age=timedelta(minutes=20), options=WEEKLY)
    requester = ReportRequester(api, clock)
    assert requester.candidates(VENDOR, VENDOR_SALES) == []
    assert not requester.request(_sales_request()).reused


def test_a_fresh_done_vendor_report_is_reused_and_one_in_flight_is_always_fresh():
    clock, api = _setup()
    report = _listed_sales(api, clock, ReportStatus.DONE, age=timedelta(minutes=10), options=WEEKLY)
    in_flight = replace(
        report, status=ReportStatus.IN_QUEUE, created_time=clock.now() - timedelta(minutes=50)
    )
    assert fresh(report, clock.now())
    assert fresh(in_flight, clock.now())
    assert ReportRequester(api, clock).request(_sales_request()).reused


def test_seller_reports_keep_the_requesters_reuse_window():
    clock, api = _setup()
    report = _existing(api, clock, ReportStatus.DONE, age=timedelta(minutes=50))
    assert fresh(report, clock.now())
    assert (
        ReportRequester(api, clock)
        .request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",)))
        .reused
    )


def test_a_request_without_options_is_not_answered_by_a_report_known_to_have_some():
    clock, api = _setup()
    _existing(api, clock, ReportStatus.IN_PROGRESS, options=(("custom", "true"),))
    assert (
        not ReportRequester(api, clock)
        .request(ReportRequest(SELLER, LISTINGS, ("ATVPDKIKX0DER",)))
        .reused
    )
