"""Lambda `create_report`: plan the due report requests, or create (or reuse) one report."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "create_report"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"action": "plan", "input": {} | {"sellerIds", "reportTypes"}} → {"requests": [...]};
    {"action": "create", "request", "sealedToken"} → {"reportId", "reused"}. Raises the
    ReportsApi errors (ThrottledError and SpApiServerError are retried by the workflow)."""
    services = container(FUNCTION)
    action = event.get("action")
    if action == "plan":
        given = event.get("input") or {}
        sellers, types = payloads.texts(given, "sellerIds"), payloads.texts(given, "reportTypes")
        planned = services.planner().plan(sellers, types)
        observability.log().info(f"planned {len(planned)} report requests")
        return {"requests": [payloads.request_to_json(request) for request in planned]}
    if action != "create":
        raise payloads.PayloadError(f"action must be 'plan' or 'create', not {action!r}")
    request = payloads.request_from_json(event.get("request"))
    observability.keys(sellerId=request.seller_id, reportType=request.report_type)
    services.access_tokens().accept(request.seller_id, payloads.text(event, "sealedToken"))
    requested = services.requester().request(request)
    if requested.error is not None:
        raise requested.error
    observability.keys(reportId=requested.report_id)
    observability.metric("ReportsReused" if requested.reused else "ReportsRequested")
    observability.log().info("report reused" if requested.reused else "report requested")
    return {"reportId": requested.report_id, "reused": requested.reused}
