"""The stack configuration schema (design.md §6), shared by the Pulumi program and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain.datakiosk.lifecycle import DEFAULT_MAX_IN_FLIGHT
from domain.errors import ConfigError
from domain.marketplaces import Region, check_marketplaces
from domain.model import PartnerKind
from domain.planning import ReportConfig, Seller, check_audience
from domain.report_config import check_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.datakiosk.definitions import QueryDefinition, QueryValidator

NAMESPACE = "spapi-lake"
_REQUIRED = ("region", "sellers", "reports")
# Keys the infrastructure reads; the CLI accepts them so one file serves both.
_OPTIONAL = (
    "stage",
    "alarmEmail",
    "trail",
    "logRetentionDays",
    "lambdaArchitecture",
    "reconcileSchedule",
    "reconcileHours",
    "maxDecompressedBytes",
    "throttleDeadlineHours",
    "maxIngestAttempts",
    "rateLimitTable",
    "athenaBytesScannedCutoff",
    "glueCatalogEncryption",
    "appCredentials",
    "refreshTokens",
    "queries",
    "queryConcurrency",
)
# Parsed into StackConfig fields of their own, so not handed on in `extra`.
_PARSED = {"queries", "queryConcurrency"}
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_SCHEDULE = re.compile(r"^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")
_SELLER_KEYS = {"name", "kind", "sellerId", "marketplaces"}
_VENDOR_KEYS = {"name", "kind", "accountId", "marketplaces"}
_REPORT_KEYS = {"type", "schedule", "window", "maxSpan", "options", "partners"}
# The vendor group id that notifications carry as accountId (ReportProcessingFinishedNotification).
_ACCOUNT_ID = re.compile(r"^amzn1\.vg\.[0-9]+$")


@dataclass(frozen=True)
class StackConfig:
    region: Region
    stage: str
    sellers: tuple[Seller, ...]
    reports: tuple[ReportConfig, ...]
    aws_region: str | None
    extra: Mapping[str, Any]
    queries: tuple[QueryDefinition, ...] = ()
    # At most this many non-terminal Data Kiosk queries per partner; more wait for a slot.
    query_concurrency: int = DEFAULT_MAX_IN_FLIGHT


def parse_duration(text: object, key: str) -> timedelta:
    """ISO 8601 durations in weeks, days, hours, minutes, seconds (months are ambiguous)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match or text in ("P", "PT"):
        raise ConfigError(f"{key}: {text!r} is not an ISO 8601 duration like P1D, PT6H or P30D")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    value = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value <= timedelta(0):
        raise ConfigError(f"{key}: the duration {text!r} must be longer than zero")
    return value


def parse_schedule(text: object, key: str) -> str:
    """An EventBridge schedule expression, cron(six fields) or rate(N unit)."""
    if not (isinstance(text, str) and _SCHEDULE.match(text)):
        raise ConfigError(
            f"{key}: {text!r} is not a schedule like cron(0 2 * * ? *) or rate(1 day)"
        )
    return text


def _list(value: object, key: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a non-empty list")
    return value


def _mapping(value: object, key: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a mapping")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}: unknown key; allowed: {', '.join(sorted(allowed))}")
    return value


def _text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string")
    return value.strip()


def _seller(raw: object, key: str, region: Region) -> Seller:
    """A seller (sellerId, its marketplaces) or, with `kind: vendor`, a vendor group
    (accountId amzn1.vg.…, exactly one marketplace)."""
    kind_text = raw.get("kind", "seller") if isinstance(raw, Mapping) else "seller"
    if kind_text not in ("seller", "vendor"):
        raise ConfigError(f"{key}.kind: {kind_text!r} is not allowed; use seller or vendor")
    kind = PartnerKind(kind_text)
    if isinstance(raw, Mapping) and kind is PartnerKind.VENDOR and "sellerId" in raw:
        raise ConfigError(f"{key}.sellerId: a vendor has accountId (amzn1.vg.…), not sellerId")
    if isinstance(raw, Mapping) and kind is PartnerKind.SELLER and "accountId" in raw:
        raise ConfigError(
            f"{key}.accountId: only a vendor has one; add kind: vendor, or use sellerId"
        )
    item = _mapping(raw, key, _VENDOR_KEYS if kind is PartnerKind.VENDOR else _SELLER_KEYS)
    marketplaces = [
        _text(m, f"{key}.marketplaces")
        for m in _list(item.get("marketplaces"), f"{key}.marketplaces")
    ]
    try:
        checked = check_marketplaces(region, marketplaces)
    except ConfigError as exc:
        raise ConfigError(f"{key}.marketplaces: {exc}") from None
    if kind is PartnerKind.SELLER:
        seller_id = _text(item.get("sellerId"), f"{key}.sellerId")
        return Seller(str(item.get("name") or seller_id), seller_id, checked)
    account_id = vendor_account_id(
        _text(item.get("accountId"), f"{key}.accountId"), f"{key}.accountId"
    )
    one_marketplace(checked, f"{key}.marketplaces")
    return Seller(str(item.get("name") or account_id), account_id, checked, PartnerKind.VENDOR)


def vendor_account_id(text: str, key: str) -> str:
    """`text` when it is a vendor group id (amzn1.vg.<digits>); ConfigError naming `key`."""
    if not _ACCOUNT_ID.match(text):
        raise ConfigError(
            f"{key}: {text!r} is not a vendor group id like amzn1.vg.1234567 "
            "(the accountId its notifications carry)"
        )
    return text


def one_marketplace(marketplace_ids: tuple[str, ...], key: str) -> None:
    """A vendor account belongs to one marketplace (Amazon's report schemas say so)."""
    if len(marketplace_ids) != 1:
        raise ConfigError(
            f"{key}: a vendor account belongs to exactly one marketplace; "
            f"give one of {', '.join(marketplace_ids)} (one vendor entry per account)"
        )


def _report(raw: object, key: str) -> ReportConfig:
    item = _mapping(raw, key, _REPORT_KEYS)
    schedule = item.get("schedule")
    if schedule is not None:
        schedule = parse_schedule(schedule, f"{key}.schedule")
    options = item.get("options") or {}
    if not isinstance(options, Mapping) or not all(isinstance(v, str) for v in options.values()):
        raise ConfigError(f"{key}.options: expected a mapping of strings to strings")
    window, span = item.get("window"), item.get("maxSpan")
    partners = item.get("partners")
    config = ReportConfig(
        report_type=_text(item.get("type"), f"{key}.type"),
        window=parse_duration(window, f"{key}.window") if window is not None else None,
        max_span=parse_duration(span, f"{key}.maxSpan") if span is not None else None,
        options=tuple(sorted((str(k), str(v)) for k, v in options.items())),
        schedule=schedule,
        partners=tuple(_text(p, f"{key}.partners") for p in _list(partners, f"{key}.partners"))
        if partners is not None
        else (),
    )
    check_report(config, key)
    return config


def _partners(sellers: tuple[Seller, ...], key: str) -> None:
    seen: set[str] = set()
    for i, seller in enumerate(sellers):
        if seller.seller_id in seen:
            raise ConfigError(f"{key}[{i}]: {seller.seller_id} is listed twice; list it once")
        seen.add(seller.seller_id)


def _audiences(reports: tuple[ReportConfig, ...], sellers: tuple[Seller, ...], key: str) -> None:
    known = {s.seller_id for s in sellers}
    for i, report in enumerate(reports):
        for partner in report.partners:
            if partner not in known:
                raise ConfigError(
                    f"{key}[{i}].partners: {partner} is not a configured partner; "
                    f"configured: {', '.join(sorted(known))}"
                )
        check_audience(report, sellers, f"{key}[{i}]")


def _queries(
    raw: object,
    sellers: tuple[Seller, ...],
    read: Callable[[str], str] | None,
    validator: QueryValidator | None,
) -> tuple[QueryDefinition, ...]:
    key = f"{NAMESPACE}:queries"
    if raw is None:
        return ()
    if read is None or validator is None:
        raise ConfigError(
            f"{key}: checking queries needs their files and a GraphQL validator; "
            "load the stack with adapters.stack_file.load_stack_config"
        )
    # Imported here: definitions reuses this module's duration and schedule parsers.
    from domain.datakiosk.definitions import parse_queries

    return parse_queries(raw, key, sellers, read, validator)


def _concurrency(value: object) -> int:
    """A whole number ≥ 1; Pulumi hands it over as text, the stack-file reader as an int."""
    key = f"{NAMESPACE}:queryConcurrency"
    if value is None:
        return DEFAULT_MAX_IN_FLIGHT
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise ConfigError(
            f"{key}: {value!r} is not allowed; use a whole number of at least 1 "
            f"(default {DEFAULT_MAX_IN_FLIGHT}): Data Kiosk queries in flight per partner"
        )
    return int(text)


def parse_stack_config(
    config: Mapping[str, Any],
    *,
    read: Callable[[str], str] | None = None,
    validator: QueryValidator | None = None,
) -> StackConfig:
    """Parse the `config:` mapping of a Pulumi stack file; ConfigError names the bad key.

    `queries` needs `read` (a query file's text by its path under the project directory) and
    `validator` (graphql-core, outside the domain); a stack with queries but without them is
    a ConfigError saying so."""
    ours: dict[str, Any] = {}
    for full_key, value in config.items():
        namespace, _, key = str(full_key).partition(":")
        if namespace != NAMESPACE:
            continue
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise ConfigError(f"{full_key}: unknown key; check the spelling against design.md §6")
        ours[key] = value
    for key in _REQUIRED:
        if key not in ours:
            raise ConfigError(f"{NAMESPACE}:{key}: missing; every stack needs it")
    region = Region.parse(_text(ours["region"], f"{NAMESPACE}:region"))
    aws_region = config.get("aws:region")
    if aws_region is not None and aws_region != region.aws_region:
        raise ConfigError(
            f"aws:region: {aws_region} does not match SP-API region {region.name}; "
            f"deploy {region.name} stacks in {region.aws_region}"
        )
    sellers = tuple(
        _seller(s, f"{NAMESPACE}:sellers[{i}]", region)
        for i, s in enumerate(_list(ours["sellers"], f"{NAMESPACE}:sellers"))
    )
    _partners(sellers, f"{NAMESPACE}:sellers")
    reports = tuple(
        _report(r, f"{NAMESPACE}:reports[{i}]")
        for i, r in enumerate(_list(ours["reports"], f"{NAMESPACE}:reports"))
    )
    _audiences(reports, sellers, f"{NAMESPACE}:reports")
    queries = _queries(ours.get("queries"), sellers, read, validator)
    extra = {k: v for k, v in ours.items() if k in _OPTIONAL and k not in _PARSED}
    return StackConfig(
        region,
        str(ours.get("stage") or "dev"),
        sellers,
        reports,
        aws_region,
        extra,
        queries=queries,
        query_concurrency=_concurrency(ours.get("queryConcurrency")),
    )
