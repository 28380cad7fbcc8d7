"""subscribe: the destination and each configured seller's subscriptions, idempotently: to
finished reports, and to finished Data Kiosk queries for a partner some query runs for."""

import json

import pytest

from domain.errors import ConfigError
from handlers import subscribe
from tests.unit.handlers.conftest import CONFIG, OTHER_SELLER, SELLER, leaks

REPORTS, QUERIES = "REPORT_PROCESSING_FINISHED", "DATA_KIOSK_QUERY_PROCESSING_FINISHED"


@pytest.fixture
def queries(world):
    """Both sellers run a Data Kiosk query."""
    entry = {"name": "sales", "partners": [SELLER, OTHER_SELLER]}
    world.settings.values["queries"] = json.dumps([entry])
    return world


def test_every_configured_seller_is_subscribed_once_to_each_type(queries, world, context, captured):
    first = subscribe.lambda_handler({}, context)
    again = subscribe.lambda_handler({}, context)

    assert first["created"] == 4  # two sellers, two notification types each
    assert first["destinationId"] == "dest-1"
    assert {s["sellerId"] for s in first["subscriptions"]} == {SELLER, OTHER_SELLER}
    assert again["created"] == 0
    assert set(world.notifications.subscriptions) == {
        (seller, kind) for seller in (SELLER, OTHER_SELLER) for kind in (REPORTS, QUERIES)
    }
    (destination,) = world.notifications.destinations
    assert (destination.name, destination.sqs_arn) == (CONFIG.destination_name, CONFIG.queue_arn)
    assert captured.metrics()["SubscriptionsCreated"] == 4
    assert leaks(first, again, text=captured.text()) == []


def test_the_result_lists_both_types_under_each_partner(queries, world, context):
    subscribe.lambda_handler({"sellerIds": [SELLER]}, context)

    result = subscribe.lambda_handler({}, context)

    by_partner = {s["sellerId"]: s["notificationTypes"] for s in result["subscriptions"]}
    assert by_partner[SELLER] == {
        REPORTS: {"subscriptionId": f"sub-{SELLER}", "created": False},
        QUERIES: {"subscriptionId": f"sub-{SELLER}", "created": False},
    }
    assert {kind: entry["created"] for kind, entry in by_partner[OTHER_SELLER].items()} == {
        REPORTS: True,
        QUERIES: True,
    }


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


def test_a_partner_without_queries_is_subscribed_to_reports_only(world, context):
    world.settings.values["queries"] = json.dumps([{"name": "sales", "partners": [SELLER]}])

    result = subscribe.lambda_handler({}, context)

    by_partner = {s["sellerId"]: set(s["notificationTypes"]) for s in result["subscriptions"]}
    assert by_partner == {SELLER: {REPORTS, QUERIES}, OTHER_SELLER: {REPORTS}}
    assert (OTHER_SELLER, QUERIES) not in world.notifications.subscriptions
