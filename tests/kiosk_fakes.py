"""In-memory fakes of the Data Kiosk port, and the queries they hand out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from domain.datakiosk.lifecycle import Admission, QueryCreator
from domain.datakiosk.model import KioskDocument, KioskQuery, QueryStatus

PARTNER = "A3TH9S8BH6GOGM"
SELECTION = "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate"
TEXT = 'query{analytics_salesAndTraffic_2024_04_24{salesAndTrafficByDate(startDate:"2026-11-01" endDate:"2026-11-02" aggregateBy:DAY){startDate}}}'  # noqa: E501
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def q(query_id: str = "1", status: QueryStatus = QueryStatus.DONE, **kw: object) -> KioskQuery:
    fields: dict[str, object] = {
        "query_id": query_id,
        "query": TEXT,
        "created_time": T0,
        "status": status,
        "partner_id": PARTNER,
    }
    fields.update(kw)
    return KioskQuery(**fields)  # type: ignore[arg-type]


class FakeKioskApi:
    """KioskApi in memory: queries move one status per getQuery after `polls_to_finish` polls;
    `finish` decides the terminal state of each created query from its page number.
    `count_seconds` is how long getQueries takes after it has counted, as over the network:
    callers racing without a lock then all see the same free slot."""

    def __init__(
        self, pages: int = 1, polls_to_finish: int = 1, count_seconds: float = 0.0
    ) -> None:
        self.pages = pages
        self.count_seconds = count_seconds
        self._guard = threading.Lock()  # callers in threads: one creation or count at a time
        self.polls_to_finish = polls_to_finish
        self.queries: dict[str, KioskQuery] = {}
        self.polls: dict[str, int] = {}
        self.created: list[tuple[str, str, str | None]] = []
        self.cancelled: list[str] = []
        self.failures: list[Exception] = []
        self.get_queries_calls = 0

    def add(self, query: KioskQuery) -> None:
        self.queries[query.query_id] = query

    def create_query(self, partner_id: str, query: str, pagination_token: str | None = None) -> str:
        with self._guard:
            self.created.append((partner_id, query, pagination_token))
            query_id = f"q{len(self.created)}"
            self.add(q(query_id, QueryStatus.IN_QUEUE, query=query, partner_id=partner_id))
            self.polls[query_id] = 0
        return query_id

    def _finish(self, query: KioskQuery) -> KioskQuery:
        page = int(query.query_id[1:])
        token = f"token-after-{page}" if page < self.pages else None
        return replace(
            query,
            status=QueryStatus.DONE,
            data_document_id=f"doc-{page}",
            next_token=token,
            processing_end=T0,
        )

    def get_query(self, partner_id: str, query_id: str) -> KioskQuery:
        if self.failures:
            raise self.failures.pop(0)
        query = self.queries[query_id]
        if not query.status.terminal and query_id in self.polls:
            self.polls[query_id] += 1
            if self.polls[query_id] >= self.polls_to_finish:
                query = self._finish(query)
                self.queries[query_id] = query
        return query

    def get_queries(
        self,
        partner_id: str,
        *,
        statuses: Sequence[QueryStatus] = (),
        created_since: datetime | None = None,
        created_until: datetime | None = None,
    ) -> Iterator[KioskQuery]:
        with self._guard:
            self.get_queries_calls += 1
            found = [
                query
                for query in self.queries.values()
                if query.partner_id == partner_id and (not statuses or query.status in statuses)
            ]
        time.sleep(self.count_seconds)
        yield from found

    def cancel_query(self, partner_id: str, query_id: str) -> None:
        self.cancelled.append(query_id)
        self.queries[query_id] = replace(self.queries[query_id], status=QueryStatus.CANCELLED)

    def get_document(self, partner_id: str, document_id: str) -> KioskDocument:
        return KioskDocument(document_id, f"https://s3/{document_id}?X-Amz-Signature=SECRET")


def race(creators: Sequence[QueryCreator]) -> list[Admission]:
    """Every creator creates for PARTNER at once, each in its own thread (a Lambda container)."""
    answers: list[Admission] = []
    start = threading.Barrier(len(creators))

    def create(creator: QueryCreator) -> None:
        start.wait()
        answers.append(creator.create(PARTNER, TEXT))

    threads = [threading.Thread(target=create, args=(c,)) for c in creators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
