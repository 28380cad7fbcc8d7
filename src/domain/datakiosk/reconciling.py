"""Reconciling Data Kiosk queries: finished pages whose notification never came, and stored
pages whose next page was never created, each get an ingest-query execution."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from domain import registry
from domain.datakiosk.lake import manifest_key
from domain.datakiosk.model import KioskQuery, QueryStatus
from domain.datakiosk.notifications import MERCHANT_PREFIX, FinishedQuery
from domain.datakiosk.ports import KioskApi
from domain.datakiosk.storing import QueryLedger
from domain.errors import AuthError, ConfigError, SpApiError
from domain.lake import parse_iso
from domain.model import Start
from domain.ports import Clock, Lake, Workflow
from domain.reconciling import CURATE_GRACE, CurateTrigger

TERMINAL = (QueryStatus.DONE, QueryStatus.FATAL, QueryStatus.CANCELLED)
# getQueries lists queries of the last 90 days (Amazon's default and limit).
MAX_LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class QueriesReconciled:
    checked: int = 0
    started: int = 0
    in_lake: int = 0
    already_started: int = 0
    restarted: int = 0  # of `started`: new attempts after a failed execution
    not_ours: int = 0  # created by someone else (no context in the ledger): left alone
    curating: int = 0  # of `in_lake`: stored pages sent to be curated again
    failures: tuple[tuple[str, SpApiError | AuthError], ...] = ()


def finished(query: KioskQuery) -> FinishedQuery:
    """The notification this query would have sent, so the ingest is named as its would be."""
    partner = query.partner_id
    account = partner if partner.startswith("amzn1.") else MERCHANT_PREFIX + partner
    return FinishedQuery(
        query_id=query.query_id,
        account_id=account,
        status=query.status,
        query=query.query,
        data_document_id=query.data_document_id,
        error_document_id=query.error_document_id,
    )


class QueryReconciler:
    """For each partner, every terminal query created in the last `hours` that this stack
    created (its context is in the ledger) and whose page is missing from the lake, or whose
    stored page announces a next page that was never created, gets an ingest-query execution.
    Idempotent: the Workflow port refuses a second ingest of a query that succeeded. With a
    CurateTrigger, a stored page whose manifest lacks `curated` (its CurateReport failed) is
    curated again, as reports are."""

    def __init__(
        self,
        api: KioskApi,
        ledger: QueryLedger,
        lake: Lake,
        workflow: Workflow,
        clock: Clock,
        curate: CurateTrigger | None = None,
    ) -> None:
        self._api = api
        self._ledger = ledger
        self._lake = lake
        self._workflow = workflow
        self._clock = clock
        self._curate = curate

    def run(self, partner_ids: Sequence[str], hours: float) -> QueriesReconciled:
        """One partner's SP-API or LWA failure is kept in `failures` and the sweep goes on;
        Lake and Workflow errors propagate."""
        if hours <= 0:
            raise ConfigError(f"reconcile hours must be positive, got {hours}")
        since = self._clock.now() - min(timedelta(hours=hours), MAX_LOOKBACK)
        counts: Counter[str] = Counter()
        failures: list[tuple[str, SpApiError | AuthError]] = []
        for partner_id in dict.fromkeys(partner_ids):
            try:
                for query in self._api.get_queries(
                    partner_id, statuses=TERMINAL, created_since=since
                ):
                    self._check(query, counts)
            except (SpApiError, AuthError) as exc:
                failures.append((partner_id, exc))
        return QueriesReconciled(
            checked=counts["checked"],
            started=counts["started"],
            in_lake=counts["in_lake"],
            already_started=counts["already_started"],
            restarted=counts["restarted"],
            not_ours=counts["not_ours"],
            curating=counts["curating"],
            failures=tuple(failures),
        )

    def _check(self, query: KioskQuery, counts: Counter[str]) -> None:
        counts["checked"] += 1
        context = self._ledger.context(query.partner_id, query.query_id)
        if context is None:
            counts["not_ours"] += 1
            return
        key = manifest_key(context.where, query.query_id)
        body = self._lake.get_manifest(key)
        pagination = (body or {}).get("pagination") or {}
        stalled = bool(pagination.get("hasNextPage")) and not pagination.get("nextQueryId")
        if body is not None and not stalled:
            counts["in_lake"] += 1
            if self._curate is not None and self._needs_curating(body):
                self._curate.curate(key)
                counts["curating"] += 1
            return
        start = self._workflow.start_query_ingest(finished(query))
        counts["started" if start.began else "already_started"] += 1
        counts["restarted"] += start is Start.RESTARTED

    def _needs_curating(self, body: dict[str, object]) -> bool:
        """A stored page of a selection the registry knows, without a `curated` section, stored
        long enough ago that its own execution has finished curating it or given up."""
        stored = body.get("outcome") == "stored" and bool(body.get("key"))
        if "curated" in body or not stored:
            return False
        if not registry.tables_for_query(str(body.get("selection") or "")):
            return False
        try:
            ingested = parse_iso(body.get("ingestedAt"))
        except ValueError:
            ingested = None
        return ingested is None or self._clock.now() - ingested >= CURATE_GRACE
