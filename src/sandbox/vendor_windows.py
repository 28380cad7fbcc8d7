"""The date rules of vendor reports: periods aligned to reportPeriod, real-time hours, ranges.

The rules come from the reportSpecification descriptions in Amazon's report JSON Schemas and
the sourced span, lookback and availability facts; the FATAL messages are inferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sandbox import periods, report_schemas
from sandbox.times import parse

_TWO_YEARS = timedelta(days=730)
_HOUR = 3600.0
_START_RANGES = frozenset({"GET_PROMOTION_PERFORMANCE_REPORT", "GET_COUPON_PERFORMANCE_REPORT"})

# Documented limits per reportPeriod: (maximum span, maximum lookback), both in periods.
# Sales DAY: amzn/selling-partner-api-models#508; NPPM: the archived report type list
# (selling-partner-api-docs@83b77ee). Other types and periods have no published numbers.
LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "GET_VENDOR_SALES_REPORT": {"DAY": (15, 1460)},
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": {
        "DAY": (15, 1460),
        "WEEK": (7, 8),
        "MONTH": (15, 36),
        "QUARTER": (4, 8),
        "YEAR": (2, 3),
    },
}
# "Data for a given day is available 168 hours after that day" (NPPM, same archived list).
AVAILABLE_AFTER = {"GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": timedelta(hours=168)}


@dataclass(frozen=True)
class Request:
    """A createReport body reduced to what the rules read; dates as sent, or None."""

    report_type: str
    options: dict[str, str]
    marketplace_ids: tuple[str, ...]
    start: str | None
    end: str | None
    data_start: float  # the epoch window the simulator settled on (defaults filled in)
    data_end: float
    now: float

    def day(self, raw: str | None, epoch: float) -> date:
        # "the time component is ignored": the date as written, whatever its offset.
        if raw:
            return datetime.fromisoformat(raw).date()
        return datetime.fromtimestamp(epoch, UTC).date()


def kind(report_type: str) -> str:
    """period (R1: dates aligned to reportPeriod), hourly (R2: UTC date-times), or none."""
    found = report_schemas.specification(report_type)["properties"].get("dataStartTime", {})
    return {"date": "period", "date-time": "hourly"}.get(found.get("format", ""), "none")


def problem(request: Request) -> str | None:
    """Why the report's window must end it FATAL, or None."""
    found = kind(request.report_type)
    if found == "period":
        return _period_problem(request)
    if found == "hourly":
        return _hourly_problem(request)
    if request.report_type in _START_RANGES:
        return _start_range_problem(request)
    return None


def _period_problem(request: Request) -> str | None:
    # Every message below is inferred: Amazon's FATAL documents for these were not retrieved.
    period = request.options["reportPeriod"]
    start = request.day(request.start, request.data_start)
    end = request.day(request.end, request.data_end)
    today = datetime.fromtimestamp(request.now, UTC).date()
    if end < start:
        return f"The dataEndTime {end} is earlier than the dataStartTime {start}."
    if start != periods.first_day(period, start) or end != periods.last_day(period, end):
        return (
            f"The dataStartTime {start} and dataEndTime {end} do not align with the {period} "
            "reportPeriod. For WEEK, MONTH, QUARTER, and YEAR reportPeriods, dataStartTime must "
            "be the first day and dataEndTime the last day of a period (a WEEK runs from Sunday "
            "to Saturday). Please correct the dates in your request and try again."
        )
    if start > today:
        return f"No data is available yet for a report that starts on {start}."
    span, lookback = LIMITS.get(request.report_type, {}).get(period, (0, 0))
    count = periods.index(period, end) - periods.index(period, start) + 1
    if span and count > span:
        return (
            f"The requested dates cover {count} {period} periods; this report type allows at "
            f"most {span} for the {period} reportPeriod. Please request a shorter date range."
        )
    if lookback and periods.index(period, today) - periods.index(period, start) > lookback:
        return (
            f"The dataStartTime {start} is outside the maximum lookback of {lookback} {period} "
            "periods for this report type. Please request a more recent date range."
        )
    lag = AVAILABLE_AFTER.get(request.report_type)
    if lag is None:
        return None
    ready = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC) + lag
    if request.now < ready.timestamp():
        return (
            f"Data for {end} is not available yet; it is available from {ready:%Y-%m-%d %H:%M} UTC."
        )
    return None


def _hourly_problem(request: Request) -> str | None:
    # The rules are the schemas' descriptions; the wording is inferred.
    traffic = request.report_type == "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT"
    if traffic and request.data_end > request.now - _HOUR:
        return "The dataEndTime must be at least 60 minutes earlier than the time of the request."
    if request.report_type != "GET_VENDOR_REAL_TIME_INVENTORY_REPORT":
        return None
    if request.data_start < request.now - 168 * _HOUR:
        return "The dataStartTime must be at most 168 hours before the time of the request."
    if request.data_end - request.data_start > 24 * _HOUR:
        return "The dataEndTime must be no more than 24 hours after the dataStartTime."
    return None


def _start_range_problem(request: Request) -> str | None:
    # "This report supports start dates up to two years before the current date" (both schemas).
    names = report_schemas.options(request.report_type)[0]
    first, last = (parse(request.options[n]) for n in names)
    if first > last:
        return f"The {names[0]} reportOption must not be later than {names[1]}."
    if first < request.now - _TWO_YEARS.total_seconds():
        return f"The {names[0]} reportOption must be no more than two years before today."
    return None
