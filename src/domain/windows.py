"""A report's data window by its type's rule: whole periods (R1), full UTC hours (R2), option
ranges; snapped outward, clipped to lookback and availability, sliced to the maximum span."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import ConfigError
from domain.periods import (
    ceil_hour,
    ceil_start,
    first_day,
    floor_hour,
    last_day,
    last_second,
    midnight,
    next_start,
    period_end,
    period_start,
    periods_back,
)
from domain.report_types import Period, ReportTypeSpec, WindowRule

_DAY = timedelta(days=1)
# Planned requests may wait for their rate limit before Amazon sees them: keep that far
# inside a lookback, so a start valid when planned is still valid when placed.
LOOKBACK_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class DataWindow:
    """One request's data window; `options` carries it for types that take it as options."""

    start: datetime | None
    end: datetime | None
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WindowNote:
    """What the planner changed about a requested window, as one line for the user. `empty`:
    nothing of the window can be requested (not available yet, or beyond the lookback)."""

    report_type: str
    text: str
    empty: bool = False

    def __str__(self) -> str:
        return f"{self.report_type}: {self.text}"


def windows(
    spec: ReportTypeSpec,
    options: dict[str, str],
    start: datetime | None,
    end: datetime,
    now: datetime,
    max_span: timedelta | None = None,
) -> tuple[list[DataWindow], WindowNote | None]:
    """The windows to request for [start, end) (no start: a snapshot) as of `now`."""
    if spec.window is WindowRule.NONE:
        ignored = "it takes no data window, so the window is ignored" if start else None
        return [DataWindow(None, None)], _note(spec, ignored)
    if spec.window is WindowRule.OPTIONS and spec.window_options:
        return _option_window(spec, options, start, end, now)
    if start is None:
        if spec.window in (WindowRule.PERIOD, WindowRule.HOURLY):
            raise ConfigError(f"{spec.report_type}: needs a data window (a start date)")
        return [DataWindow(None, None)], None
    if end <= start:
        raise ConfigError(f"empty data window: start {start.isoformat()} is not before end")
    if spec.window is WindowRule.PERIOD:
        return _periods(spec, spec.period(options) or Period.DAY, start, end, now)
    if spec.window is WindowRule.HOURLY:
        return _hours(spec, start, end, now, max_span)
    span = max_span or spec.max_span
    return [DataWindow(s, e) for s, e in slice_window(start, end, span)], None


def slice_window(
    start: datetime, end: datetime, span: timedelta | None
) -> list[tuple[datetime, datetime]]:
    """Consecutive [start, end) slices no wider than `span`, oldest first."""
    if end <= start:
        raise ConfigError(f"empty data window: start {start.isoformat()} is not before end")
    if span is None or span <= timedelta(0):
        return [(start, end)]
    slices, cursor = [], start
    while cursor < end:
        upper = min(cursor + span, end)
        slices.append((cursor, upper))
        cursor = upper
    return slices


def _periods(
    spec: ReportTypeSpec, period: Period, start: datetime, end: datetime, now: datetime
) -> tuple[list[DataWindow], WindowNote | None]:
    limits = spec.limits(period)
    first, last = period_start(first_day(start), period), period_end(last_day(end), period)
    snapped = (midnight(first), midnight(last + _DAY)) != (start, end)
    reasons: list[str] = []
    # A period whose last day is b is available from the midnight after b plus the lag.
    ready = (now - limits.lag).astimezone(UTC).date() - _DAY
    ready = ready if period_end(ready, period) == ready else period_start(ready, period) - _DAY
    if last > ready:
        last = ready
        reasons.append(f"a {period} is available {_duration(limits.lag)} after it ends")
    if limits.lookback_periods is not None:
        oldest = periods_back(first_day(now - LOOKBACK_MARGIN), period, limits.lookback_periods)
        earliest = ceil_start(oldest + _DAY, period)
        if first < earliest:
            first = earliest
            reasons.append(f"Amazon looks back at most {limits.lookback_periods} {period}s")
    if first > last:
        asked = f"{first_day(start)}..{last_day(end)}"
        return [], WindowNote(spec.report_type, _nothing(asked, reasons), empty=True)
    slices: list[DataWindow] = []
    cursor = first
    while cursor <= last:
        upper = cursor
        for _ in range(limits.max_periods - 1):
            if next_start(upper, period) > last:
                break
            upper = next_start(upper, period)
        upper = period_end(upper, period)
        slices.append(DataWindow(midnight(cursor), last_second(upper)))
        cursor = upper + _DAY
    if not (snapped or reasons):
        return slices, None
    text = _changed(f"whole {period}s", f"{first}..{last}", reasons)
    if len(slices) > 1:
        text += f", in {len(slices)} requests of at most {limits.max_periods} {period}s"
    return slices, WindowNote(spec.report_type, text)


def _hours(
    spec: ReportTypeSpec, start: datetime, end: datetime, now: datetime, span: timedelta | None
) -> tuple[list[DataWindow], WindowNote | None]:
    limits = spec.hourly
    if limits is None:
        raise ConfigError(f"{spec.report_type}: the catalog gives no hourly limits")
    first, last = floor_hour(start), ceil_hour(end)
    snapped = (first, last) != (start, end)
    reasons: list[str] = []
    ready = floor_hour(now - limits.end_before_now)
    if last > ready:
        last = ready
        wait = limits.end_before_now
        ago = f", at least {_duration(wait)} before the request" if wait else ""
        reasons.append(f"only full hours that have ended{ago}")
    if limits.lookback is not None:
        earliest = ceil_hour(now - limits.lookback + LOOKBACK_MARGIN)
        if first < earliest:
            first = earliest
            reasons.append(f"Amazon looks back at most {_duration(limits.lookback)}")
    if first >= last:
        asked = f"{_iso(start)}..{_iso(end)}"
        return [], WindowNote(spec.report_type, _nothing(asked, reasons), empty=True)
    widest = min((s for s in (span, limits.max_span) if s), default=None)
    slices = [DataWindow(s, e) for s, e in slice_window(first, last, widest)]
    if not (snapped or reasons):
        return slices, None
    text = _changed("full UTC hours", f"{_iso(first)}..{_iso(last)}", reasons)
    if len(slices) > 1 and widest is not None:
        text += f", in {len(slices)} requests of at most {_duration(widest)}"
    return slices, WindowNote(spec.report_type, text)


def _changed(unit: str, window: str, reasons: list[str]) -> str:
    text = f"window snapped to {unit}: {window}"
    return text + (" (" + "; ".join(reasons) + ")" if reasons else "")


def _nothing(asked: str, reasons: list[str]) -> str:
    return f"nothing to request in {asked}: " + "; ".join(reasons)


def _option_window(
    spec: ReportTypeSpec,
    options: dict[str, str],
    start: datetime | None,
    end: datetime,
    now: datetime,
) -> tuple[list[DataWindow], WindowNote | None]:
    low, high = spec.window_options or ("", "")
    if low in options and high in options:
        ignored = (
            f"the window is ignored: reportOptions {low} and {high} give the range"
            if start
            else None
        )
        return [DataWindow(None, None)], _note(spec, ignored)
    if start is None:
        raise ConfigError(
            f"{spec.report_type}: needs a data window, or reportOptions {low} and {high}"
        )
    note = None
    if spec.window_lookback is not None and start < now - spec.window_lookback + _DAY:
        start = midnight(first_day(now - spec.window_lookback + _DAY))
        days = spec.window_lookback.days
        note = f"{low} moved to {_iso(start)}: Amazon looks back at most {days} days"
    if end <= start:
        return [], WindowNote(spec.report_type, f"nothing to request: {note}", True)
    return [DataWindow(None, None, ((low, _iso(start)), (high, _iso(end))))], _note(spec, note)


def _note(spec: ReportTypeSpec, text: str | None) -> WindowNote | None:
    return WindowNote(spec.report_type, text) if text else None


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{span.total_seconds() / 60:g} min"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
