"""Calendar arithmetic on reportPeriods: WEEK is Sunday..Saturday, MONTH..YEAR first..last day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from domain.report_types import Period

_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}


def period_start(day: date, period: Period) -> date:
    """The first day of the period that holds `day`."""
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=(day.weekday() + 1) % 7)  # weekday(): Monday is 0
    months = _MONTHS[period]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def period_end(day: date, period: Period) -> date:
    """The last day of the period that holds `day`."""
    return next_start(day, period) - _DAY


def next_start(day: date, period: Period) -> date:
    """The first day of the period after the one that holds `day`."""
    first = period_start(day, period)
    if period is Period.DAY:
        return first + _DAY
    if period is Period.WEEK:
        return first + timedelta(days=7)
    month = first.month - 1 + _MONTHS[period]
    return date(first.year + month // 12, month % 12 + 1, 1)


def ceil_start(day: date, period: Period) -> date:
    """`day` when a period starts on it, else the start of the next period."""
    return day if period_start(day, period) == day else next_start(day, period)


def periods_back(day: date, period: Period, count: int) -> date:
    """The day `count` periods before `day` (month ends clamp: 31 March - 1 month = 28/29 Feb)."""
    if period is Period.DAY:
        return day - count * _DAY
    if period is Period.WEEK:
        return day - timedelta(weeks=count)
    month = day.year * 12 + day.month - 1 - count * _MONTHS[period]
    year, month0 = divmod(month, 12)
    last = (date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1) - _DAY).day
    return date(year, month0 + 1, min(day.day, last))


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def last_second(day: date) -> datetime:
    """The end of a date-only window: Amazon ignores the time, and the date must be the period's
    last day (its next midnight would name the following period)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def first_day(start: datetime) -> date:
    return start.astimezone(UTC).date()


def last_day(end: datetime) -> date:
    """The last day an exclusive end covers: up to midnight is the day before."""
    return (end.astimezone(UTC) - timedelta(microseconds=1)).date()


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + _HOUR
