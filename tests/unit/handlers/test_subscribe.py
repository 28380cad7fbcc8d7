"""subscribe: the destination and a subscription per configured seller, idempotently."""

import pytest

from domain.errors import ConfigError
from handlers import subscribe
from tests.unit.handlers.conftest import CONFIG, OTHER_SELLER, SELLER, leaks


def test_every_configured_seller_is_subscribed_once(world, context, captured):
    first = subscribe.lambda_handler({}, context)
    again = subscribe.lambda_handler({}, context)

    assert first["created"] == 2
    assert first["destinationId"] == "dest-1"
    assert {s["sellerId"] for s in first["subscriptions"]} == {SELLER, OTHER_SELLER}
    assert again["created"] == 0
    (destination,) = world.notifications.destinations
    assert (destination.name, destination.sqs_arn) == (CONFIG.destination_name, CONFIG.queue_arn)
    assert captured.metrics()["SubscriptionsCreated"] == 2
    assert leaks(first, again, text=captured.text()) == []


def test_sellers_can_be_named(world, context):
    result = subscribe.lambda_handler({"sellerIds": [OTHER_SELLER]}, context)

    assert [s["sellerId"] for s in result["subscriptions"]] == [OTHER_SELLER]


def test_a_seller_that_is_not_configured_is_refused(world, context):
    with pytest.raises(ConfigError, match="AUNKNOWN"):
        subscribe.lambda_handler({"sellerIds": ["AUNKNOWN"]}, context)
    assert world.notifications.calls == []


def test_an_invocation_without_a_context_works_too(world):
    # Pulumi's aws.lambda_.Invocation and ad-hoc scripts call with whatever they have.
    assert subscribe.lambda_handler({}, None)["created"] == 2
