"""Lambda `reconcile`: ingest sellers' and vendors' DONE reports and finished Data Kiosk queries
whose notification never came."""

from __future__ import annotations

from typing import Any

from domain.datakiosk.reconciling import QueriesReconciled
from domain.reconciling import sweeps
from wiring import kiosk_payloads, observability, payloads
from wiring.runtime import container

FUNCTION = "reconcile"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled. Event {} sweeps every configured partner (sellers and vendors) for each
    configured report type that applies to it, over the last SPAPI_LAKE_RECONCILE_HOURS;
    {"hours", "sellerIds" (seller ids or vendor account ids), "reportTypes"} narrow it. Stored
    reports not yet curated go to the curate function (`curating`). Returns the counts; when a
    partner could not be read, the others are swept and its error is raised."""
    services = container(FUNCTION)
    event = event or {}
    catalog = services.catalog()
    partners = catalog.sellers(payloads.texts(event, "sellerIds"))
    reports = catalog.reports(payloads.texts(event, "reportTypes"))
    hours = payloads.number(event, "hours") or services.config.reconcile_hours()
    result = services.reconciler().run_each(sweeps(partners, reports), hours)
    runs_queries = services.query_catalog().partner_ids()
    query_partners = sorted({p.seller_id for p in partners} & runs_queries)
    # No Data Kiosk client at all for a stack without queries.
    queries = (
        services.query_reconciler().run(query_partners, hours)
        if query_partners
        else QueriesReconciled()
    )
    summary = {
        "checked": result.checked,
        "started": result.started,
        "inLake": result.in_lake,
        "alreadyStarted": result.already_started,
        "restarted": result.restarted,
        "curating": result.curating,
        "failedSellers": [seller_id for seller_id, _ in result.failures],
        "queries": kiosk_payloads.reconciled_to_json(queries),
    }
    observability.metric("ReportsReconciled", result.started)
    observability.metric("QueriesReconciled", queries.started)
    observability.metric("ReportsCuratedAgain", result.curating)
    observability.restarted(result.restarted)
    observability.log().info(f"reconciled: {result.started} ingests started", extra=summary)
    failures = [*result.failures, *queries.failures]
    for seller_id, error in failures:
        reason = f"{type(error).__name__}: {error}"
        observability.log().error(f"partner {seller_id} not reconciled: {reason}")
    if failures:
        raise failures[0][1]
    return summary
