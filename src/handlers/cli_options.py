"""Turning `spapi-lake run` flags (or a stack file) into a validated plan of report requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.stack_file import load_stack_config
from domain.deployment import deploy_options
from domain.errors import ConfigError
from domain.marketplaces import Region, check_marketplaces
from domain.model import ReportRequest
from domain.planning import ReportConfig, Seller, plan_requests


@dataclass(frozen=True)
class RunPlan:
    region: Region
    requests: list[ReportRequest]
    rate_limit_table: str | None = None  # the stack's `rateLimitTable`, when it names one


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
) -> RunPlan:
    """Flags override the stack file; whatever is missing is a ConfigError naming the flag."""
    start, end = parse_moment(since, "--since"), parse_moment(until, "--until") or now
    if start is not None and start >= end:
        raise ConfigError(f"--since {since} is not before --until ({end.isoformat()})")
    extra = parse_options(options)
    if stack:
        config = load_stack_config(stack, directory)
        deploy_options(config)  # the file must be one `pulumi preview` would accept, too
        chosen = Region.parse(region) if region else config.region
        sellers = [s for s in config.sellers if not seller_id or s.seller_id == seller_id]
        if not sellers:
            raise ConfigError(f"--seller-id {seller_id} is not a seller of stack {stack}")
        if marketplaces:
            ids = check_marketplaces(chosen, marketplaces)
            sellers = [Seller(s.name, s.seller_id, ids) for s in sellers]
        configs = [c for c in config.reports if not reports or c.report_type in reports]
        configs += [ReportConfig(t) for t in reports if t not in {c.report_type for c in configs}]
        if extra:
            configs = [ReportConfig(c.report_type, c.window, c.max_span, extra) for c in configs]
    else:
        for flag, value in [("--region", region), ("--seller-id", seller_id)]:
            if not value:
                raise ConfigError(f"{flag} is required without --stack")
        if not marketplaces or not reports:
            raise ConfigError("--marketplace and --report are each required at least once")
        chosen = Region.parse(str(region))
        sellers = [Seller(str(seller_id), str(seller_id), check_marketplaces(chosen, marketplaces))]
        configs = [ReportConfig(t, options=extra) for t in dict.fromkeys(reports)]
    table = _table(config.extra.get("rateLimitTable")) if stack else None
    return RunPlan(chosen, plan_requests(sellers, configs, until=end, since=start), table)


def _table(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"spapi-lake:rateLimitTable: {value!r} is not a DynamoDB table name")
    return value.strip()
