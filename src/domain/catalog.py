"""What a stack ingests (sellers and report configs, from the Settings port), and its plan."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from domain.config import NAMESPACE, StackConfig, parse_stack_config
from domain.errors import ConfigError
from domain.model import ReportRequest
from domain.planning import ReportConfig, Seller, applies, plan_requests
from domain.ports import Clock, Settings

SELLERS, REPORTS = "sellers", "reports"
T = TypeVar("T")


class Catalog:
    """Settings `sellers` and `reports` hold JSON lists in the stack-file shape (design.md §6),
    checked against `region` like a stack file. Raises ConfigError naming the setting or key."""

    def __init__(self, settings: Settings, region: str) -> None:
        self._settings = settings
        self._region = region
        self._parsed: tuple[tuple[str, str], StackConfig] | None = None

    def _config(self) -> StackConfig:
        texts = (self._settings.get(SELLERS), self._settings.get(REPORTS))
        # Consulted once per notification: parse again only when the settings change.
        if self._parsed is not None and self._parsed[0] == texts:
            return self._parsed[1]
        raw: dict[str, Any] = {f"{NAMESPACE}:region": self._region}
        for name, text in zip((SELLERS, REPORTS), texts, strict=True):
            try:
                raw[f"{NAMESPACE}:{name}"] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"setting {name} is not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
                ) from None
        config = parse_stack_config(raw)
        self._parsed = (texts, config)
        return config

    def sellers(self, seller_ids: Sequence[str] | None = None) -> tuple[Seller, ...]:
        """Every configured partner (sellers and vendors, by `kind`), or those named by id
        (ConfigError for one not configured)."""
        return _select(self._config().sellers, seller_ids, lambda s: s.seller_id, "seller")

    def reports(self, report_types: Sequence[str] | None = None) -> tuple[ReportConfig, ...]:
        """Every configured report, or those of the types named."""
        return _select(self._config().reports, report_types, lambda r: r.report_type, "report type")

    def accepts(self, owner: str, report_type: str) -> bool:
        """Whether a notification for this seller (or vendor account id) and type is ours: a
        configured report of the type applies to that partner (domain.planning.applies)."""
        config = self._config()
        partner = next((s for s in config.sellers if s.seller_id == owner), None)
        return partner is not None and any(
            r.report_type == report_type and applies(r, partner) for r in config.reports
        )


def _select(
    items: tuple[T, ...], wanted: Sequence[str] | None, key: Callable[[T], str], what: str
) -> tuple[T, ...]:
    if wanted is None:
        return items
    if not wanted:
        raise ConfigError(f"the list of {what}s is empty: leave it out to mean all of them")
    known = {key(item) for item in items}
    for name in wanted:
        if name not in known:
            raise ConfigError(
                f"{what} {name!r} is not configured; configured: {', '.join(sorted(known))}"
            )
    return tuple(item for item in items if key(item) in wanted)


class Planner:
    """Plans the report requests due now: configured sellers × report configs, windows ending
    now and sliced to each type's maximum span (domain.planning)."""

    def __init__(self, catalog: Catalog, clock: Clock) -> None:
        self._catalog = catalog
        self._clock = clock

    def plan(
        self, seller_ids: Sequence[str] | None = None, report_types: Sequence[str] | None = None
    ) -> list[ReportRequest]:
        # Whole minutes: a plan retried within the minute asks for the same windows, so
        # ReportRequester reuses the reports the first attempt created.
        until = self._clock.now().replace(second=0, microsecond=0)
        sellers = self._catalog.sellers(seller_ids)
        return plan_requests(sellers, self._catalog.reports(report_types), until=until)
