"""Lambda `fetch_document`: a finished report and its document's location, the URL sealed."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "fetch_document"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"sellerId", "reportId", "sealedToken", "report"?, "pace"?} → {"report", "document",
    "pace"}. `report` is carried from attempt to attempt so getReport runs once; `pace.waiting`
    asks the workflow to wait `pace.waitSeconds` and call again. document is {"documentId",
    "sealedUrl", "compression"}, or null when there is nothing (yet) to download. Raises
    ReportNotReadyError, ThrottleDeadlineError and the ReportsApi errors."""
    services = container(FUNCTION)
    seller_id, report_id = payloads.text(event, "sellerId"), payloads.text(event, "reportId")
    observability.keys(sellerId=seller_id, reportId=report_id)
    payloads.accepted(event, services.access_tokens())
    fetched = services.fetcher().fetch(
        seller_id,
        report_id,
        payloads.optional_report(event.get("report")),
        payloads.pace_from_json(event.get("pace")),
    )
    observability.fetched(fetched, services.clock().now())
    return {
        "report": payloads.report_to_json(fetched.report) if fetched.report else None,
        "document": payloads.document_to_json(fetched.document, services.sealer()),
        "pace": payloads.pace_to_json(fetched.pace),
    }
