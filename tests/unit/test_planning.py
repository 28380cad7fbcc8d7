"""Planning: partner × report type × marketplace × data window, sliced to the maximum span."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ConfigError
from domain.model import PartnerKind
from domain.planning import (
    ReportConfig,
    Seller,
    applies,
    max_span,
    plan,
    plan_requests,
    slice_window,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)
SELLER = Seller("acme", "A3TH9S8BH6GOGM", ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"))
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"


def test_a_snapshot_report_gets_one_request_per_marketplace_without_a_window():
    plan = plan_requests([SELLER], [ReportConfig("GET_MERCHANT_LISTINGS_ALL_DATA")], until=NOW)
    assert [(r.marketplace_ids, r.data_start, r.data_end) for r in plan] == [
        (("ATVPDKIKX0DER",), None, None),
        (("A2EUQ1WTGCTBG2",), None, None),
    ]


def test_order_reports_are_sliced_to_thirty_days():
    since = NOW - timedelta(days=75)
    plan = plan_requests([SELLER], [ReportConfig(ORDERS)], until=NOW, since=since)
    us = [r for r in plan if r.marketplace_ids == ("ATVPDKIKX0DER",)]
    assert [(r.data_end - r.data_start).days for r in us] == [30, 30, 15]
    assert us[0].data_start == since
    assert us[-1].data_end == NOW
    assert all(a.data_end == b.data_start for a, b in itertools.pairwise(us))


def test_a_configured_window_ends_at_the_run_time_and_a_configured_span_wins():
    config = ReportConfig(ORDERS, window=timedelta(days=3), max_span=timedelta(days=1))
    plan = plan_requests([SELLER], [config], until=NOW)
    assert len(plan) == 6
    assert plan[0].data_start == NOW - timedelta(days=3)


def test_options_travel_with_each_request():
    config = ReportConfig("GET_SALES_AND_TRAFFIC_REPORT", options=(("dateGranularity", "DAY"),))
    plan = plan_requests([SELLER], [config], until=NOW, since=NOW - timedelta(days=2))
    assert plan[0].options_dict == {"dateGranularity": "DAY"}


def test_known_and_inferred_maximum_spans():
    assert max_span(ORDERS) == timedelta(days=30)
    assert max_span("GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE") == timedelta(days=60)
    assert max_span("GET_FLAT_FILE_ORDERS_DATA_NEW_TYPE") == timedelta(days=30)
    assert max_span("GET_MERCHANT_LISTINGS_ALL_DATA") is None


def test_an_empty_window_is_a_config_error():
    with pytest.raises(ConfigError, match="empty data window"):
        list(slice_window(NOW, NOW, None))


VENDOR = Seller("acme-vendor", "amzn1.vg.6213651", ("ATVPDKIKX0DER",), PartnerKind.VENDOR)
WEEKLY = (("distributorView", "SOURCING"), ("reportPeriod", "WEEK"), ("sellingProgram", "RETAIL"))
VENDOR_SALES = ReportConfig("GET_VENDOR_SALES_REPORT", window=timedelta(days=14), options=WEEKLY)


def test_each_report_goes_to_the_partners_its_type_admits():
    reports = [
        ReportConfig("GET_MERCHANT_LISTINGS_ALL_DATA"),
        VENDOR_SALES,
        ReportConfig(
            "GET_BRAND_ANALYTICS_SEARCH_TERMS_REPORT",
            window=timedelta(days=10),
            options=(("reportPeriod", "DAY"),),
        ),
    ]
    plan = plan_requests([SELLER, VENDOR], reports, until=NOW)
    owners = {(r.report_type, r.seller_id) for r in plan}
    assert owners == {
        ("GET_MERCHANT_LISTINGS_ALL_DATA", SELLER.seller_id),
        ("GET_VENDOR_SALES_REPORT", VENDOR.seller_id),
        ("GET_BRAND_ANALYTICS_SEARCH_TERMS_REPORT", SELLER.seller_id),
        ("GET_BRAND_ANALYTICS_SEARCH_TERMS_REPORT", VENDOR.seller_id),
    }


def test_a_report_naming_partners_goes_to_those_only():
    other = Seller("other", "A0OTHER", ("ATVPDKIKX0DER",))
    config = ReportConfig("GET_MERCHANT_LISTINGS_ALL_DATA", partners=("A0OTHER",))
    assert {r.seller_id for r in plan_requests([SELLER, other], [config], until=NOW)} == {"A0OTHER"}
    assert applies(config, other)
    assert not applies(config, SELLER)


def test_a_vendor_report_is_planned_in_whole_weeks_with_its_options_and_a_note():
    # Friday 27 November: the last whole week Amazon has is 15..21 November (48 h after it).
    result = plan([VENDOR], [VENDOR_SALES], until=NOW)
    [request] = result.requests
    assert (request.data_start, request.data_end) == (
        datetime(2026, 11, 8, tzinfo=UTC),
        datetime(2026, 11, 21, 23, 59, 59, tzinfo=UTC),
    )
    assert request.options == WEEKLY
    assert request.marketplace_ids == ("ATVPDKIKX0DER",)
    assert [str(n) for n in result.notes] == [
        "GET_VENDOR_SALES_REPORT: window snapped to whole WEEKs: 2026-11-08..2026-11-21 "
        "(a WEEK is available 48 h after it ends)"
    ]


def test_availability_is_judged_at_now_not_at_the_window_end():
    until = datetime(2026, 11, 22, tzinfo=UTC)
    since = datetime(2026, 11, 15, tzinfo=UTC)
    assert plan([VENDOR], [VENDOR_SALES], until=until, since=since).requests == ()
    later = plan([VENDOR], [VENDOR_SALES], until=until, since=since, now=NOW)
    assert [r.data_start for r in later.requests] == [since]


def test_a_coupon_report_gets_its_window_as_options_and_no_data_window():
    config = ReportConfig("GET_COUPON_PERFORMANCE_REPORT", window=timedelta(days=30))
    [request] = plan_requests([VENDOR], [config], until=NOW)
    assert (request.data_start, request.data_end) == (None, None)
    assert request.options_dict == {
        "campaignStartDateFrom": "2026-10-28T00:00:00Z",
        "campaignStartDateTo": "2026-11-27T00:00:00Z",
    }
