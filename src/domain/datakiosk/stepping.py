"""Data Kiosk as paced workflow steps: plan the due queries, create a page (or wait for a slot),
and fetch a finished page with its document. Long waits go back to the workflow's Wait states."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.datakiosk.catalog import QueryCatalog
from domain.datakiosk.definitions import window_dates
from domain.datakiosk.lifecycle import Created, interpret
from domain.datakiosk.model import KioskDocument, KioskQuery, QueryNotReadyError, QueryOutcome
from domain.datakiosk.ports import KioskApi
from domain.datakiosk.running import PlannedQuery, QueryStarter, plan_query
from domain.datakiosk.storing import PageContext, QueryLedger
from domain.errors import (
    AccessTokenExpiredError,
    QueryContextMissingError,
    QueryDeadlineError,
    RateLimitedError,
)
from domain.pacing import Pace, Pacer
from domain.ports import Clock

# A full partner waits this long before it asks again (getQueries: 0.0222/s, burst 10).
SLOT_WAIT_SECONDS = 60


@dataclass(frozen=True)
class PageRequest:
    """A first page to create: the query's name, its partner and its days (both inclusive)."""

    partner_id: str
    name: str
    start: date
    end: date


class QueryPlanner:
    """The first pages due now: every configured query (or those named) for each of its partners
    (or those named), over its window ending yesterday."""

    def __init__(self, catalog: QueryCatalog, clock: Clock) -> None:
        self._catalog = catalog
        self._clock = clock

    def plan(
        self,
        names: Sequence[str] | None = None,
        partner_ids: Sequence[str] | None = None,
        until: datetime | None = None,
    ) -> list[PageRequest]:
        until = until or self._clock.now()
        requests = []
        for definition in self._catalog.definitions(names):
            start, end = window_dates(definition.window, until)
            for partner_id in definition.partners:
                if partner_ids is None or partner_id in partner_ids:
                    requests.append(PageRequest(partner_id, definition.name, start, end))
        return requests


@dataclass(frozen=True)
class Creation:
    """One attempt of the create step: the new query's id, or a pace that waits (a rate limit,
    a full partner, an expired token)."""

    query_id: str | None
    pace: Pace
    last: bool = False  # there is no page to create after the one asked about


class PageCreator:
    """Creates a first page (from a PageRequest) or the page after a finished one, within the
    partner's concurrency limit; a full partner waits SLOT_WAIT_SECONDS, up to the deadline."""

    def __init__(
        self,
        starter: QueryStarter,
        api: KioskApi,
        ledger: QueryLedger,
        catalog: QueryCatalog,
        pacer: Pacer,
    ) -> None:
        self._starter = starter
        self._api = api
        self._ledger = ledger
        self._catalog = catalog
        self._pacer = pacer

    def first(self, request: PageRequest, pace: Pace | None) -> Creation:
        [definition] = self._catalog.definitions([request.name])
        partner = self._catalog.partner(request.partner_id)
        plan: PlannedQuery = plan_query(
            definition, partner.seller_id, request.start, request.end, partner.marketplace_ids
        )
        return self._attempt(lambda: self._starter.start(plan), pace)

    def after(self, partner_id: str, query_id: str, pace: Pace | None) -> Creation:
        """The page after `query_id`; `last` when it is the last page (or not ours)."""
        context = self._ledger.context(partner_id, query_id)
        if context is None:
            return Creation(None, self._pacer.done(self._pacer.start(pace)), last=True)
        last: list[bool] = []

        def attempt() -> object:
            previous = self._api.get_query(partner_id, query_id)  # it alone holds the token
            admission = self._starter.start_after(previous, context)
            if admission is None:
                last.append(True)
            return admission

        creation = self._attempt(attempt, pace)
        return Creation(None, creation.pace, last=True) if last else creation

    def _attempt(self, attempt: Callable[[], object], pace: Pace | None) -> Creation:
        pace = self._pacer.start(pace)
        try:
            with self._pacer.attempt(pace):
                admission = attempt()
        except RateLimitedError as limited:
            return Creation(None, self._pacer.wait(pace, limited))
        except AccessTokenExpiredError:
            return Creation(None, self._pacer.reauthenticate(pace))
        if isinstance(admission, Created):
            return Creation(admission.query_id, self._pacer.done(pace))
        if admission is None:
            return Creation(None, self._pacer.done(pace))
        if self._pacer.overdue(pace):
            raise QueryDeadlineError(
                "no Data Kiosk slot freed up before the deadline: raise queryConcurrency only "
                "if Amazon allows it, or run fewer queries at once"
            )
        return Creation(None, self._pacer.pause(pace, SLOT_WAIT_SECONDS))


@dataclass(frozen=True)
class FetchedPage:
    """One attempt of the fetch step: the finished query, where it goes, its document once in
    hand, and the pace (while it waits, only the context is known)."""

    query: KioskQuery | None
    context: PageContext | None
    document: KioskDocument | None
    pace: Pace


class PageFetcher:
    """getQuery, then getDocument when the outcome has a document, with its token in hand."""

    def __init__(self, api: KioskApi, ledger: QueryLedger, pacer: Pacer) -> None:
        self._api = api
        self._ledger = ledger
        self._pacer = pacer

    def fetch(self, partner_id: str, query_id: str, pace: Pace | None) -> FetchedPage:
        """Raises QueryNotReadyError while the query runs (the workflow retries),
        QueryContextMissingError for a query without a context (retried briefly: its creator
        records it just after createQuery returns), and the KioskApi errors."""
        pace = self._pacer.start(pace)
        context = self._ledger.context(partner_id, query_id)
        if context is None:
            raise QueryContextMissingError(
                f"query {query_id} of {partner_id} has no context in the ledger: not created by "
                "this stack, or its creator is still recording it"
            )
        query = document = None
        try:
            with self._pacer.attempt(pace):
                query = self._api.get_query(partner_id, query_id)
                if not query.status.terminal:
                    raise QueryNotReadyError(f"query {query_id} is {query.status.value}")
                seen = interpret(query)
                if seen.document_id and seen.outcome in (QueryOutcome.DATA, QueryOutcome.FATAL):
                    document = self._api.get_document(partner_id, seen.document_id)
        except RateLimitedError as limited:
            return FetchedPage(None, context, None, self._pacer.wait(pace, limited))
        except AccessTokenExpiredError:
            return FetchedPage(None, context, None, self._pacer.reauthenticate(pace))
        return FetchedPage(query, context, document, self._pacer.done(pace))
