"""The NotificationsApi port over SP-API Notifications v1 (destinations and subscriptions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from adapters.spapi_client import SpApiClient
from domain.datakiosk.notifications import QUERY_FINISHED
from domain.errors import ReportNotFoundError, SpApiError
from domain.ports import Destination, Subscription

BASE = "/notifications/v1"
# The payloadVersion createSubscription sends, by notification type (else the default, 1.0).
# The notifications model lists none. DATA_KIOSK_QUERY_PROCESSING_FINISHED's schema gives
# "2023-11-15" as its payloadVersion (Amazon's own Data Kiosk sample sends "1.0").
PAYLOAD_VERSIONS: Mapping[str, str] = {QUERY_FINISHED: "2023-11-15"}


def _payload(answer: Any, operation: str) -> Any:
    if not isinstance(answer, dict) or "payload" not in answer:
        raise SpApiError(operation, "response has no payload")
    return answer["payload"]


def parse_destination(item: Any, operation: str) -> Destination:
    try:
        sqs = (item.get("resource") or {}).get("sqs") or {}
        return Destination(
            destination_id=item["destinationId"], name=item.get("name", ""), sqs_arn=sqs.get("arn")
        )
    except (KeyError, TypeError, AttributeError):
        raise SpApiError(operation, "unexpected destination in response") from None


def parse_subscription(item: Any, operation: str) -> Subscription:
    try:
        return Subscription(
            subscription_id=item["subscriptionId"],
            destination_id=item["destinationId"],
            payload_version=item.get("payloadVersion", ""),
        )
    except (KeyError, TypeError, AttributeError):
        raise SpApiError(operation, "unexpected subscription in response") from None


class SpApiNotificationsApi:
    """Destinations are grantless (per application); subscriptions use the seller's token.
    `payload_version` is sent for the types `payload_versions` does not name."""

    def __init__(
        self,
        client: SpApiClient,
        *,
        payload_version: str = "1.0",
        payload_versions: Mapping[str, str] = PAYLOAD_VERSIONS,
    ) -> None:
        self._client = client
        self._payload_version = payload_version
        self._payload_versions = payload_versions

    def get_destinations(self) -> list[Destination]:
        answer = self._client.call("getDestinations", "GET", f"{BASE}/destinations")
        items = _payload(answer, "getDestinations") or []
        return [parse_destination(item, "getDestinations") for item in items]

    def create_destination(self, name: str, sqs_arn: str) -> Destination:
        """Raises ConflictError when a destination for this ARN exists already."""
        body = {"name": name, "resourceSpecification": {"sqs": {"arn": sqs_arn}}}
        answer = self._client.call("createDestination", "POST", f"{BASE}/destinations", body=body)
        return parse_destination(_payload(answer, "createDestination"), "createDestination")

    def get_subscription(self, seller_id: str, notification_type: str) -> Subscription | None:
        """None when the seller has no subscription to this notification type (404)."""
        path = f"{BASE}/subscriptions/{quote(notification_type, safe='')}"
        try:
            answer = self._client.call("getSubscription", "GET", path, seller_id=seller_id)
        except ReportNotFoundError:
            return None
        payload = _payload(answer, "getSubscription")
        return None if payload is None else parse_subscription(payload, "getSubscription")

    def create_subscription(
        self, seller_id: str, notification_type: str, destination_id: str
    ) -> Subscription:
        """Raises ConflictError when the seller is subscribed already."""
        path = f"{BASE}/subscriptions/{quote(notification_type, safe='')}"
        version = self._payload_versions.get(notification_type, self._payload_version)
        body = {"payloadVersion": version, "destinationId": destination_id}
        answer = self._client.call(
            "createSubscription", "POST", path, seller_id=seller_id, body=body
        )
        return parse_subscription(_payload(answer, "createSubscription"), "createSubscription")
