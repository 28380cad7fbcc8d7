"""Turning `spapi-lake run` flags (or a stack file) into a validated plan of report requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.stack_file import load_stack_config
from domain.config import one_marketplace, vendor_account_id
from domain.deployment import deploy_options
from domain.errors import AudienceError, ConfigError, ReportOptionError
from domain.marketplaces import Region, check_marketplaces
from domain.model import PartnerKind, ReportRequest
from domain.planning import ReportConfig, Seller, WindowNote, applies, plan
from domain.report_config import check_report
from domain.report_types import spec


@dataclass(frozen=True)
class RunPlan:
    region: Region
    requests: list[ReportRequest]
    rate_limit_table: str | None = None  # the stack's `rateLimitTable`, when it names one
    notes: tuple[WindowNote, ...] = ()  # windows the planner snapped or clipped, one line each


def parse_moment(text: str | None, flag: str) -> datetime | None:
    """ISO dates (midnight UTC) or datetimes; a datetime without an offset is UTC."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{flag} {text!r} is not an ISO date or datetime, e.g. 2026-11-01 or 2026-11-01T06:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_options(pairs: Sequence[str]) -> tuple[tuple[str, str], ...]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option {pair!r} must look like KEY=VALUE")
        options[key.strip()] = value
    return tuple(sorted(options.items()))


def build_plan(
    *,
    stack: str | None,
    region: str | None,
    seller_id: str | None,
    marketplaces: Sequence[str],
    reports: Sequence[str],
    since: str | None,
    until: str | None,
    options: Sequence[str],
    now: datetime,
    directory: Path | None = None,
    vendor: str | None = None,
) -> RunPlan:
    """Flags override the stack file; whatever is missing is a ConfigError naming the flag."""
    start, end = parse_moment(since, "--since"), parse_moment(until, "--until") or now
    if start is not None and start >= end:
        raise ConfigError(f"--since {since} is not before --until ({end.isoformat()})")
    if seller_id and vendor:
        raise ConfigError("--seller-id and --vendor exclude each other: give one partner")
    extra = parse_options(options)
    if stack:
        config = load_stack_config(stack, directory)
        deploy_options(config)  # the file must be one `pulumi preview` would accept, too
        chosen = Region.parse(region) if region else config.region
        partners = stack_partners(config.sellers, stack, seller_id, vendor)
        if marketplaces:
            ids = check_marketplaces(chosen, marketplaces)
            partners = [replace(p, marketplace_ids=fit_marketplaces(p, ids)) for p in partners]
        configs = [c for c in config.reports if not reports or c.report_type in reports]
        configs += [ReportConfig(t) for t in reports if t not in {c.report_type for c in configs}]
    else:
        if not region:
            raise ConfigError("--region is required without --stack")
        if not (seller_id or vendor):
            raise ConfigError(
                "--seller-id (or --vendor for a vendor account) is required without --stack"
            )
        if not marketplaces or not reports:
            raise ConfigError("--marketplace and --report are each required at least once")
        chosen = Region.parse(region)
        ids = check_marketplaces(chosen, marketplaces)
        if vendor:
            account = vendor_account_id(vendor, "--vendor")
            partners = [Seller(account, account, _fit_ids(ids), PartnerKind.VENDOR)]
        else:
            partners = [Seller(str(seller_id), str(seller_id), ids)]
        configs = [ReportConfig(t) for t in dict.fromkeys(reports)]
    _check_audience(configs, partners, explicit=set(reports))
    configs = _with_options(configs, extra, windowed=start is not None)
    planned = plan(partners, configs, until=end, since=start, now=now)
    for note in planned.notes:
        if note.empty:
            raise ConfigError(str(note))
    if not planned.requests:
        raise ConfigError("nothing to request: no configured report applies to these partners")
    table = stack_rate_limit_table(config.extra.get("rateLimitTable")) if stack else None
    return RunPlan(chosen, list(planned.requests), table, planned.notes)


def stack_partners(
    sellers: Sequence[Seller], stack: str, seller_id: str | None, vendor: str | None
) -> list[Seller]:
    """The stack's partners, or the one --seller-id (--vendor) names; ConfigError when it is
    not the stack's, or is of the other kind."""
    wanted, flag = (vendor, "--vendor") if vendor else (seller_id, "--seller-id")
    if not wanted:
        return list(sellers)
    found = [s for s in sellers if s.seller_id == wanted]
    if not found:
        what = "vendor" if vendor else "seller"
        raise ConfigError(f"{flag} {wanted} is not a {what} of stack {stack}")
    kind = PartnerKind.VENDOR if vendor else PartnerKind.SELLER
    if found[0].kind is not kind:
        other = "--seller-id" if vendor else "--vendor"
        raise ConfigError(f"{flag} {wanted} is a {found[0].kind} of stack {stack}: use {other}")
    return found


def fit_marketplaces(partner: Seller, ids: tuple[str, ...]) -> tuple[str, ...]:
    """--marketplace ids for `partner`: a vendor account takes exactly one."""
    return _fit_ids(ids) if partner.kind is PartnerKind.VENDOR else ids


def _fit_ids(ids: tuple[str, ...]) -> tuple[str, ...]:
    one_marketplace(ids, "--marketplace")
    return ids


def _with_options(
    configs: Sequence[ReportConfig], extra: tuple[tuple[str, str], ...], *, windowed: bool
) -> list[ReportConfig]:
    """`--option`s over each report's own; with several types, an option goes to the types
    that take it, and one that none takes is an error. Then each report is checked."""
    specs = {c.report_type: spec(c.report_type) for c in configs}
    for name, _ in extra:
        if not any(s.takes(name) for s in specs.values()):
            takes = "; ".join(
                f"{t} takes {', '.join(o.name for o in s.options) or 'none'}"
                for t, s in specs.items()
            )
            raise ReportOptionError(f"--option {name}: no report type here takes it ({takes})")
    merged: list[ReportConfig] = []
    for config in configs:
        found = specs[config.report_type]
        mine = {k: v for k, v in extra if found.takes(k)}
        options = tuple(sorted({**dict(config.options), **mine}.items()))
        merged.append(replace(config, options=options))
        # --since replaces a stack report's window, so only a window still in use is checked.
        check_report(
            replace(merged[-1], window=None) if windowed else merged[-1],
            config.report_type,
            windowed=windowed or config.window is not None,
            window_key="--since",
            options_key="--option",
        )
    return merged


def _check_audience(
    configs: Sequence[ReportConfig], partners: Sequence[Seller], explicit: set[str]
) -> None:
    """A report type asked for by --report that none of the chosen partners may request."""
    for config in configs:
        if config.report_type not in explicit or any(applies(config, p) for p in partners):
            continue
        audience = spec(config.report_type).audience
        partner = partners[0]
        fix = (
            "use --seller-id for a seller, or a vendor report such as GET_VENDOR_SALES_REPORT"
            if partner.kind is PartnerKind.VENDOR
            else "use --vendor amzn1.vg.… for a vendor account"
        )
        raise AudienceError(
            f"{config.report_type} is {audience}-only: {partner.kind} {partner.seller_id} "
            f"cannot request it (Amazon answers 400 InvalidInput); {fix}"
        )


def stack_rate_limit_table(value: object) -> str | None:
    """A stack's `rateLimitTable`, when it names one."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"spapi-lake:rateLimitTable: {value!r} is not a DynamoDB table name")
    return value.strip()
