"""Planning: expand partners × report types × marketplaces × data windows into report requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import AudienceError
from domain.model import PartnerKind, ReportRequest
from domain.report_types import Audience, spec
from domain.windows import WindowNote, windows
from domain.windows import slice_window as _slices

__all__ = [
    "Plan",
    "ReportConfig",
    "Seller",
    "WindowNote",
    "applies",
    "check_audience",
    "max_span",
    "plan",
    "plan_requests",
    "slice_window",
]


def max_span(report_type: str) -> timedelta | None:
    """The widest data window one request of this type may ask for, if Amazon limits it."""
    return spec(report_type).max_span


@dataclass(frozen=True)
class Seller:
    """A selling partner: a seller, or a vendor group whose `seller_id` is its account id
    (amzn1.vg.…), the id its notifications carry and the lake's `seller_id` partition holds."""

    name: str
    seller_id: str
    marketplace_ids: tuple[str, ...]
    kind: PartnerKind = PartnerKind.SELLER


@dataclass(frozen=True)
class ReportConfig:
    """A report a stack ingests; `window` is the data window ending at the run time. It goes to
    every partner its type's audience admits, or only to `partners` (ids) when given."""

    report_type: str
    window: timedelta | None = None
    max_span: timedelta | None = None
    options: tuple[tuple[str, str], ...] = ()
    schedule: str | None = None
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The requests, and what was changed about the asked windows (one line each)."""

    requests: tuple[ReportRequest, ...]
    notes: tuple[WindowNote, ...] = ()


def applies(config: ReportConfig, partner: Seller) -> bool:
    """Whether `config` is requested for `partner`: its type's audience admits the partner's
    kind, and the partner is among the config's `partners` when it names any."""
    if config.partners and partner.seller_id not in config.partners:
        return False
    return spec(config.report_type).audience.admits(partner.kind)


def check_audience(config: ReportConfig, partners: Sequence[Seller], key: str) -> None:
    """AudienceError (one line naming the type, the partner and the fix) when a named partner
    cannot request the type, or no partner can."""
    audience = spec(config.report_type).audience
    by_id = {p.seller_id: p for p in partners}
    for partner_id in config.partners:
        partner = by_id[partner_id]
        if not audience.admits(partner.kind):
            raise AudienceError(
                f"{key}.partners: {partner_id} is a {partner.kind}, but {config.report_type} is "
                f"{audience}-only (Amazon answers 400 InvalidInput): remove it from partners"
            )
    if not any(audience.admits(p.kind) for p in partners):
        names = ", ".join(p.name for p in partners)
        other = "seller" if audience is Audience.VENDOR else "vendor"
        raise AudienceError(
            f"{key}: {config.report_type} is {audience}-only, but every partner is a {other} "
            f"({names}): add a partner with kind: {audience}, or remove this report"
        )


def slice_window(
    start: datetime, end: datetime, span: timedelta | None
) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive [start, end) slices no wider than `span`, oldest first."""
    yield from _slices(start, end, span)


def plan(
    partners: Iterable[Seller],
    reports: Iterable[ReportConfig],
    *,
    until: datetime,
    since: datetime | None = None,
    now: datetime | None = None,
) -> Plan:
    """One request per partner, report type, marketplace and slice of the data window.

    Most report types accept a single marketplace, so each marketplace gets its own request.
    Without `since` and without a configured window the report is a snapshot (no data window).
    Windows follow the type's rule (domain.windows) as of `now` (default `until`); a report
    that applies to none of the partners is left out.
    """
    requests: list[ReportRequest] = []
    notes: list[WindowNote] = []
    partner_list = list(partners)
    for config in reports:
        chosen = [p for p in partner_list if applies(config, p)]
        if not chosen:
            continue
        start = since or (until - config.window if config.window else None)
        options = dict(config.options)
        slices, note = windows(
            spec(config.report_type), options, start, until, now or until, config.max_span
        )
        if note is not None:
            notes.append(note)
        for partner in chosen:
            for marketplace_id in partner.marketplace_ids:
                for window in slices:
                    requests.append(
                        ReportRequest(
                            seller_id=partner.seller_id,
                            report_type=config.report_type,
                            marketplace_ids=(marketplace_id,),
                            data_start=window.start,
                            data_end=window.end,
                            options=tuple(sorted({**options, **dict(window.options)}.items())),
                        )
                    )
    return Plan(tuple(requests), tuple(notes))


def plan_requests(
    sellers: Iterable[Seller],
    reports: Iterable[ReportConfig],
    *,
    until: datetime,
    since: datetime | None = None,
    now: datetime | None = None,
) -> list[ReportRequest]:
    """The requests of `plan`, without its notes."""
    return list(plan(sellers, reports, until=until, since=since, now=now).requests)
