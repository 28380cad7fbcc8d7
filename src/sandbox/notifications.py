"""Notifications API v1: destinations (per application) and subscriptions (per seller)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.messages import REPORT_FINISHED
from sandbox.wsgi import ApiError, Call, Response, invalid_input, json_response, not_found

NOTIFICATION_TYPES = frozenset(
    {
        REPORT_FINISHED,
        "DATA_KIOSK_QUERY_PROCESSING_FINISHED",
        "ANY_OFFER_CHANGED",
        "B2B_ANY_OFFER_CHANGED",
        "BRANDED_ITEM_CONTENT_CHANGE",
        "FEED_PROCESSING_FINISHED",
        "FBA_INVENTORY_AVAILABILITY_CHANGES",
        "FBA_OUTBOUND_SHIPMENT_STATUS",
        "FEE_PROMOTION",
        "FULFILLMENT_ORDER_STATUS",
        "ITEM_PRODUCT_TYPE_CHANGE",
        "LISTINGS_ITEM_ISSUES_CHANGE",
        "LISTINGS_ITEM_STATUS_CHANGE",
        "LISTINGS_ITEM_MFN_QUANTITY_CHANGE",
        "ORDER_CHANGE",
        "PRICING_HEALTH",
        "PRODUCT_TYPE_DEFINITIONS_CHANGE",
    }
)


def _conflict(details: str) -> ApiError:
    message = "The resource specified conflicts with the current state."
    return ApiError(409, "StateConflict", message, details)


@dataclass(frozen=True)
class _Subscription:
    subscription_id: str
    seller_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    processing_directive: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subscriptionId": self.subscription_id,
            "payloadVersion": self.payload_version,
            "destinationId": self.destination_id,
        }
        if self.processing_directive:
            body["processingDirective"] = self.processing_directive
        return body


class NotificationsApi:
    """Destinations belong to the application, subscriptions to a seller; thread-safe."""

    def __init__(self) -> None:
        self._destinations: dict[str, dict[str, Any]] = {}
        self._subscriptions: list[_Subscription] = []
        self._lock = threading.Lock()

    def handlers(self) -> dict[str, Callable[[Call], Response]]:
        return {
            "getDestinations": self.get_destinations,
            "createDestination": self.create_destination,
            "getDestination": self.get_destination,
            "deleteDestination": self.delete_destination,
            "getSubscriptions": self.get_subscriptions,
            "getSubscription": self.get_subscription,
            "createSubscription": self.create_subscription,
            "getSubscriptionById": self.get_subscription_by_id,
            "deleteSubscriptionById": self.delete_subscription_by_id,
        }

    def get_destinations(self, call: Call) -> Response:
        with self._lock:
            return json_response(200, {"payload": list(self._destinations.values())})

    def create_destination(self, call: Call) -> Response:
        spec = call.body["resourceSpecification"]
        if ("sqs" in spec) == ("eventBridge" in spec):
            raise invalid_input("resourceSpecification needs exactly one of sqs or eventBridge")
        if "sqs" in spec:
            resource: dict[str, Any] = {"sqs": {"arn": spec["sqs"]["arn"]}}
        else:
            bridge = spec["eventBridge"]
            name = f"aws.partner/sellingpartnerapi.amazon.com/{bridge['accountId']}/{uuid.uuid4()}"
            resource = {"eventBridge": {**bridge, "name": name}}
        with self._lock:
            if any(d["resource"] == resource for d in self._destinations.values()):
                raise _conflict("A destination for this resource already exists.")
            destination = {
                "name": call.body["name"],
                "destinationId": str(uuid.uuid4()),
                "resource": resource,
            }
            self._destinations[destination["destinationId"]] = destination
        return json_response(200, {"payload": destination})

    def _destination(self, destination_id: str) -> dict[str, Any]:
        with self._lock:
            found = self._destinations.get(destination_id)
        if found is None:
            raise not_found(f"Destination {destination_id} not found")
        return found

    def get_destination(self, call: Call) -> Response:
        return json_response(200, {"payload": self._destination(call.params["destinationId"])})

    def delete_destination(self, call: Call) -> Response:
        self._destination(call.params["destinationId"])
        with self._lock:
            self._destinations.pop(call.params["destinationId"], None)
        return json_response(200, {})

    def _mine(self, call: Call, notification_type: str) -> list[_Subscription]:
        if notification_type not in NOTIFICATION_TYPES:
            raise invalid_input(f"Invalid notificationType: {notification_type}")
        version = call.params.get("payloadVersion")
        with self._lock:
            return [
                s
                for s in self._subscriptions
                if s.seller_id == call.seller
                and s.notification_type == notification_type
                and version in (None, s.payload_version)
            ]

    def get_subscriptions(self, call: Call) -> Response:
        found = self._mine(call, call.params["notificationTypes"][0])
        return json_response(200, {"payload": {"subscriptions": [s.as_json() for s in found]}})

    def get_subscription(self, call: Call) -> Response:
        found = self._mine(call, call.params["notificationType"])
        if not found:
            raise not_found("Subscription not found")
        return json_response(200, {"payload": found[-1].as_json()})

    def create_subscription(self, call: Call) -> Response:
        notification_type = call.params["notificationType"]
        version = call.body["payloadVersion"]
        existing = [s for s in self._mine(call, notification_type) if s.payload_version == version]
        if existing:
            raise _conflict(f"A {notification_type} subscription already exists.")
        destination_id = call.body["destinationId"]
        with self._lock:
            if destination_id not in self._destinations:
                raise invalid_input(f"Invalid destinationId: {destination_id}")
            subscription = _Subscription(
                subscription_id=str(uuid.uuid4()),
                seller_id=call.seller,
                notification_type=notification_type,
                payload_version=version,
                destination_id=destination_id,
                processing_directive=call.body.get("processingDirective"),
            )
            self._subscriptions.append(subscription)
        return json_response(200, {"payload": subscription.as_json()})

    def _by_id(self, call: Call) -> _Subscription:
        with self._lock:
            for s in self._subscriptions:
                if (s.subscription_id, s.notification_type) == (
                    call.params["subscriptionId"],
                    call.params["notificationType"],
                ):
                    return s
        raise not_found(f"Subscription {call.params['subscriptionId']} not found")

    def get_subscription_by_id(self, call: Call) -> Response:
        return json_response(200, {"payload": self._by_id(call).as_json()})

    def delete_subscription_by_id(self, call: Call) -> Response:
        found = self._by_id(call)
        with self._lock:
            self._subscriptions.remove(found)
        return json_response(200, {})

    def subscription_for(self, seller_id: str, notification_type: str) -> str | None:
        """The id of the seller's newest subscription whose destination still exists."""
        with self._lock:
            for s in reversed(self._subscriptions):
                if (s.seller_id, s.notification_type) == (seller_id, notification_type) and (
                    s.destination_id in self._destinations
                ):
                    return s.subscription_id
        return None

    def destination_of(self, subscription_id: str) -> dict[str, Any] | None:
        """The destination (with its SQS ARN) a subscription delivers to, if both still exist."""
        with self._lock:
            for s in self._subscriptions:
                if s.subscription_id == subscription_id:
                    return self._destinations.get(s.destination_id)
        return None
