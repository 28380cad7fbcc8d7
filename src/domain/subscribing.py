"""Ensuring the SQS destination and each partner's subscriptions to finished reports (queries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from domain.datakiosk.notifications import QUERY_FINISHED
from domain.errors import ConflictError, SpApiLakeError
from domain.notifications import NOTIFICATION_TYPE
from domain.ports import Destination, NotificationsApi, Subscription

# What a stack subscribes every partner to: sellers and vendors can have both.
STACK_TYPES = (NOTIFICATION_TYPE, QUERY_FINISHED)


@dataclass(frozen=True)
class SubscriptionState:
    seller_id: str  # the partner's id: a seller id, or a vendor's account id (amzn1.vg.…)
    notification_type: str
    destination_id: str
    subscription_id: str
    created: bool


class SubscriptionEnsurer:
    """One destination for the stack's queue (an application resource, made with a grantless
    token), and one subscription per partner and notification type, made with that partner's
    own token: sellers and vendor groups alike (a vendor's notifications carry its id as
    accountId). Idempotent: a 409 from createDestination/createSubscription means "exists, look
    it up"."""

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
        self,
        seller_ids: Iterable[str],
        destination_name: str,
        sqs_arn: str,
        notification_types: Sequence[str] = (NOTIFICATION_TYPE,),
    ) -> list[SubscriptionState]:
        """`seller_ids` are partner ids (seller ids, vendor account ids), each subscribed to
        every one of `notification_types`, in that order (see `ensure_each`)."""
        types = {seller_id: notification_types for seller_id in seller_ids}
        return self.ensure_each(types, destination_name, sqs_arn)

    def ensure_each(
        self,
        types_by_partner: Mapping[str, Sequence[str]],
        destination_name: str,
        sqs_arn: str,
    ) -> list[SubscriptionState]:
        """Each partner subscribed to its own notification types, in order. Stops at the first
        subscription that cannot be made and raises why (an SP-API or LWA error, or another
        destination): a deploy must not pass with a partner unsubscribed."""
        destination = self.destination(destination_name, sqs_arn)
        return [
            self._subscribe(seller_id, kind, destination)
            for seller_id, kinds in types_by_partner.items()
            for kind in kinds
        ]

    def _subscribe(self, seller_id: str, kind: str, destination: Destination) -> SubscriptionState:
        existing: Subscription | None = self._api.get_subscription(seller_id, kind)
        created = existing is None
        if existing is None:
            try:
                existing = self._api.create_subscription(
                    seller_id, kind, destination.destination_id
                )
            except ConflictError:
                existing = self._api.get_subscription(seller_id, kind)
                created = False
        if existing is None:
            raise SpApiLakeError(f"{kind} subscription for partner {seller_id} could not be found")
        if existing.destination_id != destination.destination_id:
            raise SpApiLakeError(
                f"partner {seller_id} is subscribed to {kind} on destination "
                f"{existing.destination_id}, not {destination.destination_id}: "
                "delete that subscription first"
            )
        return SubscriptionState(
            seller_id, kind, destination.destination_id, existing.subscription_id, created
        )
