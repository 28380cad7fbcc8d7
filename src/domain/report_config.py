"""Checking one configured report against the catalog before anything is deployed or requested."""

from __future__ import annotations

from datetime import timedelta

from domain.errors import ConfigError, ReportOptionError
from domain.planning import ReportConfig
from domain.report_types import Period, ReportTypeSpec, WindowRule, spec

# The longest a period can be: a window shorter than this plus the lag may hold no whole
# period that Amazon already has.
_LONGEST = {
    Period.DAY: timedelta(days=1),
    Period.WEEK: timedelta(days=7),
    Period.MONTH: timedelta(days=31),
    Period.QUARTER: timedelta(days=92),
    Period.YEAR: timedelta(days=366),
}


def check_report(
    config: ReportConfig,
    key: str,
    *,
    windowed: bool | None = None,
    window_key: str | None = None,
    options_key: str | None = None,
) -> None:
    """ConfigError (ReportOptionError for options), one line naming the key, when the report's
    options or window do not fit its type. `windowed`: whether a data window is given (default:
    the config's own `window`); the CLI names its flags as `window_key` and `options_key`."""
    found = spec(config.report_type)
    has_window = config.window is not None if windowed is None else windowed
    filled: frozenset[str] = frozenset()
    if found.window is WindowRule.OPTIONS:
        _check_range(found, config, key, window_key or f"{key}.window", has_window)
        filled = frozenset(found.window_options or ()) if has_window else filled
    try:
        found.check_options(dict(config.options), filled)
    except ReportOptionError as exc:
        raise ReportOptionError(f"{options_key or key + '.options'}: {exc}") from None
    _check_window(found, config, key, window_key or f"{key}.window", has_window)


def _check_range(
    found: ReportTypeSpec, config: ReportConfig, key: str, window_key: str, has_window: bool
) -> None:
    """Promotions and coupons: a window (the planner fills the options in) or both options."""
    low, high = found.window_options or ("", "")
    given = {low, high} & {k for k, _ in config.options}
    if not has_window and len(given) < 2:
        raise ConfigError(
            f"{window_key}: {config.report_type} needs a data window, or reportOptions {low} "
            f"and {high}"
        )
    if config.window is not None and given:
        raise ConfigError(f"{key}.options: give either window or {low} and {high}, not both")


def _check_window(
    found: ReportTypeSpec, config: ReportConfig, key: str, window_key: str, has_window: bool
) -> None:
    name = config.report_type
    if found.window is WindowRule.NONE and config.window is not None:
        raise ConfigError(f"{key}.window: {name} takes no data window; remove window")
    if found.window in (WindowRule.PERIOD, WindowRule.HOURLY) and not has_window:
        unit = "whole reportPeriods" if found.window is WindowRule.PERIOD else "full UTC hours"
        example = "P14D" if found.window is WindowRule.PERIOD else "PT6H"
        raise ConfigError(
            f"{window_key}: {name} needs a data window (window: {example} in a stack, --since "
            f"on the command line): it reports {unit}"
        )
    period = found.period(dict(config.options))
    if period is None:
        return
    if config.max_span is not None:
        most = found.limits(period).max_periods
        raise ConfigError(
            f"{key}.maxSpan: {name} is sliced into whole {period}s (at most {most} per request); "
            "remove maxSpan"
        )
    lag = found.limits(period).lag
    needed = _LONGEST[period] + lag
    if config.window is not None and config.window < needed:
        raise ConfigError(
            f"{key}.window: {_iso(config.window)} is too short for {name} by {period}: a {period} "
            f"is available {lag.total_seconds() / 3600:g} h after it ends, so no whole {period} "
            f"might be ready; use at least {_iso(needed)}"
        )


def _iso(span: timedelta) -> str:
    """ISO 8601: whole days as P9D, anything else in whole hours rounded up (PT36H)."""
    if span % timedelta(days=1) == timedelta(0):
        return f"P{span.days}D"
    return f"PT{-(-span // timedelta(hours=1))}H"
