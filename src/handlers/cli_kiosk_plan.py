"""Turning `spapi-lake run --query` flags (and a stack file) into checked Data Kiosk jobs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from adapters.graphql_queries import GraphQlQueryValidator
from adapters.stack_file import load_stack_config
from domain.config import StackConfig, one_marketplace, vendor_account_id
from domain.datakiosk.definitions import (
    DATASETS,
    QUERIES_DIR,
    QueryDefinition,
    parse_query,
    suits,
    window_dates,
)
from domain.datakiosk.definitions import MARKETPLACES as MARKETPLACE_IDS
from domain.datakiosk.lake import PageKey
from domain.datakiosk.lifecycle import DEFAULT_MAX_IN_FLIGHT
from domain.datakiosk.running import PlannedQuery, plan_query
from domain.deployment import deploy_options
from domain.errors import AudienceError, ConfigError
from domain.marketplaces import Region, check_marketplaces
from domain.model import PartnerKind
from domain.planning import Seller
from handlers.cli_options import fit_marketplaces, stack_partners, stack_rate_limit_table
from handlers.cli_run import RunArgs

# Without a stack or --marketplace: the marketplace a region's queries default to.
DEFAULT_MARKETPLACE = {
    Region.NA: "ATVPDKIKX0DER",
    Region.EU: "A1F83G8C2ARO7P",
    Region.FE: "A1VC38T7YXB528",
}


@dataclass(frozen=True)
class QueryJob:
    """One query for one partner over the days `start`..`end` (both inclusive)."""

    planned: PlannedQuery
    start: date
    end: date


@dataclass(frozen=True)
class QueryRunPlan:
    region: Region
    jobs: list[QueryJob]
    concurrency: int = DEFAULT_MAX_IN_FLIGHT
    rate_limit_table: str | None = None
    notes: tuple[str, ...] = ()


def query_days(
    since: str | None, until: str | None, window: timedelta, today: date
) -> tuple[date, date]:
    """--since/--until as inclusive days; by default the window ending yesterday."""
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is None and last is None:
        return window_dates(window, datetime.combine(today, time(), UTC))
    last = last or today - timedelta(days=1)
    first = first or last - (window - timedelta(days=1))
    if first > last:
        raise ConfigError(
            f"--since {first} is after the last day to query, {last}: "
            "give an earlier --since or a later --until"
        )
    return first, last


def _day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ConfigError(f"{flag} {text!r} is not a date like 2026-11-01: Data Kiosk queries days")


def plan_queries(args: RunArgs, today: date, directory: Path | None = None) -> QueryRunPlan:
    """Each --query for its partners; ConfigError (one line) for anything that would fail."""
    if args.reports or args.options:
        raise ConfigError("--query excludes --report and --option: run reports separately")
    if args.queue_url:
        raise ConfigError("--queue-url waits for reports; a query's pages are polled: drop it")
    if args.seller_id and args.vendor:
        raise ConfigError("--seller-id and --vendor exclude each other: give one partner")
    config = load_stack_config(args.stack, directory) if args.stack else None
    if config is not None:
        deploy_options(config)  # the file must be one `pulumi preview` would accept, too
    region = _region(args.region, config)
    candidates, defaulted = _candidates(args, config, region)
    explicit = bool(args.seller_id or args.vendor)
    validator, root = GraphQlQueryValidator(), directory or Path.cwd()
    kind = candidates[0].kind if explicit else None
    jobs: list[QueryJob] = []
    notes: list[str] = []
    for arg in dict.fromkeys(args.queries):
        definition = resolve_query(arg, config, root, validator, candidates, kind)
        start, end = query_days(args.since, args.until, definition.window, today)
        for partner in _partners(definition, candidates, explicit):
            if defaulted and MARKETPLACE_IDS in definition.text:
                notes.append(
                    f"no --marketplace: {definition.name} asks for "
                    f"{partner.marketplace_ids[0]}, the default of "
                    f"region {region.name} (--marketplace picks others)"
                )
            jobs.append(QueryJob(_planned(definition, partner, start, end), start, end))
    if not jobs:
        raise ConfigError("nothing to run: no partner here may run these queries")
    table = stack_rate_limit_table(config.extra.get("rateLimitTable")) if config else None
    concurrency = config.query_concurrency if config else DEFAULT_MAX_IN_FLIGHT
    return QueryRunPlan(region, jobs, concurrency, table, tuple(dict.fromkeys(notes)))


def _planned(definition: QueryDefinition, partner: Seller, start: date, end: date) -> PlannedQuery:
    try:
        PageKey(definition.name, partner.seller_id, start)  # its lake keys, before any call
    except ValueError as exc:
        raise ConfigError(f"query {definition.name}: {exc}") from None
    return plan_query(definition, partner.seller_id, start, end, partner.marketplace_ids)


def _region(flag: str | None, config: StackConfig | None) -> Region:
    if flag:
        return Region.parse(flag)
    if config is None:
        raise ConfigError("--region is required without --stack")
    return config.region


def _candidates(
    args: RunArgs, config: StackConfig | None, region: Region
) -> tuple[list[Seller], bool]:
    """The partners to choose from, and whether their marketplaces are the region's default."""
    ids = check_marketplaces(region, args.marketplaces) if args.marketplaces else None
    if config is not None:
        partners = stack_partners(config.sellers, str(args.stack), args.seller_id, args.vendor)
        if ids:
            partners = [replace(p, marketplace_ids=fit_marketplaces(p, ids)) for p in partners]
        return partners, False
    if not (args.seller_id or args.vendor):
        raise ConfigError(
            "--seller-id (or --vendor for a vendor account) is required without --stack"
        )
    chosen = ids or (DEFAULT_MARKETPLACE[region],)
    if args.vendor:
        account = vendor_account_id(args.vendor, "--vendor")
        one_marketplace(chosen, "--marketplace")
        return [Seller(account, account, chosen, PartnerKind.VENDOR)], ids is None
    return [Seller(str(args.seller_id), str(args.seller_id), chosen)], ids is None


def _partners(
    definition: QueryDefinition, candidates: Sequence[Seller], explicit: bool
) -> list[Seller]:
    if not explicit:
        return [c for c in candidates if c.seller_id in definition.partners]
    partner = candidates[0]
    if not suits(definition.dataset, partner.kind):
        raise AudienceError(
            f"query {definition.name}: {definition.dataset} is for "
            f"{DATASETS[definition.dataset]}s, not for {partner.kind} {partner.seller_id}; "
            f"{_other_flag(partner.kind)}"
        )
    return [partner]


def _other_flag(kind: PartnerKind) -> str:
    if kind is PartnerKind.SELLER:
        return "use --vendor amzn1.vg.… for a vendor account"
    return "use --seller-id for a seller"


def resolve_query(
    arg: str,
    config: StackConfig | None,
    root: Path,
    validator: GraphQlQueryValidator,
    partners: Sequence[Seller],
    kind: PartnerKind | None = None,
) -> QueryDefinition:
    """A stack query by name, a .graphql file, or a bare name for queries/<name>.graphql; the
    file parsed, validated (for `kind`, when one partner is asked for) and its placeholders
    checked before anything runs. ConfigError, one line."""
    known = {q.name: q for q in config.queries} if config else {}
    if arg in known:
        return known[arg]
    path = _query_path(arg, root, known)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"--query {arg}: cannot read {path}: {reason}") from None
    name = _query_name(path, arg)
    if kind is not None:
        try:
            validator.validate(name, text, kind)
        except AudienceError as exc:
            raise AudienceError(f"{exc}; {_other_flag(kind)}") from None
    entry = {"name": name, "file": f"{QUERIES_DIR}/{name}.graphql", "window": "P1D"}
    definition = parse_query(entry, f"--query {arg}", partners, lambda _: text, validator)
    return replace(definition, file=str(path))


def _query_name(path: Path, arg: str) -> str:
    """The file's name in snake_case: it names the query's lake folders (query=<name>)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", path.stem).lower()
    name = re.sub(r"[^a-z0-9]+", "_", words).strip("_")
    if not name:
        raise ConfigError(f"--query {arg}: name the file after its query, like sales_by_date")
    return name


def _query_path(arg: str, root: Path, known: Mapping[str, QueryDefinition]) -> Path:
    path = Path(arg)
    if path.suffix == ".graphql" or len(path.parts) > 1:
        if path.suffix != ".graphql":
            raise ConfigError(f"--query {arg}: a query file's name ends in .graphql")
        return path if path.is_absolute() else root / path
    path = root / QUERIES_DIR / f"{arg}.graphql"
    if path.is_file():
        return path
    names = sorted({*known, *(p.stem for p in (root / QUERIES_DIR).glob("*.graphql"))})
    stack = " and the stack has no query by that name" if known else ""
    choices = f" or one of: {', '.join(names)}" if names else f" ({root / QUERIES_DIR} has none)"
    raise ConfigError(
        f"--query {arg}: there is no {QUERIES_DIR}/{arg}.graphql{stack}; "
        f"give a .graphql file{choices}"
    )
