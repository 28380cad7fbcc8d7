"""Lambda `store_report`: stream a report's (or a query page's) document into the lake, then
write its manifest."""

from __future__ import annotations

from typing import Any

from domain.datakiosk.model import QueryOutcome
from wiring import kiosk_payloads, observability, payloads
from wiring.runtime import container

FUNCTION = "store_report"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"sellerId", "report", "document" | null} → {"outcome", "manifestKey", "dataKey", "bytes",
    "rows", "curate"}; for a Data Kiosk page (ingest-query), {"sellerId", "page": {"query",
    "context"}, "document" | null} → the same and "hasNextPage". Raises DocumentUrlExpiredError
    (fetch the document again), DocumentDownloadError and CorruptDocumentError (retry),
    DocumentTooLargeError."""
    if event.get("page") is not None:
        return _store_page(event)
    services = container(FUNCTION)
    report = payloads.report_from_json(event.get("report"))
    observability.keys(
        sellerId=report.seller_id, reportId=report.report_id, reportType=report.report_type
    )
    document = payloads.document_from_json(event.get("document"), services.sealer())
    storer = services.storer()
    # No document: CANCELLED or FATAL without one, recorded in the manifest only.
    stored = storer.store(report) if document is None else storer.store_document(report, document)
    observability.stored(stored, services.clock().now())
    observability.log().info(
        f"{stored.outcome.value}: {stored.manifest_key}", extra={"reused": stored.reused}
    )
    return payloads.stored_to_json(stored)


def _store_page(event: dict[str, Any]) -> dict[str, Any]:
    services = container(FUNCTION)
    page = event["page"]
    if not isinstance(page, dict):
        raise payloads.PayloadError("event field page must be an object")
    query = kiosk_payloads.query_from_json(page.get("query"))
    where = kiosk_payloads.context_from_json(page.get("context"))
    observability.keys(sellerId=query.partner_id, queryId=query.query_id, query=where.where.name)
    document = kiosk_payloads.document_from_json(event.get("document"), services.sealer())
    stored = services.page_storer().store(query, where, document=document)
    observability.log().info(
        f"{stored.outcome.value}: {stored.manifest_key}",
        extra={"reused": stored.reused, "rows": stored.rows},
    )
    return kiosk_payloads.stored_to_json(stored, curate=stored.outcome is QueryOutcome.DATA)
