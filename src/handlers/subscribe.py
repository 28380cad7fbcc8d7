"""Lambda `subscribe`: the SQS destination, and each partner's subscription to finished reports."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "subscribe"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run on every deploy and on demand. Event {} means every configured partner, sellers and
    vendors, each with its own token; {"sellerIds": [...]} names some (seller ids or vendor
    account ids). Idempotent."""
    services = container(FUNCTION)
    partners = services.catalog().sellers(payloads.texts(event or {}, "sellerIds"))
    states = services.subscriptions().ensure(
        [partner.seller_id for partner in partners],
        services.config.destination_name(),
        services.config.queue_arn(),
    )
    kinds = {partner.seller_id: partner.kind.value for partner in partners}
    created = sum(state.created for state in states)
    observability.metric("SubscriptionsCreated", created)
    observability.log().info(f"{len(states)} partners subscribed, {created} new")
    return {
        "destinationId": states[0].destination_id if states else None,
        "created": created,
        "subscriptions": [
            {
                "sellerId": s.seller_id,
                "kind": kinds[s.seller_id],
                "subscriptionId": s.subscription_id,
                "created": s.created,
            }
            for s in states
        ],
    }
