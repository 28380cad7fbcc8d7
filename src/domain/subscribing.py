"""Ensuring the SQS destination and each partner's REPORT_PROCESSING_FINISHED subscription exist."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import ConflictError, SpApiLakeError
from domain.notifications import NOTIFICATION_TYPE
from domain.ports import Destination, NotificationsApi


@dataclass(frozen=True)
class SubscriptionState:
    seller_id: str  # the partner's id: a seller id, or a vendor's account id (amzn1.vg.…)
    destination_id: str
    subscription_id: str
    created: bool


class SubscriptionEnsurer:
    """One destination for the stack's queue (an application resource, made with a grantless
    token), and one subscription per partner, made with that partner's own token: sellers and
    vendor groups alike (a vendor's notifications carry its id as accountId). Idempotent: a 409
    from createDestination/createSubscription means "exists, look it up"."""

    def __init__(self, notifications: NotificationsApi) -> None:
        self._api = notifications

    def _find(self, sqs_arn: str) -> Destination | None:
        return next((d for d in self._api.get_destinations() if d.sqs_arn == sqs_arn), None)

    def destination(self, name: str, sqs_arn: str) -> Destination:
        found = self._find(sqs_arn)
        if found is not None:
            return found
        try:
            return self._api.create_destination(name, sqs_arn)
        except ConflictError:
            found = self._find(sqs_arn)  # created concurrently by another deploy
            if found is None:
                raise
            return found

    def ensure(
        self, seller_ids: Iterable[str], destination_name: str, sqs_arn: str
    ) -> list[SubscriptionState]:
        """`seller_ids` are partner ids (seller ids, vendor account ids). Stops at the first
        partner that cannot be subscribed and raises why (an SP-API or LWA error, or another
        destination): a deploy must not pass with a partner unsubscribed."""
        destination = self.destination(destination_name, sqs_arn)
        states = []
        for seller_id in seller_ids:
            existing = self._api.get_subscription(seller_id, NOTIFICATION_TYPE)
            created = existing is None
            if existing is None:
                try:
                    existing = self._api.create_subscription(
                        seller_id, NOTIFICATION_TYPE, destination.destination_id
                    )
                except ConflictError:
                    existing = self._api.get_subscription(seller_id, NOTIFICATION_TYPE)
                    created = False
            if existing is None:
                raise SpApiLakeError(f"subscription for partner {seller_id} could not be found")
            if existing.destination_id != destination.destination_id:
                raise SpApiLakeError(
                    f"partner {seller_id} is subscribed to destination {existing.destination_id}, "
                    f"not {destination.destination_id}: delete that subscription first"
                )
            states.append(
                SubscriptionState(
                    seller_id, destination.destination_id, existing.subscription_id, created
                )
            )
        return states
