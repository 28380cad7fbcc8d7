"""Lambda `store_report`: stream a report's document into the lake, then write its manifest."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "store_report"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"sellerId", "report", "document" | null} → {"outcome", "manifestKey", "dataKey", "bytes",
    "rows"}. Raises DocumentUrlExpiredError (fetch the document again), DocumentDownloadError and
    CorruptDocumentError (retry), DocumentTooLargeError."""
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
