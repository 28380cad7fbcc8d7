"""The Data Kiosk query lifecycle as pure services: create within Amazon's concurrency limit,
wait by polling getQuery, interpret the outcome, and follow pagination page by page.

Waiting shares domain.waiting's PollPolicy (the same knobs and defaults as for reports)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.datakiosk.model import (
    NON_TERMINAL,
    KioskQuery,
    QueryNotReadyError,
    QueryOutcome,
    QueryTimeoutError,
)
from domain.datakiosk.model import QueryStatus as S
from domain.datakiosk.ports import CreationLock, KioskApi
from domain.errors import SpApiServerError, ThrottledError
from domain.ports import Clock
from domain.waiting import PollPolicy

# Amazon limits concurrent non-terminal queries per partner but publishes no number.
DEFAULT_MAX_IN_FLIGHT = 2
# Waiting for a slot counts with getQueries (0.0222/s, burst 10): poll it slowly.
SLOT_POLICY = PollPolicy(first_interval=45.0, factor=1.5, max_interval=300.0)


@dataclass(frozen=True)
class Interpretation:
    """A terminal query read for the lake: what to store, and whether another page follows."""

    outcome: QueryOutcome
    document_id: str | None  # the data document (DATA) or the error document (FATAL)
    next_token: str | None = field(default=None, repr=False)

    @property
    def has_next_page(self) -> bool:
        return self.next_token is not None


def interpret(query: KioskQuery) -> Interpretation:
    """DONE with a data document, DONE with none (no data), FATAL with or without an error
    document, CANCELLED. Raises QueryNotReadyError for IN_QUEUE/IN_PROGRESS."""
    if not query.status.terminal:
        raise QueryNotReadyError(f"query {query.query_id} is {query.status.value}")
    if query.status is S.CANCELLED:
        return Interpretation(QueryOutcome.CANCELLED, None)
    if query.status is S.FATAL:
        if query.error_document_id:
            return Interpretation(QueryOutcome.FATAL, query.error_document_id)
        return Interpretation(QueryOutcome.FATAL_WITHOUT_DOCUMENT, None)
    if query.data_document_id:
        return Interpretation(QueryOutcome.DATA, query.data_document_id, query.next_token or None)
    # "DONE with no document id: no data for the given date range" (use case guide).
    return Interpretation(QueryOutcome.NO_DATA, None, query.next_token or None)


@dataclass(frozen=True)
class NextPage:
    """The createQuery call that fetches the page after `previous`: same text, its token."""

    partner_id: str
    query: str
    pagination_token: str = field(repr=False)
    previous_query_id: str


def next_page(query: KioskQuery) -> NextPage | None:
    """The next page's request, or None when `query` is the last page (or not DONE)."""
    if query.status is not S.DONE or not query.next_token:
        return None
    return NextPage(query.partner_id, query.query, query.next_token, query.query_id)


@dataclass(frozen=True)
class Created:
    """createQuery was called: the new query's id."""

    query_id: str


@dataclass(frozen=True)
class Wait:
    """The partner's slots are full: create later. `in_flight` are the non-terminal query ids;
    none when another caller was creating for the partner (its lock was held)."""

    in_flight: tuple[str, ...]


Admission = Created | Wait


def has_slot(in_flight: int, limit: int) -> bool:
    return in_flight < limit


class QueryCreator:
    """Creates queries and next pages without exceeding `max_in_flight` non-terminal queries per
    partner (counted with getQueries). When full it returns Wait rather than failing.

    Counting and creating happen under the partner's CreationLock: without it two callers (two
    Lambdas, say) both see the last free slot and both create."""

    def __init__(
        self,
        api: KioskApi,
        *,
        lock: CreationLock,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._api = api
        self._limit = max_in_flight
        self._lock = lock

    def in_flight(self, partner_id: str) -> tuple[str, ...]:
        queries = self._api.get_queries(partner_id, statuses=NON_TERMINAL)
        return tuple(q.query_id for q in queries if not q.status.terminal)

    def create(self, partner_id: str, query: str, pagination_token: str | None = None) -> Admission:
        """Create when a slot is free, else Wait (also while another caller is creating for
        the partner: its new query may take the last slot)."""
        with self._lock.holding(partner_id) as held:
            if not held:
                return Wait(())
            busy = self.in_flight(partner_id)
            if not has_slot(len(busy), self._limit):
                return Wait(busy)
            return Created(self._api.create_query(partner_id, query, pagination_token))

    def create_next(self, page: NextPage) -> Admission:
        return self.create(page.partner_id, page.query, page.pagination_token)

    def create_when_free(
        self,
        partner_id: str,
        query: str,
        pagination_token: str | None,
        clock: Clock,
        policy: PollPolicy | None = None,
    ) -> str:
        """For one process (the CLI): wait with backoff for a slot, then create. Raises
        QueryTimeoutError when no slot frees within the policy's timeout."""
        return when_free(
            lambda: self.create(partner_id, query, pagination_token), partner_id, clock, policy
        )


def when_free(
    attempt: Callable[[], Admission],
    partner_id: str,
    clock: Clock,
    policy: PollPolicy | None = None,
) -> str:
    """Repeats `attempt` with backoff until it creates a query; returns its id. Raises
    QueryTimeoutError when no slot frees within the policy's timeout."""
    policy = policy or SLOT_POLICY
    start, interval = clock.now(), policy.first_interval
    while True:
        admission = attempt()
        if isinstance(admission, Created):
            return admission.query_id
        if clock.now() - start + timedelta(seconds=interval) > policy.timeout:
            running = len(admission.in_flight)
            why = f"{running} queries still running" if running else "another caller creating"
            raise QueryTimeoutError(
                f"no Data Kiosk slot for {partner_id} within {policy.timeout}: {why}"
            )
        clock.sleep(interval)
        interval = min(interval * policy.factor, policy.max_interval)


@dataclass
class _Pending:
    partner_id: str
    query_id: str
    due: datetime
    interval: float


class QueryWaiter:
    """Polls many queries with getQuery, earliest due first, and yields each once terminal.

    Throttling and server errors only delay that query's next poll. Raises QueryTimeoutError
    for queries still unfinished when the policy's timeout passes."""

    def __init__(self, api: KioskApi, clock: Clock, policy: PollPolicy | None = None) -> None:
        self._api = api
        self._clock = clock
        self._policy = policy or PollPolicy()

    def wait_all(
        self,
        ids: Iterable[tuple[str, str]],
        on_poll: Callable[[KioskQuery], None] | None = None,
    ) -> Iterator[KioskQuery]:
        policy, clock = self._policy, self._clock
        start = clock.now()
        pending = [_Pending(p, q, start, policy.first_interval) for p, q in dict.fromkeys(ids)]
        while pending:
            item = min(pending, key=lambda p: p.due)
            wait = (item.due - clock.now()).total_seconds()
            if wait > 0:
                clock.sleep(wait)
            if clock.now() - start > policy.timeout:
                late = ", ".join(p.query_id for p in pending)
                raise QueryTimeoutError(f"queries {late} did not finish within {policy.timeout}")
            try:
                query: KioskQuery | None = self._api.get_query(item.partner_id, item.query_id)
            except (ThrottledError, SpApiServerError):
                query = None
            if query is not None and on_poll is not None:
                on_poll(query)
            if query is not None and query.status.terminal:
                pending.remove(item)
                yield query
                continue
            item.due = clock.now() + timedelta(seconds=item.interval)
            item.interval = min(item.interval * policy.factor, policy.max_interval)

    def wait(self, partner_id: str, query_id: str) -> KioskQuery:
        return next(self.wait_all([(partner_id, query_id)]))
