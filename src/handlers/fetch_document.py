"""Lambda `fetch_document`: a finished report and its document's location, the URL sealed."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "fetch_document"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"sellerId", "reportId", "sealedToken"} → {"report", "document"}; document is
    {"documentId", "sealedUrl", "compression"}, or null when there is nothing to download
    (CANCELLED, FATAL without a document). Raises ReportNotReadyError and the ReportsApi errors."""
    services = container(FUNCTION)
    seller_id, report_id = payloads.text(event, "sellerId"), payloads.text(event, "reportId")
    observability.keys(sellerId=seller_id, reportId=report_id)
    services.access_tokens().accept(seller_id, payloads.text(event, "sealedToken"))
    located = services.locator().locate(seller_id, report_id)
    report = located.report
    observability.keys(reportType=report.report_type, processingStatus=report.status.value)
    observability.log().info("document located" if located.document else "nothing to download")
    return {
        "report": payloads.report_to_json(report),
        "document": payloads.document_to_json(located.document, services.sealer()),
    }
