"""Reading report_types.json into ReportTypeSpecs; a malformed entry fails loudly at import."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from domain.errors import RegistryDataError
from domain.report_options import OptionKind, OptionSpec
from domain.report_types import (
    Audience,
    HourlyLimits,
    Period,
    PeriodLimits,
    ReportTypeSpec,
    WindowRule,
)

DATA = Path(__file__).with_name("report_types.json")


def load_catalog(path: Path = DATA) -> dict[str, ReportTypeSpec]:
    data = json.loads(path.read_text(encoding="utf-8"))
    specs: dict[str, ReportTypeSpec] = {}
    for report_type, entry in data["types"].items():
        try:
            specs[report_type] = _spec(report_type, entry, data)
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryDataError(f"report_types.json: {report_type}: {exc!r}") from None
    sellers = data["sellerTypes"]
    for document_format in ("tsv", "xml"):
        for report_type, span_days in sellers[document_format].items():
            span = timedelta(days=span_days) if span_days else None
            specs[report_type] = ReportTypeSpec(
                report_type, Audience.SELLER, document_format, max_span=span
            )
    return specs


def _spec(report_type: str, entry: Mapping[str, Any], data: Mapping[str, Any]) -> ReportTypeSpec:
    options = tuple(
        _option(name, data["optionSets"][raw] if isinstance(raw, str) else raw)
        for name, raw in entry.get("options", {}).items()
    )
    window = WindowRule(entry.get("window", "free"))
    periods: tuple[tuple[Period, PeriodLimits], ...] = ()
    if window is WindowRule.PERIOD:
        # The profile has limits for every reportPeriod value the type offers (KeyError if not).
        profile = data["periodProfiles"][entry["periods"]]
        offered = next(o for o in options if o.name == "reportPeriod").allowed
        periods = tuple((Period(name), _limits(profile[name])) for name in offered)
    hourly = entry.get("hourly")
    pair = entry.get("windowOptions")
    staleness = entry.get("reuseStalenessMinutes")
    lookback = entry.get("windowLookbackDays")
    return ReportTypeSpec(
        report_type=report_type,
        audience=Audience(entry["audience"]),
        document_format=entry.get("format"),
        options=options,
        strict_options="options" in entry,
        window=window,
        periods=periods,
        hourly=_hourly(hourly) if hourly else None,
        window_options=(pair[0], pair[1]) if pair else None,
        window_lookback=timedelta(days=lookback) if lookback else None,
        reuse_staleness=timedelta(minutes=staleness) if staleness else None,
    )


def _option(name: str, raw: Mapping[str, Any]) -> OptionSpec:
    kind = OptionKind(raw.get("kind", "enum"))
    allowed = tuple(raw.get("values", ()))
    if kind is OptionKind.ENUM and not allowed:
        raise ValueError(f"option {name} lists no values")
    return OptionSpec(name, bool(raw["required"]), kind, allowed, raw.get("maxLength"))


def _limits(raw: Mapping[str, Any]) -> PeriodLimits:
    lookback = raw.get("lookbackPeriods")
    return PeriodLimits(int(raw["maxPeriods"]), lookback, timedelta(hours=raw["lagHours"]))


def _hourly(raw: Mapping[str, Any]) -> HourlyLimits:
    span, lookback = raw.get("maxSpanHours"), raw.get("lookbackHours")
    return HourlyLimits(
        max_span=timedelta(hours=span) if span else None,
        lookback=timedelta(hours=lookback) if lookback else None,
        end_before_now=timedelta(minutes=raw.get("endBeforeNowMinutes", 0)),
    )
