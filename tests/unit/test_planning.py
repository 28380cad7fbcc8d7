"""Planning: seller × report type × marketplace × data window, sliced to the maximum span."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ConfigError
from domain.planning import ReportConfig, Seller, max_span, plan_requests, slice_window

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
