"""Data Kiosk queries of every partner, moved on the clock under a per-partner concurrency cap."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.times import iso
from sandbox.wsgi import ApiError, not_found

TERMINAL = ("DONE", "CANCELLED", "FATAL")
_DOC_NAMESPACE = uuid.UUID("3b8f6a1e-2c4d-4f6a-9e1b-7d2c5a8f0e31")


@dataclass
class SimQuery:
    partner_id: str
    query_id: str
    query: str
    dataset: str
    created: float
    outcome: str  # DONE, NO_DATA (DONE without a document) or FATAL, chosen at creation
    page: int  # 0-based page of the original query
    pages: int
    chain: str  # the first page's query id: all pages share its seed
    status: str = "IN_QUEUE"
    processing_start: float | None = None
    processing_end: float | None = None
    data_document_id: str | None = None
    error_document_id: str | None = None
    next_token: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "queryId": self.query_id,
            "query": self.query,
            "createdTime": iso(self.created),
            "processingStatus": self.status,
        }
        if self.processing_start is not None:
            body["processingStartTime"] = iso(self.processing_start)
        if self.processing_end is not None:
            body["processingEndTime"] = iso(self.processing_end)
        if self.data_document_id:
            body["dataDocumentId"] = self.data_document_id
        if self.error_document_id:
            body["errorDocumentId"] = self.error_document_id
        if self.next_token:
            body["pagination"] = {"nextToken": self.next_token}
        return body


class QueryStore:
    """IN_QUEUE for half the processing time at least, and until one of the partner's
    `concurrency` processing slots is free; then IN_PROGRESS for the other half. Thread-safe."""

    def __init__(self, processing_seconds: float, concurrency: int) -> None:
        self._half = max(0.0, processing_seconds) / 2
        self._concurrency = max(1, concurrency)
        self._queries: dict[tuple[str, str], SimQuery] = {}
        self._documents: dict[tuple[str, str], SimQuery] = {}
        self._tokens: dict[str, SimQuery] = {}  # pagination nextToken -> the page it follows
        self._freed: dict[str, float] = {}  # partner -> when a slot last became free
        self._next_id = 10**10 + secrets.randbelow(8 * 10**10)
        self.lock = threading.RLock()

    def create(self, query: SimQuery) -> SimQuery:
        with self.lock:
            query.query_id = str(self._next_id)
            self._next_id += 1
            query.chain = query.chain or query.query_id
            self._queries[(query.partner_id, query.query_id)] = query
        return query

    def get(self, partner_id: str, query_id: str) -> SimQuery:
        with self.lock:
            query = self._queries.get((partner_id, query_id))
        if query is None:
            raise not_found(f"Query {query_id} not found")
        return query

    def of_partner(self, partner_id: str) -> list[SimQuery]:
        with self.lock:
            return [q for (p, _), q in self._queries.items() if p == partner_id]

    def by_document(self, partner_id: str, document_id: str) -> SimQuery | None:
        with self.lock:
            return self._documents.get((partner_id, document_id))

    def follow(self, token: str) -> SimQuery | None:
        """The page a pagination token was issued for."""
        with self.lock:
            return self._tokens.get(token)

    def pending(self) -> bool:
        with self.lock:
            return any(not q.terminal for q in self._queries.values())

    def cancel(self, partner_id: str, query_id: str) -> SimQuery | None:
        """The query, now CANCELLED; None when it already was (a no-op, as Amazon says)."""
        with self.lock:
            query = self.get(partner_id, query_id)
            if query.status == "CANCELLED":
                return None
            if query.terminal:
                raise ApiError(
                    400,
                    "InvalidInput",
                    f"Query {query_id} cannot be cancelled: its processingStatus is "
                    f"{query.status}; only IN_QUEUE and IN_PROGRESS queries can be cancelled",
                )
            if query.status == "IN_PROGRESS":  # its slot is free from (about) now
                start = query.processing_start or query.created
                self._freed[partner_id] = max(self._freed.get(partner_id, 0.0), start)
            query.status = "CANCELLED"
        return query

    def advance(self, now: float) -> list[SimQuery]:
        """Move queries along, in the order events happen; returns those that just finished."""
        finished: list[SimQuery] = []
        with self.lock:
            partners = {q.partner_id for q in self._queries.values() if not q.terminal}
            for partner in sorted(partners):
                finished.extend(self._advance(partner, now))
        return finished

    def _advance(self, partner: str, now: float) -> list[SimQuery]:
        finished: list[SimQuery] = []
        while True:
            mine = sorted(
                (q for q in self.of_partner(partner) if not q.terminal),
                key=lambda q: (q.created, int(q.query_id)),
            )
            running = [q for q in mine if q.status == "IN_PROGRESS"]
            queued = [q for q in mine if q.status == "IN_QUEUE"]
            events = [((q.processing_start or q.created) + self._half, q) for q in running]
            if queued and len(running) < self._concurrency:
                first = queued[0]
                events.append((max(first.created + self._half, self._freed.get(partner, 0)), first))
            if not events:
                return finished
            when, query = min(events, key=lambda e: e[0])
            if when > now:
                return finished
            if query.status == "IN_QUEUE":
                query.status, query.processing_start = "IN_PROGRESS", when
            else:
                self._finish(query, when)
                self._freed[partner] = when
                finished.append(query)

    def _finish(self, query: SimQuery, when: float) -> None:
        query.processing_end = when
        query.status = "FATAL" if query.outcome == "FATAL" else "DONE"
        document = _document_id(query)
        if query.outcome == "FATAL":
            query.error_document_id = document
        elif query.outcome == "DONE":
            query.data_document_id = document
            if query.page + 1 < query.pages:
                query.next_token = secrets.token_urlsafe(48)
                self._tokens[query.next_token] = query
        if query.outcome != "NO_DATA":
            self._documents[(query.partner_id, document)] = query


def _document_id(query: SimQuery) -> str:
    unique = uuid.uuid5(_DOC_NAMESPACE, f"{query.partner_id}/{query.query_id}")
    return f"amzn1.tortuga.4.na.{unique}.T{unique.hex[:13].upper()}"
