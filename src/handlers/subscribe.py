"""Lambda `subscribe`: the SQS destination, and each seller's subscription to finished reports."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "subscribe"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run on every deploy and on demand. Event {} means every configured seller;
    {"sellerIds": [...]} names some. Idempotent."""
    services = container(FUNCTION)
    sellers = services.catalog().sellers(payloads.texts(event or {}, "sellerIds"))
    states = services.subscriptions().ensure(
        [seller.seller_id for seller in sellers],
        services.config.destination_name(),
        services.config.queue_arn(),
    )
    created = sum(state.created for state in states)
    observability.metric("SubscriptionsCreated", created)
    observability.log().info(f"{len(states)} sellers subscribed, {created} new")
    return {
        "destinationId": states[0].destination_id if states else None,
        "created": created,
        "subscriptions": [
            {"sellerId": s.seller_id, "subscriptionId": s.subscription_id, "created": s.created}
            for s in states
        ],
    }
