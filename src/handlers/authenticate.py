"""Lambda `authenticate`: a seller's LWA access token, sealed with the stack's KMS key."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "authenticate"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"sellerId"} → {"sealedToken"}. The only function that reads LWA credentials; the token
    leaves it sealed. Raises InvalidGrantError, InvalidClientError, SpApiServerError."""
    seller_id = payloads.text(event, "sellerId")
    observability.keys(sellerId=seller_id)
    sealed = container(FUNCTION).authenticator().sealed_token(seller_id)
    return {"sealedToken": sealed}
