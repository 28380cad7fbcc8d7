"""The lake layout of Data Kiosk queries, beside reports' (domain.lake): one file per page.

    raw/query=<name>/seller_id=<S>/dt=<YYYY-MM-DD>/<queryId>.jsonl     data document (JSONL)
    errors/query=<name>/seller_id=<S>/dt=<YYYY-MM-DD>/<queryId>.json   FATAL's error document
    manifests/query=<name>/seller_id=<S>/dt=<YYYY-MM-DD>/<queryId>.json  written last

Every page of a query shares the dt of its first page (the planned window's start), so its
pages sit side by side; each page's manifest links the first and previous page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.datakiosk.model import KioskQuery, QueryOutcome, QueryStatus
from domain.lake import (
    ERRORS,
    MANIFESTS,
    PIPELINE_VERSION,
    RAW,
    download_fields,
    format_iso,
    parse_iso,
)
from domain.model import Download

SOURCE = "datakiosk"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class PageKey:
    """Where one page lands: the configured query name, its partner, its partition date."""

    name: str
    partner_id: str
    dt: date

    def __post_init__(self) -> None:
        for what, value in (("query name", self.name), ("seller id", self.partner_id)):
            if not _NAME.match(value):
                raise ValueError(f"{what} {value!r} is not usable in a lake key")


def _key(area: str, where: PageKey, query_id: str, suffix: str) -> str:
    return (
        f"{area}/query={where.name}/seller_id={where.partner_id}/"
        f"dt={where.dt:%Y-%m-%d}/{query_id}.{suffix}"
    )


def data_key(where: PageKey, query_id: str) -> str:
    return _key(RAW, where, query_id, "jsonl")


def error_key(where: PageKey, query_id: str) -> str:
    return _key(ERRORS, where, query_id, "json")


def manifest_key(where: PageKey, query_id: str) -> str:
    """Written last: its presence means the page is completely in the lake."""
    return _key(MANIFESTS, where, query_id, "json")


def stored_key(where: PageKey, query_id: str, outcome: QueryOutcome) -> str | None:
    """The key a page's document goes to, or None when the outcome stores no document."""
    if outcome is QueryOutcome.DATA:
        return data_key(where, query_id)
    if outcome is QueryOutcome.FATAL:
        return error_key(where, query_id)
    return None


@dataclass(frozen=True)
class PageLink:
    """A page's place in its query: 1-based number, and the query ids of page 1 and the one
    before (None on page 1)."""

    number: int = 1
    first_query_id: str | None = None
    previous_query_id: str | None = None

    def after(self, query_id: str) -> PageLink:
        """The link of the page that follows the page `query_id` holding this link."""
        return PageLink(self.number + 1, self.first_query_id or query_id, query_id)


def manifest(
    where: PageKey,
    query: KioskQuery,
    outcome: QueryOutcome,
    *,
    selection: str,
    link: PageLink,
    download: Download | None,
    ingested_at: datetime,
) -> dict[str, Any]:
    """The manifest of one page, as JSON-ready data. Pages link backwards (first, previous)
    and announce whether a next page follows; `link_next` adds the next page's id once known."""
    body: dict[str, Any] = {
        "source": SOURCE,
        "queryName": where.name,
        "queryId": query.query_id,
        "sellerId": where.partner_id,
        "dt": f"{where.dt:%Y-%m-%d}",
        "selection": selection,
        "query": query.query,
        "createdTime": format_iso(query.created_time),
        "processingStartTime": format_iso(query.processing_start),
        "processingEndTime": format_iso(query.processing_end),
        "processingStatus": query.status.value,
        "dataDocumentId": query.data_document_id,
        "errorDocumentId": query.error_document_id,
        "outcome": outcome.value,
        "key": stored_key(where, query.query_id, outcome),
        "pagination": {
            "page": link.number,
            "firstQueryId": link.first_query_id or query.query_id,
            "previousQueryId": link.previous_query_id,
            "previousManifest": (
                manifest_key(where, link.previous_query_id) if link.previous_query_id else None
            ),
            "hasNextPage": bool(query.next_token),
            "nextQueryId": None,
            "nextManifest": None,
        },
        "ingestedAt": format_iso(ingested_at),
        "pipelineVersion": PIPELINE_VERSION,
    }
    return {**body, **download_fields(download)}


def link_next(body: dict[str, Any], next_query_id: str) -> dict[str, Any]:
    """A copy of a page's manifest that names the page after it (created from its token)."""
    where = page_key_of(body)
    pagination = {
        **body["pagination"],
        "nextQueryId": next_query_id,
        "nextManifest": manifest_key(where, next_query_id),
    }
    return {**body, "pagination": pagination}


def ledger_key(partner_id: str, query_id: str) -> str:
    """Where a query's PageContext is recorded when it is created: getQuery and the notification
    tell neither its name nor its place among its query's pages."""
    return f"queries/seller_id={partner_id}/{query_id}.json"


def page_key_of(body: dict[str, Any]) -> PageKey:
    """The PageKey a manifest was written under; raises KeyError/ValueError when it lacks one."""
    return PageKey(str(body["queryName"]), str(body["sellerId"]), date.fromisoformat(body["dt"]))


def query_of(body: dict[str, Any]) -> KioskQuery:
    """The query a manifest describes (without its pagination token, which is not stored);
    raises KeyError/ValueError when the manifest lacks its identity."""
    created = parse_iso(body["createdTime"])
    if created is None:
        raise ValueError("the manifest has no createdTime")
    return KioskQuery(
        query_id=str(body["queryId"]),
        query=str(body.get("query") or ""),
        created_time=created,
        status=QueryStatus(body.get("processingStatus", "DONE")),
        processing_start=parse_iso(body.get("processingStartTime")),
        processing_end=parse_iso(body.get("processingEndTime")),
        data_document_id=body.get("dataDocumentId"),
        error_document_id=body.get("errorDocumentId"),
        partner_id=str(body["sellerId"]),
    )
