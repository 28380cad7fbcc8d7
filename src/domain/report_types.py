"""The report-type catalog: who may request a type, its reportOptions, window rules and reuse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache

from domain.errors import ReportOptionError
from domain.model import PartnerKind
from domain.report_options import OptionKind, OptionSpec


class Audience(StrEnum):
    """Which partners Amazon lets request a type."""

    SELLER = "seller"
    VENDOR = "vendor"
    BOTH = "both"

    def admits(self, kind: PartnerKind) -> bool:
        return self is Audience.BOTH or self.value == kind.value


class Period(StrEnum):
    """A `reportPeriod`: WEEK runs Sunday to Saturday, MONTH to YEAR first day to last."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


class WindowRule(StrEnum):
    """How a type's data window is asked for."""

    FREE = "free"  # any instants, or none for a snapshot (every seller type so far)
    NONE = "none"  # no data window at all (forecasts)
    PERIOD = "period"  # R1: whole reportPeriods, dates only, aligned to period boundaries
    HOURLY = "hourly"  # R2: full UTC hours
    OPTIONS = "options"  # a pair of date-time reportOptions carries the range (promotions)


@dataclass(frozen=True)
class PeriodLimits:
    """One reportPeriod's limits, counted in periods; `lag` runs from the end of a period until
    Amazon has its data (asking earlier gives FATAL)."""

    max_periods: int
    lookback_periods: int | None
    lag: timedelta


@dataclass(frozen=True)
class HourlyLimits:
    max_span: timedelta | None
    lookback: timedelta | None  # how far before the request its start may be
    end_before_now: timedelta  # how long before the request its end must be


@dataclass(frozen=True)
class ReportTypeSpec:
    report_type: str
    audience: Audience = Audience.SELLER
    document_format: str | None = None  # "tsv", "xml" or "json"; None when not known
    options: tuple[OptionSpec, ...] = ()
    # Amazon's schema lists every option of the type: any other name is refused (FATAL).
    strict_options: bool = False
    window: WindowRule = WindowRule.FREE
    periods: tuple[tuple[Period, PeriodLimits], ...] = ()
    hourly: HourlyLimits | None = None
    window_options: tuple[str, str] | None = None
    window_lookback: timedelta | None = None
    max_span: timedelta | None = None  # FREE windows wider than this are sliced
    # A DONE report older than this is not reused: Amazon restates the data (None: the
    # requester's own reuse window decides, as for every seller type).
    reuse_staleness: timedelta | None = None
    known: bool = True  # False: not in the catalog, so today's defaults

    @property
    def period_rule(self) -> WindowRule | None:
        """PERIOD (R1) or HOURLY (R2) when Amazon aligns the window; None otherwise."""
        return self.window if self.window in (WindowRule.PERIOD, WindowRule.HOURLY) else None

    @property
    def allowed_periods(self) -> tuple[Period, ...]:
        return tuple(period for period, _ in self.periods)

    def limits(self, period: Period) -> PeriodLimits:
        return dict(self.periods)[period]

    def option(self, name: str) -> OptionSpec | None:
        return next((o for o in self.options if o.name == name), None)

    def period(self, options: Mapping[str, str]) -> Period | None:
        """The reportPeriod a PERIOD type is asked for (None for any other type)."""
        if self.window is not WindowRule.PERIOD or "reportPeriod" not in options:
            return None
        return Period(options["reportPeriod"])

    def takes(self, name: str) -> bool:
        """Whether an option of this name may be sent with this type."""
        return not self.strict_options or self.option(name) is not None

    def check_options(
        self, options: Mapping[str, str], filled: frozenset[str] = frozenset()
    ) -> None:
        """ReportOptionError, one line naming the option and its allowed values, for a missing
        required option, a value not allowed or (strict types) a name the type does not take.
        `filled` names options the planner fills in from the data window."""
        for name, value in sorted(options.items()):
            spec = self.option(name)
            if spec is None:
                if self.strict_options:
                    raise ReportOptionError(f"{self.report_type}: {self._unknown(name)}")
                continue
            problem = spec.problem(value)
            if problem:
                raise ReportOptionError(f"{self.report_type}: reportOption {problem}")
        for spec in self.options:
            if spec.required and spec.name not in options and spec.name not in filled:
                raise ReportOptionError(
                    f"{self.report_type}: reportOption {spec.name} is required; "
                    f"allowed: {spec.allowed_text}"
                )

    def _unknown(self, name: str) -> str:
        if not self.options:
            return f"reportOption {name} is not supported: this type takes no reportOptions"
        names = ", ".join(o.name for o in self.options)
        return f"reportOption {name} is not supported; this type takes {names}"


def spec(report_type: str) -> ReportTypeSpec:
    """The catalog's entry; an unknown type keeps today's behaviour (a seller type, any
    options), except GET_VENDOR_* (a vendor type) and *_ORDERS_DATA (30-day slices)."""
    found = _catalog().get(report_type)
    if found is not None:
        return found
    audience = Audience.VENDOR if report_type.startswith("GET_VENDOR_") else Audience.SELLER
    span = timedelta(days=30) if "_ORDERS_DATA" in report_type else None
    return ReportTypeSpec(report_type, audience, max_span=span, known=False)


def known_types() -> tuple[str, ...]:
    return tuple(sorted(_catalog()))


@cache
def _catalog() -> dict[str, ReportTypeSpec]:
    from domain.report_types_loading import load_catalog

    return load_catalog()


__all__ = [
    "Audience",
    "HourlyLimits",
    "OptionKind",
    "OptionSpec",
    "Period",
    "PeriodLimits",
    "ReportTypeSpec",
    "WindowRule",
    "known_types",
    "spec",
]
