"""The Notifications adapter against the simulator: destinations, subscriptions and 409s."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import ConflictError
from tests.integration.spapi_wiring import wire

ARN = "arn:aws:sqs:eu-west-1:123456789012:spapi-lake-notifications"
NOTIFICATION = "REPORT_PROCESSING_FINISHED"


def test_a_destination_is_created_once_and_then_found(simulator: Any) -> None:
    api = wire(simulator).notifications

    created = api.create_destination("spapi-lake", ARN)
    with pytest.raises(ConflictError) as caught:
        api.create_destination("spapi-lake", ARN)
    found = api.get_destinations()

    assert created.sqs_arn == ARN
    assert created in found
    assert caught.value.operation == "createDestination"
    assert caught.value.status == 409
    assert caught.value.request_id


def test_a_subscription_is_created_once_and_then_found(simulator: Any) -> None:
    api = wire(simulator).notifications
    destination = api.create_destination("spapi-lake", ARN)

    before = api.get_subscription(simulator.seller_id, NOTIFICATION)
    created = api.create_subscription(simulator.seller_id, NOTIFICATION, destination.destination_id)
    with pytest.raises(ConflictError):
        api.create_subscription(simulator.seller_id, NOTIFICATION, destination.destination_id)
    after = api.get_subscription(simulator.seller_id, NOTIFICATION)

    assert before is None
    assert created.destination_id == destination.destination_id
    assert after == created
