"""The Data Kiosk queries a deployed stack runs, from its settings (validated when deployed).

queries              JSON list: {name, partners, selection, window, schedule?}
query-text/<name>    the query's GraphQL, placeholders kept (at most 8,000 characters)
queryConcurrency     at most this many non-terminal queries per partner (default 2)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from domain.catalog import Catalog
from domain.config import parse_duration
from domain.datakiosk.definitions import QueryDefinition
from domain.datakiosk.lifecycle import DEFAULT_MAX_IN_FLIGHT
from domain.datakiosk.notifications import QueryPartners
from domain.errors import ConfigError
from domain.planning import Seller
from domain.ports import Settings

QUERIES, TEXTS, CONCURRENCY = "queries", "query-text/", "queryConcurrency"


def query_setting(definition: QueryDefinition) -> dict[str, Any]:
    """A definition's entry in the `queries` setting (its text goes to `query-text/<name>`)."""
    return {
        "name": definition.name,
        "partners": list(definition.partners),
        "selection": definition.selection,
        "window": f"P{definition.window.days}D",
        "schedule": definition.schedule,
    }


def query_settings(
    definitions: Sequence[QueryDefinition], concurrency: int = DEFAULT_MAX_IN_FLIGHT
) -> dict[str, str]:
    """Every setting a stack's queries take, by name: what a deployment writes."""
    settings = {
        QUERIES: json.dumps([query_setting(d) for d in definitions]),
        CONCURRENCY: str(concurrency),
    }
    settings.update({TEXTS + d.name: d.text for d in definitions})
    return settings


class QueryCatalog:
    """Reads the settings each time they are asked for (the Settings adapter caches them)."""

    def __init__(self, settings: Settings, partners: Catalog) -> None:
        self._settings = settings
        self._partners = partners

    def definitions(self, names: Sequence[str] | None = None) -> tuple[QueryDefinition, ...]:
        """Every configured query, or those named (ConfigError for a name not configured)."""
        every = self._settings.get_all()
        entries = _entries(every.get(QUERIES))
        known = {entry["name"]: entry for entry in entries}
        for name in names or ():
            if name not in known:
                raise ConfigError(
                    f"query {name} is not configured; configured: {', '.join(known) or 'none'}"
                )
        chosen = [known[name] for name in names] if names else entries
        return tuple(_definition(entry, every) for entry in chosen)

    def concurrency(self) -> int:
        text = self._settings.get_all().get(CONCURRENCY)
        if text is None:
            return DEFAULT_MAX_IN_FLIGHT
        if not text.strip().isdigit() or int(text) < 1:
            raise ConfigError(f"setting {CONCURRENCY}={text!r} is not a whole number of at least 1")
        return int(text)

    def partner(self, partner_id: str) -> Seller:
        """The configured partner (ConfigError when it is not)."""
        [found] = self._partners.sellers([partner_id])
        return found

    def runs_queries(self, partner_id: str) -> bool:
        """Whether the partner is configured and some query runs for it (its notifications
        are the stack's)."""
        return QueryPartners(self._settings, self._partners).accepts(partner_id)

    def partner_ids(self) -> frozenset[str]:
        """Every partner id some query runs for."""
        return QueryPartners(self._settings, self._partners).partners()


def _entries(text: str | None) -> list[dict[str, Any]]:
    if text is None:
        return []  # a stack without queries
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"setting {QUERIES} is not JSON ({exc.msg})") from None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
    ):
        raise ConfigError(f"setting {QUERIES} must be a list of objects with a name")
    return entries


def _definition(entry: dict[str, Any], every: dict[str, str]) -> QueryDefinition:
    name = entry["name"]
    text = every.get(TEXTS + name)
    if not text:
        raise ConfigError(f"setting {TEXTS}{name} is missing: deploy the stack again")
    try:
        return QueryDefinition(
            name=name,
            file=f"queries/{name}.graphql",
            text=text,
            selection=str(entry["selection"]),
            window=parse_duration(entry["window"], f"setting {QUERIES}: {name}.window"),
            partners=tuple(str(p) for p in entry["partners"]),
            schedule=entry.get("schedule"),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"setting {QUERIES}: query {name} lacks {exc}") from None
