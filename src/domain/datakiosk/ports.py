"""The ports the Data Kiosk lifecycle needs from the outside world."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from domain.datakiosk.model import KioskDocument, KioskQuery, QueryStatus


class KioskApi(Protocol):
    """Data Kiosk API 2023-11-15 for any selling partner (seller or vendor group). Raises
    ThrottledError and SpApiServerError (retry later), InvalidRequestError (400: e.g. an invalid
    query), ReportNotFoundError (404), other SpApiError subclasses."""

    def create_query(self, partner_id: str, query: str, pagination_token: str | None = None) -> str:
        """Start a query (or the next page of one, given its `paginationToken`); returns its
        queryId."""
        ...

    def get_query(self, partner_id: str, query_id: str) -> KioskQuery: ...

    def get_queries(
        self,
        partner_id: str,
        *,
        statuses: Sequence[QueryStatus] = (),
        created_since: datetime | None = None,
        created_until: datetime | None = None,
    ) -> Iterator[KioskQuery]:
        """Every matching query (Amazon's defaults: created in the last 90 days), following
        `pagination.nextToken` across pages."""
        ...

    def cancel_query(self, partner_id: str, query_id: str) -> None:
        """Cancel an IN_QUEUE or IN_PROGRESS query; cancelling a CANCELLED one is a no-op."""
        ...

    def get_document(self, partner_id: str, document_id: str) -> KioskDocument: ...


class CreationLock(Protocol):
    """One holder at a time per partner, across every caller of the deployment: counting the
    partner's running queries and creating one must not interleave, or two callers both take
    the last free slot."""

    def holding(self, partner_id: str) -> AbstractContextManager[bool]:
        """Holds the partner's lock for the block: True, or False when another caller holds it
        still after a short wait (the block then must not create)."""
        ...
