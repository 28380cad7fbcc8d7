"""Lambda `reconcile`: ingest DONE reports whose notification never arrived."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "reconcile"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled. Event {} sweeps every configured seller and report type over the last
    SPAPI_LAKE_RECONCILE_HOURS; {"hours", "sellerIds", "reportTypes"} narrow it. Returns the
    counts; when a seller could not be read, the others are swept and its error is raised."""
    services = container(FUNCTION)
    event = event or {}
    catalog = services.catalog()
    sellers = [s.seller_id for s in catalog.sellers(payloads.texts(event, "sellerIds"))]
    types = [r.report_type for r in catalog.reports(payloads.texts(event, "reportTypes"))]
    hours = payloads.number(event, "hours") or services.config.reconcile_hours()
    result = services.reconciler().run(sellers, types, hours)
    summary = {
        "checked": result.checked,
        "started": result.started,
        "inLake": result.in_lake,
        "alreadyStarted": result.already_started,
        "restarted": result.restarted,
        "failedSellers": [seller_id for seller_id, _ in result.failures],
    }
    observability.metric("ReportsReconciled", result.started)
    observability.restarted(result.restarted)
    observability.log().info(f"reconciled: {result.started} ingests started", extra=summary)
    for seller_id, error in result.failures:
        reason = f"{type(error).__name__}: {error}"
        observability.log().error(f"seller {seller_id} not reconciled: {reason}")
    if result.failures:
        raise result.failures[0][1]
    return summary
