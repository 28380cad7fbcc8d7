"""Vendor report windows: whole periods snapped outward, availability and lookback respected,
full UTC hours for real-time reports, and every change said in one line."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import ConfigError
from domain.periods import period_end, period_start, periods_back
from domain.report_types import Period, spec
from domain.windows import windows

SALES = spec("GET_VENDOR_SALES_REPORT")
NPPM = spec("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT")
# Wednesday 2 December 2026, 10:00 UTC.
NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)


def _at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _options(period: str) -> dict[str, str]:
    return {"distributorView": "MANUFACTURING", "reportPeriod": period, "sellingProgram": "RETAIL"}


def _days(found):
    return [(w.start.date().isoformat(), w.end.date().isoformat()) for w in found]


@pytest.mark.parametrize(
    ("period", "day", "first", "last"),
    [
        (Period.WEEK, date(2026, 11, 4), date(2026, 11, 1), date(2026, 11, 7)),  # Wed → Sun..Sat
        (Period.WEEK, date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 7)),  # a Sunday
        (Period.WEEK, date(2026, 11, 7), date(2026, 11, 1), date(2026, 11, 7)),  # a Saturday
        (Period.MONTH, date(2028, 2, 15), date(2028, 2, 1), date(2028, 2, 29)),  # leap February
        (Period.QUARTER, date(2026, 11, 15), date(2026, 10, 1), date(2026, 12, 31)),
        (Period.YEAR, date(2026, 6, 30), date(2026, 1, 1), date(2026, 12, 31)),
        (Period.DAY, date(2026, 6, 30), date(2026, 6, 30), date(2026, 6, 30)),
    ],
)
def test_a_day_lies_in_one_period_from_its_first_to_its_last_day(period, day, first, last):
    assert (period_start(day, period), period_end(day, period)) == (first, last)


def test_going_back_whole_months_clamps_to_the_month_end():
    assert periods_back(date(2026, 3, 31), Period.MONTH, 1) == date(2026, 2, 28)
    assert periods_back(date(2026, 3, 31), Period.QUARTER, 1) == date(2025, 12, 31)
    assert periods_back(date(2026, 3, 1), Period.WEEK, 8) == date(2026, 1, 4)


def test_a_misaligned_week_window_is_snapped_outward_and_said():
    found, note = windows(SALES, _options("WEEK"), _at("2026-11-03"), _at("2026-11-27"), NOW)
    assert _days(found) == [("2026-11-01", "2026-11-28")]
    assert str(note) == (
        "GET_VENDOR_SALES_REPORT: window snapped to whole WEEKs: 2026-11-01..2026-11-28"
    )
    assert found[0].end == datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)  # the Saturday itself


def test_an_aligned_window_is_requested_as_asked_without_a_note():
    found, note = windows(SALES, _options("WEEK"), _at("2026-11-01"), _at("2026-11-29"), NOW)
    assert _days(found) == [("2026-11-01", "2026-11-28")]
    assert note is None


def test_periods_not_yet_available_are_left_out_and_said():
    # A WEEK is ready 48 h after its Saturday: on Wednesday 2 December the week of
    # 29 November is not over, so the request ends on Saturday 28 November.
    found, note = windows(SALES, _options("WEEK"), _at("2026-11-15"), NOW, NOW)
    assert _days(found) == [("2026-11-15", "2026-11-28")]
    assert note is not None
    assert "a WEEK is available 48 h after it ends" in note.text


def test_net_pure_product_margin_days_wait_168_hours():
    found, _ = windows(NPPM, {"reportPeriod": "DAY"}, _at("2026-11-20"), NOW, NOW)
    # 25 November ends at midnight on the 26th; 168 h later is 3 December 00:00, after NOW.
    assert _days(found)[-1][1] == "2026-11-24"


def test_a_window_with_no_available_period_plans_nothing_and_says_why():
    found, note = windows(NPPM, {"reportPeriod": "MONTH"}, _at("2026-11-20"), NOW, NOW)
    assert found == []
    assert note is not None
    assert note.empty
    assert "nothing to request in 2026-11-20..2026-12-02" in str(note)


def test_daily_sales_are_sliced_into_fifteen_days_at_most():
    found, note = windows(SALES, _options("DAY"), _at("2026-10-01"), _at("2026-11-15"), NOW)
    assert _days(found) == [
        ("2026-10-01", "2026-10-15"),
        ("2026-10-16", "2026-10-30"),
        ("2026-10-31", "2026-11-14"),
    ]
    assert all(b.start - a.end == timedelta(seconds=1) for a, b in itertools.pairwise(found))
    assert note is None


def test_months_are_sliced_into_whole_months_and_the_note_counts_the_requests():
    found, note = windows(SALES, _options("MONTH"), _at("2024-01-01"), _at("2026-11-01"), NOW)
    assert _days(found) == [
        ("2024-01-01", "2025-03-31"),
        ("2025-04-01", "2026-06-30"),
        ("2026-07-01", "2026-10-31"),
    ]
    assert note is None  # aligned and available: nothing to say


def test_a_sliced_window_note_counts_the_requests():
    _, note = windows(SALES, _options("DAY"), _at("2026-10-01", 6), _at("2026-11-15"), NOW)
    assert str(note) == (
        "GET_VENDOR_SALES_REPORT: window snapped to whole DAYs: 2026-10-01..2026-11-14, "
        "in 3 requests of at most 15 DAYs"
    )


def test_a_start_beyond_the_lookback_is_moved_forward_and_said():
    found, note = windows(NPPM, {"reportPeriod": "WEEK"}, _at("2026-01-04"), _at("2026-11-29"), NOW)
    assert found[0].start.date() >= (NOW - timedelta(weeks=8)).date()
    assert found[0].start.weekday() == 6
    assert note is not None
    assert "Amazon looks back at most 8 WEEKs" in note.text


def test_quarters_and_years_snap_to_their_first_and_last_days():
    found, _ = windows(SALES, _options("QUARTER"), _at("2025-05-20"), _at("2026-02-01"), NOW)
    assert _days(found) == [("2025-04-01", "2026-03-31")]
    yearly, _ = windows(SALES, _options("YEAR"), _at("2024-03-01"), _at("2025-06-01"), NOW)
    assert _days(yearly) == [("2024-01-01", "2025-12-31")]


def test_real_time_reports_cover_full_utc_hours():
    inventory = spec("GET_VENDOR_REAL_TIME_INVENTORY_REPORT")
    found, note = windows(inventory, {}, _at("2026-12-01", 6) + timedelta(minutes=20), NOW, NOW)
    assert [(w.start, w.end) for w in found] == [
        (_at("2026-12-01", 6), _at("2026-12-02", 6)),
        (_at("2026-12-02", 6), NOW),
    ]
    assert note is not None
    assert "window snapped to full UTC hours: 2026-12-01T06:00:00Z..2026-12-02T10:00:00Z" in str(
        note
    )


def test_real_time_inventory_starts_at_most_168_hours_back():
    inventory = spec("GET_VENDOR_REAL_TIME_INVENTORY_REPORT")
    found, note = windows(inventory, {}, NOW - timedelta(days=10), NOW, NOW)
    assert found[0].start >= NOW - timedelta(hours=168)
    assert all(w.end - w.start <= timedelta(hours=24) for w in found)
    assert note is not None
    assert "Amazon looks back at most 168 h" in note.text


def test_real_time_traffic_ends_an_hour_before_the_request():
    traffic = spec("GET_VENDOR_REAL_TIME_TRAFFIC_REPORT")
    found, note = windows(traffic, {}, NOW - timedelta(hours=5), NOW + timedelta(minutes=30), NOW)
    assert found[-1].end == NOW - timedelta(hours=1)
    assert note is not None
    assert "at least 1 h before the request" in note.text


def test_promotions_take_their_window_as_start_date_options():
    promotions = spec("GET_PROMOTION_PERFORMANCE_REPORT")
    found, note = windows(promotions, {}, _at("2026-11-01"), _at("2026-11-30"), NOW)
    assert [(w.start, w.end, dict(w.options)) for w in found] == [
        (
            None,
            None,
            {
                "promotionStartDateFrom": "2026-11-01T00:00:00Z",
                "promotionStartDateTo": "2026-11-30T00:00:00Z",
            },
        )
    ]
    assert note is None


def test_promotions_look_back_two_years_at_most():
    promotions = spec("GET_PROMOTION_PERFORMANCE_REPORT")
    found, note = windows(promotions, {}, _at("2020-01-01"), NOW, NOW)
    start = dict(found[0].options)["promotionStartDateFrom"]
    assert start >= (NOW - timedelta(days=730)).isoformat()[:10]
    assert note is not None
    assert "looks back at most 730 days" in note.text


def test_forecasts_take_no_window_and_say_so_when_given_one():
    forecast = spec("GET_VENDOR_FORECASTING_REPORT")
    found, note = windows(forecast, {"sellingProgram": "RETAIL"}, _at("2026-11-01"), NOW, NOW)
    assert [(w.start, w.end) for w in found] == [(None, None)]
    assert note is not None
    assert "takes no data window" in note.text


def test_a_period_report_without_a_start_is_a_config_error():
    with pytest.raises(ConfigError, match="needs a data window"):
        windows(SALES, _options("WEEK"), None, NOW, NOW)
