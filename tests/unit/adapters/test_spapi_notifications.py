"""Notifications API adapter: grantless destinations, seller subscriptions, 409 and 404."""

from __future__ import annotations

import pytest

from adapters.spapi_notifications import SpApiNotificationsApi
from domain.errors import ConflictError, SpApiError
from domain.ports import Destination, Subscription
from tests.unit.adapters.support import Script, StubTokens, make_client, reply, sp_error

ARN = "arn:aws:sqs:eu-west-1:123456789012:spapi-lake-notifications"
DESTINATION = {"destinationId": "dest-1", "name": "lake", "resource": {"sqs": {"arn": ARN}}}
SUBSCRIPTION = {"subscriptionId": "sub-1", "destinationId": "dest-1", "payloadVersion": "1.0"}


def api(script: Script, tokens: StubTokens | None = None) -> SpApiNotificationsApi:
    return SpApiNotificationsApi(make_client(script, tokens=tokens))


def test_get_destinations_is_grantless_and_unwraps_the_payload() -> None:
    eventbridge = {"destinationId": "dest-2", "name": "eb", "resource": {"eventBridge": {}}}
    script = Script([reply(200, {"payload": [DESTINATION, eventbridge]})])
    tokens = StubTokens()

    destinations = api(script, tokens).get_destinations()

    assert destinations == [Destination("dest-1", "lake", ARN), Destination("dest-2", "eb", None)]
    assert script.requests[0].url.path == "/notifications/v1/destinations"
    assert tokens.scopes == ["sellingpartnerapi::notifications"]
    assert tokens.sellers == []


def test_create_destination_posts_the_sqs_arn() -> None:
    script = Script([reply(200, {"payload": DESTINATION})])

    destination = api(script).create_destination("lake", ARN)

    assert destination == Destination("dest-1", "lake", ARN)
    assert script.requests[0].method == "POST"
    assert script.body() == {"name": "lake", "resourceSpecification": {"sqs": {"arn": ARN}}}


def test_an_existing_destination_is_a_conflict() -> None:
    script = Script([sp_error(409, "Conflict", "destination exists", request_id="r409")])

    with pytest.raises(ConflictError) as caught:
        api(script).create_destination("lake", ARN)

    assert caught.value.operation == "createDestination"
    assert caught.value.request_id == "r409"
    assert script.calls == 1


def test_get_subscription_uses_the_seller_token() -> None:
    script = Script([reply(200, {"payload": SUBSCRIPTION})])
    tokens = StubTokens()

    found = api(script, tokens).get_subscription("S1", "REPORT_PROCESSING_FINISHED")

    assert found == Subscription("sub-1", "dest-1", "1.0")
    path = script.requests[0].url.path
    assert path == "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"
    assert tokens.sellers == ["S1"]
    assert tokens.scopes == []


def test_a_missing_subscription_is_none() -> None:
    script = Script([sp_error(404, "NotFound", "no subscription")])

    assert api(script).get_subscription("S1", "REPORT_PROCESSING_FINISHED") is None


def test_create_subscription_posts_payload_version_and_destination() -> None:
    script = Script([reply(200, {"payload": SUBSCRIPTION})])

    created = api(script).create_subscription("S1", "REPORT_PROCESSING_FINISHED", "dest-1")

    assert created == Subscription("sub-1", "dest-1", "1.0")
    assert script.body() == {"payloadVersion": "1.0", "destinationId": "dest-1"}


def test_a_data_kiosk_subscription_posts_its_own_payload_version() -> None:
    # The DATA_KIOSK_QUERY_PROCESSING_FINISHED schema's payloadVersion.
    script = Script([reply(200, {"payload": {**SUBSCRIPTION, "payloadVersion": "2023-11-15"}})])
    tokens = StubTokens()

    created = api(script, tokens).create_subscription(
        "S1", "DATA_KIOSK_QUERY_PROCESSING_FINISHED", "dest-1"
    )

    assert created == Subscription("sub-1", "dest-1", "2023-11-15")
    assert script.body() == {"payloadVersion": "2023-11-15", "destinationId": "dest-1"}
    path = script.requests[0].url.path
    assert path == "/notifications/v1/subscriptions/DATA_KIOSK_QUERY_PROCESSING_FINISHED"
    assert tokens.sellers == ["S1"]


def test_an_existing_subscription_is_a_conflict() -> None:
    script = Script([sp_error(409, "StateConflict", "exists")])

    with pytest.raises(ConflictError, match="createSubscription"):
        api(script).create_subscription("S1", "REPORT_PROCESSING_FINISHED", "dest-1")


def test_a_response_without_payload_is_an_error() -> None:
    script = Script([reply(200, {"errors": []})])

    with pytest.raises(SpApiError, match="getDestinations"):
        api(script).get_destinations()
