"""Vendor report periods: DAY, WEEK (Sunday to Saturday), MONTH, QUARTER, YEAR, and UTC hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

PERIODS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
_HOUR = 3600


def _months(period: str) -> int:
    return {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[period]


def first_day(period: str, day: date) -> date:
    """The first day of the period that holds `day`."""
    if period == "DAY":
        return day
    if period == "WEEK":  # weekday(): Monday 0 .. Sunday 6
        return day - timedelta(days=(day.weekday() + 1) % 7)
    months = _months(period)
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def last_day(period: str, day: date) -> date:
    """The last day of the period that holds `day`."""
    if period == "DAY":
        return day
    if period == "WEEK":
        return first_day(period, day) + timedelta(days=6)
    start = first_day(period, day)
    following = start.month - 1 + _months(period)
    return date(start.year + following // 12, following % 12 + 1, 1) - timedelta(days=1)


def index(period: str, day: date) -> int:
    """A running number of the period holding `day`: consecutive periods differ by one."""
    if period in ("DAY", "WEEK"):
        return first_day(period, day).toordinal() // (1 if period == "DAY" else 7)
    return (day.year * 12 + day.month - 1) // _months(period)


def split(period: str, start: date, end: date) -> list[tuple[date, date]]:
    """The periods from the one holding `start` to the one holding `end`, as (first, last)."""
    found = []
    day = first_day(period, start)
    while day <= end:
        found.append((day, last_day(period, day)))
        day = last_day(period, day) + timedelta(days=1)
    return found


def full_hours(start: float, end: float, until: float) -> list[tuple[float, float]]:
    """Every whole UTC hour inside [start, end] that has ended by `until`, as epoch bounds."""
    hour = -(-int(start) // _HOUR) * _HOUR  # round up to the next full hour
    hours = []
    while hour + _HOUR <= min(end, until):
        hours.append((float(hour), float(hour + _HOUR)))
        hour += _HOUR
    return hours


def utc_z(epoch: float) -> str:
    """`2022-04-20T20:00:00Z`, as the real-time reports write times."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
