"""Planning: expand sellers × report types × marketplaces × data windows into report requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import ConfigError
from domain.model import ReportRequest

_DAY = timedelta(days=1)

# Amazon rejects (FATAL "Date range exceeded") or silently truncates wider windows.
MAX_SPAN: dict[str, timedelta] = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": 30 * _DAY,
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": 30 * _DAY,
    "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": 30 * _DAY,
    "GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": 30 * _DAY,
    "GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE": 30 * _DAY,
    "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE": 60 * _DAY,
    "GET_XML_RETURNS_DATA_BY_RETURN_DATE": 60 * _DAY,
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL": 30 * _DAY,
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": 30 * _DAY,
}


def max_span(report_type: str) -> timedelta | None:
    """The widest data window one request of this type may ask for, if Amazon limits it."""
    if report_type in MAX_SPAN:
        return MAX_SPAN[report_type]
    return 30 * _DAY if "_ORDERS_DATA" in report_type else None


@dataclass(frozen=True)
class Seller:
    name: str
    seller_id: str
    marketplace_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReportConfig:
    """A report a stack ingests; `window` is the data window ending at the run time."""

    report_type: str
    window: timedelta | None = None
    max_span: timedelta | None = None
    options: tuple[tuple[str, str], ...] = ()
    schedule: str | None = None


def slice_window(
    start: datetime, end: datetime, span: timedelta | None
) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive [start, end) slices no wider than `span`, oldest first."""
    if end <= start:
        raise ConfigError(f"empty data window: start {start.isoformat()} is not before end")
    if span is None or span <= timedelta(0):
        yield start, end
        return
    cursor = start
    while cursor < end:
        upper = min(cursor + span, end)
        yield cursor, upper
        cursor = upper


def plan_requests(
    sellers: Iterable[Seller],
    reports: Iterable[ReportConfig],
    *,
    until: datetime,
    since: datetime | None = None,
) -> list[ReportRequest]:
    """One request per seller, report type, marketplace and slice of the data window.

    Most report types accept a single marketplace, so each marketplace gets its own request.
    Without `since` and without a configured window the report is a snapshot (no data window).
    """
    planned: list[ReportRequest] = []
    report_list = list(reports)
    for seller in sellers:
        for config in report_list:
            start = since or (until - config.window if config.window else None)
            span = config.max_span or max_span(config.report_type)
            windows = [(None, None)] if start is None else list(slice_window(start, until, span))
            for marketplace_id in seller.marketplace_ids:
                for data_start, data_end in windows:
                    planned.append(
                        ReportRequest(
                            seller_id=seller.seller_id,
                            report_type=config.report_type,
                            marketplace_ids=(marketplace_id,),
                            data_start=data_start,
                            data_end=data_end,
                            options=config.options,
                        )
                    )
    return planned
