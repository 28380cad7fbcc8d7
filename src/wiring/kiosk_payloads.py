"""Data Kiosk types to and from the JSON that travels in the query workflows' state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.datakiosk.model import KioskDocument, KioskQuery, QueryStatus
from domain.datakiosk.reconciling import QueriesReconciled
from domain.datakiosk.stepping import Creation, FetchedPage, PageRequest
from domain.datakiosk.storing import PageContext, StoredPage
from domain.model import ReportDocument
from domain.ports import Sealer
from wiring import payloads
from wiring.payloads import Json, PayloadError, _time, iso, optional_text, text


def request_to_json(request: PageRequest) -> Json:
    return {
        "sellerId": request.partner_id,
        "name": request.name,
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
    }


def page_to_json(request: PageRequest) -> Json:
    """A first page due, as request-queries' Map takes it."""
    return {"sellerId": request.partner_id, "request": request_to_json(request)}


def request_from_json(data: Any) -> PageRequest:
    if not isinstance(data, Mapping):
        raise PayloadError("event field request must be an object")
    try:
        start, end = date.fromisoformat(text(data, "start")), date.fromisoformat(text(data, "end"))
    except ValueError:
        raise PayloadError("event fields start and end must be dates (YYYY-MM-DD)") from None
    return PageRequest(text(data, "sellerId"), text(data, "name"), start, end)


def query_to_json(query: KioskQuery) -> Json:
    """Amazon's names. The pagination token travels too: it is not a credential (Amazon's own
    notification carries it), and the page's manifest says from it whether a page follows."""
    return {
        "sellerId": query.partner_id,
        "queryId": query.query_id,
        "query": query.query,
        "createdTime": iso(query.created_time),
        "processingStatus": query.status.value,
        "processingStartTime": iso(query.processing_start),
        "processingEndTime": iso(query.processing_end),
        "dataDocumentId": query.data_document_id,
        "errorDocumentId": query.error_document_id,
        "nextToken": query.next_token,
    }


def query_from_json(data: Any) -> KioskQuery:
    if not isinstance(data, Mapping):
        raise PayloadError("event field query must be an object")
    created = _time(data, "createdTime")
    if created is None:
        raise PayloadError("event field createdTime is missing")
    try:
        status = QueryStatus(text(data, "processingStatus"))
    except ValueError:
        raise PayloadError("event field processingStatus is not a query status") from None
    return KioskQuery(
        query_id=text(data, "queryId"),
        query=str(data.get("query") or ""),
        created_time=created,
        status=status,
        processing_start=_time(data, "processingStartTime"),
        processing_end=_time(data, "processingEndTime"),
        data_document_id=optional_text(data, "dataDocumentId"),
        error_document_id=optional_text(data, "errorDocumentId"),
        next_token=optional_text(data, "nextToken"),
        partner_id=text(data, "sellerId"),
    )


def context_to_json(context: PageContext | None) -> Json | None:
    return None if context is None else context.as_json()


def context_from_json(data: Any) -> PageContext:
    if not isinstance(data, Mapping):
        raise PayloadError("event field context must be an object")
    try:
        return PageContext.from_json(dict(data))
    except (KeyError, ValueError, TypeError) as exc:
        raise PayloadError(f"event field context is not a page context ({exc})") from None


def document_to_json(document: KioskDocument | None, sealer: Sealer) -> Json | None:
    """Sealed as a report's (rule 20); Data Kiosk gives compression only by Content-Encoding."""
    if document is None:
        return None
    return payloads.document_to_json(ReportDocument(document.document_id, document.url), sealer)


def document_from_json(data: Any, sealer: Sealer) -> KioskDocument | None:
    found = payloads.document_from_json(data, sealer)
    return None if found is None else KioskDocument(found.document_id, found.url)


def stored_to_json(stored: StoredPage, curate: bool) -> Json:
    """`curate` and `hasNextPage` drive ingest-query's choices after StorePage."""
    download = stored.download
    return {
        "outcome": stored.outcome.value,
        "manifestKey": stored.manifest_key,
        "dataKey": stored.data_key,
        "bytes": download.bytes if download else None,
        "rows": download.rows if download else None,
        "curate": curate,
        "hasNextPage": stored.has_next_page,
        "ok": stored.outcome.ok,
    }


def creation_to_json(creation: Creation) -> Json:
    return {
        "queryId": creation.query_id,
        "last": creation.last,
        "pace": payloads.pace_to_json(creation.pace),
    }


def fetched_to_json(fetched: FetchedPage, sealer: Sealer) -> Json:
    return {
        "query": query_to_json(fetched.query) if fetched.query else None,
        "context": context_to_json(fetched.context),
        "document": document_to_json(fetched.document, sealer),
        "pace": payloads.pace_to_json(fetched.pace),
    }


def summary_of(results: Any) -> Json:
    """request-queries' pages split into created and failed (JSONPath cannot filter)."""
    if not isinstance(results, list):
        raise PayloadError("event field results must be a list")
    created = [r for r in results if isinstance(r, dict) and r.get("queryId")]
    failed = [r for r in results if not (isinstance(r, dict) and r.get("queryId"))]
    return {"created": created, "failed": failed, "failures": len(failed)}


def reconciled_to_json(found: QueriesReconciled) -> Json:
    return {
        "checked": found.checked,
        "started": found.started,
        "inLake": found.in_lake,
        "alreadyStarted": found.already_started,
        "restarted": found.restarted,
        "notOurs": found.not_ours,
        "curating": found.curating,
        "failedSellers": [partner_id for partner_id, _ in found.failures],
    }
