"""The KioskApi port over SP-API Data Kiosk 2023-11-15 (responses are not wrapped in payload)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from adapters.spapi_client import SpApiClient
from adapters.spapi_reports import iso, parse_time
from domain.datakiosk.model import KioskDocument, KioskQuery, QueryStatus
from domain.errors import (
    AccessDeniedError,
    AccessTokenExpiredError,
    InvalidRequestError,
    SpApiError,
)

BASE = "/dataKiosk/2023-11-15"
MAX_PAGE_SIZE = 100  # getQueries pageSize: 1-100
# Amazon's answers in selling-partner-api-models issues 5325 and 567: every Data Kiosk call
# needs Brand Analytics; the Economics dataset needs Selling Partner Insights.
ROLES_HINT = (
    "access denied: Data Kiosk needs the app's Brand Analytics role (Economics also needs "
    "Selling Partner Insights); add the role and have the partner authorise the app again"
)


def parse_query(partner_id: str, body: Any, operation: str) -> KioskQuery:
    """A KioskQuery from Amazon's `Query`; extra fields are ignored, optional ones may be absent."""
    try:
        created = parse_time(body["createdTime"])
        if created is None:
            raise ValueError("createdTime missing")
        pagination = body.get("pagination") or {}
        return KioskQuery(
            query_id=str(body["queryId"]),
            query=str(body["query"]),
            created_time=created,
            status=QueryStatus(body["processingStatus"]),
            processing_start=parse_time(body.get("processingStartTime")),
            processing_end=parse_time(body.get("processingEndTime")),
            data_document_id=body.get("dataDocumentId") or None,
            error_document_id=body.get("errorDocumentId") or None,
            next_token=pagination.get("nextToken") or None,
            partner_id=partner_id,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SpApiError(operation, f"unexpected query in response ({exc!r})") from None


class SpApiKioskApi:
    """Data Kiosk calls for any selling partner; the partner picks the token and rate bucket.
    Rates and retries are SpApiClient's (Amazon's defaults are in adapters.rate_limit)."""

    def __init__(self, client: SpApiClient, *, page_size: int = MAX_PAGE_SIZE) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1-{MAX_PAGE_SIZE}, got {page_size}")
        self._client = client
        self._page_size = page_size

    def _call(self, operation: str, method: str, path: str, partner_id: str, **kw: Any) -> Any:
        """SpApiClient.call; a 403 that is not an expired token says which roles are missing."""
        try:
            return self._client.call(operation, method, path, seller_id=partner_id, **kw)
        except AccessTokenExpiredError:
            raise
        except AccessDeniedError as exc:
            raise AccessDeniedError(
                operation, ROLES_HINT, status=exc.status, code=exc.code, request_id=exc.request_id
            ) from None

    def create_query(self, partner_id: str, query: str, pagination_token: str | None = None) -> str:
        body: dict[str, Any] = {"query": query}
        if pagination_token:
            body["paginationToken"] = pagination_token
        answer = self._call("createQuery", "POST", f"{BASE}/queries", partner_id, body=body)
        try:
            return str(answer["queryId"])
        except (KeyError, TypeError):
            raise SpApiError("createQuery", "response has no queryId") from None

    def get_query(self, partner_id: str, query_id: str) -> KioskQuery:
        path = f"{BASE}/queries/{quote(query_id, safe='')}"
        answer = self._call("getQuery", "GET", path, partner_id)
        return parse_query(partner_id, answer, "getQuery")

    def get_queries(
        self,
        partner_id: str,
        *,
        statuses: Sequence[QueryStatus] = (),
        created_since: datetime | None = None,
        created_until: datetime | None = None,
    ) -> Iterator[KioskQuery]:
        params = {"pageSize": str(self._page_size)}
        if statuses:
            params["processingStatuses"] = ",".join(s.value for s in statuses)
        if created_since is not None:
            params["createdSince"] = iso(created_since)
        if created_until is not None:
            params["createdUntil"] = iso(created_until)
        return self._pages(partner_id, params)

    def _pages(self, partner_id: str, params: dict[str, str]) -> Iterator[KioskQuery]:
        first = params
        while True:
            answer = self._call("getQueries", "GET", f"{BASE}/queries", partner_id, params=params)
            if not isinstance(answer, dict):
                raise SpApiError("getQueries", "response is not a JSON object")
            for item in answer.get("queries") or ():
                yield parse_query(partner_id, item, "getQueries")
            pagination = answer.get("pagination")
            token = pagination.get("nextToken") if isinstance(pagination, dict) else None
            if not token:
                return
            # The model: repeat every other parameter unchanged with paginationToken.
            params = {**first, "paginationToken": str(token)}

    def cancel_query(self, partner_id: str, query_id: str) -> None:
        path = f"{BASE}/queries/{quote(query_id, safe='')}"
        self._call("cancelQuery", "DELETE", path, partner_id)

    def get_document(self, partner_id: str, document_id: str) -> KioskDocument:
        if not document_id:
            raise InvalidRequestError("getDocument", "no document id")
        path = f"{BASE}/documents/{quote(document_id, safe='')}"
        answer = self._call("getDocument", "GET", path, partner_id)
        try:
            return KioskDocument(document_id=answer["documentId"], url=answer["documentUrl"])
        except (KeyError, TypeError):
            # Never echo the body: it holds a pre-signed URL.
            raise SpApiError("getDocument", "no documentId or documentUrl") from None
