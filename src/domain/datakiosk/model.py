"""Value objects of the Data Kiosk query lifecycle (Data Kiosk API 2023-11-15)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from domain.errors import QueryNotReadyError, QueryTimeoutError

__all__ = ["QueryNotReadyError", "QueryTimeoutError"]  # re-exported: the lifecycle's errors

MAX_QUERY_CHARS = 8000  # createQuery: "at most 8000 characters after unnecessary whitespace..."


class QueryStatus(Enum):
    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    FATAL = "FATAL"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (QueryStatus.DONE, QueryStatus.FATAL, QueryStatus.CANCELLED)


NON_TERMINAL: tuple[QueryStatus, ...] = (QueryStatus.IN_QUEUE, QueryStatus.IN_PROGRESS)


@dataclass(frozen=True, kw_only=True)
class KioskQuery:
    """What getQuery returns, plus the partner it belongs to (query ids are unique per partner).

    `next_token` is `pagination.nextToken`: set when more pages follow, to be passed to
    createQuery as `paginationToken` together with the same query text."""

    query_id: str
    query: str
    created_time: datetime
    status: QueryStatus
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    data_document_id: str | None = None
    error_document_id: str | None = None
    next_token: str | None = field(default=None, repr=False)
    partner_id: str


@dataclass(frozen=True)
class KioskDocument:
    """Where a Data Kiosk document can be downloaded. The URL is a bearer secret (valid five
    minutes): never log or repr it. Compression is told only by the download's Content-Encoding."""

    document_id: str
    url: str = field(repr=False)


class QueryOutcome(Enum):
    """What a terminal query means for the lake (values match domain.model.Outcome's)."""

    DATA = "stored"  # DONE with a data document (JSONL)
    NO_DATA = "no-data"  # DONE with no document: no data for the query's parameters
    FATAL = "fatal-with-document"  # FATAL with an error document (JSON)
    FATAL_WITHOUT_DOCUMENT = "fatal"
    CANCELLED = "cancelled"

    @property
    def ok(self) -> bool:
        """DONE (with or without data) and CANCELLED are fine; FATAL is not."""
        return self in (QueryOutcome.DATA, QueryOutcome.NO_DATA, QueryOutcome.CANCELLED)
