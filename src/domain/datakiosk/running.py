"""Running Data Kiosk queries: plan a page's query, create it (recording its context), and, in one
process, create → wait → store → next page until the last page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.datakiosk.definitions import QueryDefinition, fill
from domain.datakiosk.lake import PageKey, link_next, manifest_key
from domain.datakiosk.lifecycle import (
    Admission,
    Created,
    QueryCreator,
    QueryWaiter,
    next_page,
    when_free,
)
from domain.datakiosk.model import KioskQuery
from domain.datakiosk.storing import PageContext, PageStorer, QueryLedger, StoredPage
from domain.ports import Clock, Lake
from domain.waiting import PollPolicy


@dataclass(frozen=True)
class PlannedQuery:
    """One query for one partner, its text filled for its window; its pages land under `dt`."""

    name: str
    partner_id: str
    selection: str
    text: str
    dt: date

    @property
    def context(self) -> PageContext:
        """The first page's context."""
        return PageContext(PageKey(self.name, self.partner_id, self.dt), self.selection)


def plan_query(
    definition: QueryDefinition,
    partner_id: str,
    start: date,
    end: date,
    marketplace_ids: Sequence[str] = (),
) -> PlannedQuery:
    """The query for `partner_id` over the days `start`..`end` (both inclusive), filed under
    the window's first day."""
    text = fill(definition.text, start, end, marketplace_ids)
    return PlannedQuery(definition.name, partner_id, definition.selection, text, start)


def following(context: PageContext, query_id: str) -> PageContext:
    """The context of the page after the page `query_id` of `context`."""
    return PageContext(context.where, context.selection, context.link.after(query_id))


class QueryStarter:
    """Creates first and next pages within the partner's concurrency limit (Wait when full),
    records each created page's context in the ledger, and links the previous page's manifest
    to the next page."""

    def __init__(self, creator: QueryCreator, ledger: QueryLedger, lake: Lake) -> None:
        self._creator = creator
        self._ledger = ledger
        self._lake = lake

    def start(self, plan: PlannedQuery) -> Admission:
        return self._create(plan.context, plan.text, None)

    def start_after(self, query: KioskQuery, context: PageContext) -> Admission | None:
        """The page after `query` (as getQuery returned it, with its token), or None when
        `query` is its query's last page."""
        page = next_page(query)
        if page is None:
            return None
        previous = manifest_key(context.where, query.query_id)
        body = self._lake.get_manifest(previous)
        linked = (body or {}).get("pagination", {}).get("nextQueryId")
        if linked:
            # Created before, by an attempt that failed after: never a second copy of a page.
            return Created(str(linked))
        admission = self._create(
            following(context, query.query_id), page.query, page.pagination_token
        )
        if isinstance(admission, Created) and body is not None:
            self._lake.put_manifest(previous, link_next(body, admission.query_id))
        return admission

    def _create(self, context: PageContext, text: str, token: str | None) -> Admission:
        admission = self._creator.create(context.where.partner_id, text, token)
        if isinstance(admission, Created):
            self._ledger.record(admission.query_id, context)
        return admission


class QueryRunner:
    """One query, every page, in this process (the CLI): no notification needed, getQuery is
    polled. A FATAL or CANCELLED page ends the query; its manifest says so."""

    def __init__(
        self,
        starter: QueryStarter,
        waiter: QueryWaiter,
        storer: PageStorer,
        clock: Clock,
        slot_policy: PollPolicy | None = None,
    ) -> None:
        self._starter = starter
        self._waiter = waiter
        self._storer = storer
        self._clock = clock
        self._slot_policy = slot_policy

    def run(
        self,
        plan: PlannedQuery,
        *,
        on_created: Callable[[str, PageContext], None] | None = None,
        on_page: Callable[[StoredPage], None] | None = None,
    ) -> list[StoredPage]:
        """Every page's StoredPage, in page order. Raises QueryTimeoutError, the storer's
        errors, and SpApiError."""
        partner_id, context = plan.partner_id, plan.context
        query_id = self._admitted(lambda: self._starter.start(plan), partner_id)
        pages: list[StoredPage] = []
        while True:
            if on_created is not None:
                on_created(query_id, context)
            done = self._waiter.wait(partner_id, query_id)
            stored = self._storer.store(done, context)
            pages.append(stored)
            if on_page is not None:
                on_page(stored)
            if next_page(done) is None:
                return pages

            def next_one(done: KioskQuery = done, context: PageContext = context) -> Admission:
                admission = self._starter.start_after(done, context)
                assert admission is not None  # next_page(done) said a page follows
                return admission

            query_id = self._admitted(next_one, partner_id)
            context = following(context, done.query_id)

    def _admitted(self, attempt: Callable[[], Admission], partner_id: str) -> str:
        return when_free(attempt, partner_id, self._clock, self._slot_policy)
