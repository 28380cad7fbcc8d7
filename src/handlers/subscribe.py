"""Lambda `subscribe`: the SQS destination, and each partner's subscriptions to finished reports
and finished Data Kiosk queries."""

from __future__ import annotations

from typing import Any

from domain.subscribing import STACK_TYPES
from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "subscribe"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run on every deploy and on demand. Event {} means every configured partner, sellers and
    vendors, each with its own token; {"sellerIds": [...]} names some (seller ids or vendor
    account ids). Each partner is subscribed to finished reports, and a partner some query runs
    for to finished Data Kiosk queries too (an app without Data Kiosk access is never asked
    for that subscription). Idempotent."""
    services = container(FUNCTION)
    partners = services.catalog().sellers(payloads.texts(event or {}, "sellerIds"))
    runs_queries = services.query_catalog().partner_ids()
    states = services.subscriptions().ensure_each(
        {
            p.seller_id: STACK_TYPES if p.seller_id in runs_queries else STACK_TYPES[:1]
            for p in partners
        },
        services.config.destination_name(),
        services.config.queue_arn(),
    )
    created = sum(state.created for state in states)
    observability.metric("SubscriptionsCreated", created)
    observability.log().info(f"{len(partners)} partners subscribed, {created} new subscriptions")
    return {
        "destinationId": states[0].destination_id if states else None,
        "created": created,
        "subscriptions": payloads.subscriptions_by_partner(partners, states),
    }
