"""Lambda `process_notification`: REPORT_PROCESSING_FINISHED and
DATA_KIOSK_QUERY_PROCESSING_FINISHED messages from SQS → ingest-report and ingest-query."""

from __future__ import annotations

from typing import Any

from domain.dispatching import Disposition
from wiring import observability
from wiring.runtime import container

FUNCTION = "process_notification"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An SQS batch → {"batchItemFailures": [{"itemIdentifier": messageId}]}: the messages that
    failed (malformed, or a start that failed) return to the queue, and after maxReceiveCount
    go to the DLQ. The event source mapping must enable ReportBatchItemFailures. A batch may mix
    both types (routed on notificationType). A message is routed to its partner by sellerId,
    or, for a vendor group (no sellerId), by accountId (a query's always by accountId); one for
    a partner or type the stack does not configure is acknowledged and ignored."""
    services = container(FUNCTION)
    records = event.get("Records") or []
    messages = ((str(r.get("messageId", "")), r.get("body") or "") for r in records)
    results = services.dispatcher().dispatch(messages)
    now = services.clock().now()
    for result in results:
        observability.dispatched(result, now)
    failed = [r.message_id for r in results if r.disposition is Disposition.FAILED]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
