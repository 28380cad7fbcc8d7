"""Data Kiosk query definitions: a stack file's `queries` list, its datasets and placeholders."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Protocol

from domain.config import parse_duration, parse_schedule
from domain.errors import AudienceError, ConfigError
from domain.model import PartnerKind
from domain.planning import Seller

QUERIES_DIR = "queries"
START, END, MARKETPLACES = "{{startDate}}", "{{endDate}}", "{{marketplaceIds}}"
# Dataset (the single field of its schema's Query type) → the partner kind it is for.
DATASETS: Mapping[str, PartnerKind] = {
    "analytics_salesAndTraffic_2024_04_24": PartnerKind.SELLER,
    "analytics_economics_2024_03_15": PartnerKind.SELLER,
    "analytics_vendorAnalytics_2024_09_30": PartnerKind.VENDOR,
}
_KEYS = {"name", "partners", "file", "window", "schedule"}
_NAME = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_PLACEHOLDER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")


class QueryValidator(Protocol):
    """Checks a query's text against Data Kiosk's schemas before anything runs."""

    def validate(self, name: str, text: str, kind: PartnerKind | None = None) -> str:
        """What the query reads, as `<dataset>.<field>` (a selection). ConfigError (one line
        naming the query) when it does not parse, does not validate, is too long, or (given
        `kind`) does not suit that kind."""
        ...


@dataclass(frozen=True)
class QueryDefinition:
    """A Data Kiosk query a stack runs: `text` keeps its placeholders until planned."""

    name: str
    file: str
    text: str
    selection: str  # `<dataset>.<field>`: the one table of a dataset the query reads
    window: timedelta
    partners: tuple[str, ...]
    schedule: str | None = None

    @property
    def dataset(self) -> str:
        return dataset_of(self.selection)


def schema_text(dataset: str) -> str:
    """The GraphQL schema (SDL) of a dataset, as copied from Amazon (schemas/ORIGIN.md)."""
    if dataset not in DATASETS:
        raise ConfigError(f"{dataset!r} is not a Data Kiosk dataset; known: {', '.join(DATASETS)}")
    path = resources.files("domain.datakiosk") / "schemas" / f"{dataset}.graphql"
    return path.read_text(encoding="utf-8")


def dataset_of(selection: str) -> str:
    """The dataset of a selection `<dataset>.<field>`."""
    return selection.split(".", 1)[0]


def suits(dataset: str, kind: PartnerKind) -> bool:
    """Whether a partner of `kind` may query `dataset` (Vendor Analytics is for vendors only)."""
    return DATASETS.get(dataset) is kind


def fill(text: str, start: date, end: date, marketplace_ids: Sequence[str] = ()) -> str:
    """The query with its dates (RFC 3339 full dates, both inclusive) and marketplaces put in."""
    listed = "[" + ", ".join(f'"{m}"' for m in marketplace_ids) + "]"
    return (
        text.replace(START, start.isoformat())
        .replace(END, end.isoformat())
        .replace(MARKETPLACES, listed)
    )


def window_dates(window: timedelta, until: datetime) -> tuple[date, date]:
    """The whole UTC days of a window that ends before `until`'s day: P7D → the 7 days before."""
    end = until.date() - timedelta(days=1)
    return end - timedelta(days=window.days - 1), end


def fill_for_window(
    query: QueryDefinition, until: datetime, marketplace_ids: Sequence[str] = ()
) -> str:
    """The query's text filled for its window ending before `until`'s day."""
    start, end = window_dates(query.window, until)
    return fill(query.text, start, end, marketplace_ids)


def _check_text(name: str, text: str) -> None:
    found = set(_PLACEHOLDER.findall(text))
    unknown = sorted(found - {p.strip("{}") for p in (START, END, MARKETPLACES)})
    if unknown:
        raise ConfigError(
            f"query {name}: unknown placeholder {{{{{unknown[0]}}}}}; "
            f"use {START}, {END} or {MARKETPLACES}"
        )
    for placeholder in (START, END):
        if placeholder not in text:
            raise ConfigError(
                f"query {name}: the file has no {placeholder} placeholder; "
                "the planner fills it with the window's dates"
            )


def _file(raw: object, name: str) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    parts = text.split("/")
    if parts[0] != QUERIES_DIR or len(parts) < 2 or ".." in parts or not text.endswith(".graphql"):
        raise ConfigError(
            f"query {name}: file {raw!r} must be a .graphql file under {QUERIES_DIR}/, "
            f"like {QUERIES_DIR}/{name}.graphql"
        )
    return text


def _partners(raw: object, name: str, dataset: str, partners: Sequence[Seller]) -> tuple[str, ...]:
    kind = DATASETS[dataset]
    by_id = {p.seller_id: p for p in partners}
    if raw is None:
        chosen = tuple(p.seller_id for p in partners if p.kind is kind)
        if not chosen:
            raise AudienceError(
                f"query {name}: {dataset} is for {kind}s, and no partner is a {kind}: "
                f"add a partner with kind: {kind}, or remove this query"
            )
        return chosen
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) for p in raw):
        raise ConfigError(f"query {name}: partners must be a non-empty list of partner ids")
    for partner_id in raw:
        if partner_id not in by_id:
            raise ConfigError(
                f"query {name}: partner {partner_id} is not configured; "
                f"configured: {', '.join(sorted(by_id))}"
            )
        if by_id[partner_id].kind is not kind:
            raise AudienceError(
                f"query {name}: {partner_id} is a {by_id[partner_id].kind}, but {dataset} is "
                f"for {kind}s only: remove it from partners"
            )
    return tuple(raw)


def parse_query(
    raw: object,
    key: str,
    partners: Sequence[Seller],
    read: Callable[[str], str],
    validator: QueryValidator,
) -> QueryDefinition:
    """One `queries` entry; `read` returns a file's text by its path (OSError when missing)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{key}: expected a mapping with name, file, window, schedule, partners")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{key}.name: {name!r} is not a query name like sales_traffic or econ-7d")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"query {name}: unknown key {unknown[0]}; allowed: {', '.join(sorted(_KEYS))}"
        )
    path = _file(raw.get("file"), name)
    window = parse_duration(raw.get("window"), f"query {name}: window")
    if window % timedelta(days=1):
        raise ConfigError(
            f"query {name}: window {raw.get('window')!r} must be whole days, like P7D "
            "(Data Kiosk dates are days)"
        )
    schedule = raw.get("schedule")
    try:
        text = read(path)
    except OSError as exc:
        raise ConfigError(f"query {name}: cannot read {path}: {exc.strerror or exc}") from None
    _check_text(name, text)
    selection = validator.validate(name, text)
    dataset = dataset_of(selection)
    return QueryDefinition(
        name=name,
        file=path,
        text=text,
        selection=selection,
        window=window,
        partners=_partners(raw.get("partners"), name, dataset, partners),
        schedule=parse_schedule(schedule, f"query {name}: schedule") if schedule else None,
    )


def parse_queries(
    raw: object,
    key: str,
    partners: Sequence[Seller],
    read: Callable[[str], str],
    validator: QueryValidator,
) -> tuple[QueryDefinition, ...]:
    """A stack file's `queries` list (absent → none); names are unique. ConfigError, one line."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{key}: expected a list of queries")
    queries = tuple(
        parse_query(item, f"{key}[{i}]", partners, read, validator) for i, item in enumerate(raw)
    )
    seen: set[str] = set()
    for query in queries:
        if query.name in seen:
            raise ConfigError(f"query {query.name}: the name is used twice; names must be unique")
        seen.add(query.name)
    return queries
