"""Ensuring subscriptions: idempotent, and a 409 means "exists, look it up"."""

import pytest

from domain.errors import ConflictError, SpApiLakeError
from domain.ports import Destination, Subscription
from domain.subscribing import STACK_TYPES, SubscriptionEnsurer
from tests.fakes import FakeNotificationsApi

ARN = "arn:aws:sqs:us-east-1:123456789012:spapi-lake-dev-notifications"


def test_the_first_run_creates_the_destination_and_a_subscription_per_partner():
    api = FakeNotificationsApi()
    states = SubscriptionEnsurer(api).ensure(["S1", "S2"], "spapi-lake-dev", ARN)
    assert [s.created for s in states] == [True, True]
    assert len(api.destinations) == 1
    assert set(api.subscriptions) == {
        ("S1", "REPORT_PROCESSING_FINISHED"),
        ("S2", "REPORT_PROCESSING_FINISHED"),
    }


def test_a_second_run_changes_nothing():
    api = FakeNotificationsApi()
    SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN)
    again = SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN)
    assert [s.created for s in again] == [False]
    assert api.calls.count("createDestination") == 1
    assert api.calls.count("createSubscription") == 1


def test_a_409_on_create_destination_finds_the_one_created_concurrently():
    api = FakeNotificationsApi()
    listings = iter([[], [Destination("dest-9", "other", ARN)]])
    api.get_destinations = lambda: next(listings)
    api.destinations.append(Destination("dest-9", "other", ARN))
    assert SubscriptionEnsurer(api).destination("spapi-lake-dev", ARN).destination_id == "dest-9"


def test_a_409_on_create_subscription_reads_the_existing_one():
    api = FakeNotificationsApi()
    existing = Subscription("sub-old", "dest-1", "1.0")
    lookups = iter([None, existing])
    api.get_subscription = lambda seller, kind: next(lookups)

    def conflict(*args):
        raise ConflictError("createSubscription", "exists", status=409)

    api.create_subscription = conflict
    states = SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN)
    assert (states[0].subscription_id, states[0].created) == ("sub-old", False)


def test_a_subscription_to_another_destination_is_reported_not_overwritten():
    api = FakeNotificationsApi()
    api.subscriptions[("S1", "REPORT_PROCESSING_FINISHED")] = Subscription("s", "dest-x", "1.0")
    with pytest.raises(SpApiLakeError, match="delete that subscription first"):
        SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN)


def test_a_vendor_group_is_subscribed_under_its_account_id_to_the_same_destination():
    api = FakeNotificationsApi()

    states = SubscriptionEnsurer(api).ensure(["S1", "amzn1.vg.6213651"], "spapi-lake-dev", ARN)

    assert [s.seller_id for s in states] == ["S1", "amzn1.vg.6213651"]
    assert {s.destination_id for s in states} == {"dest-1"}
    assert ("amzn1.vg.6213651", "REPORT_PROCESSING_FINISHED") in api.subscriptions


def test_a_vendor_subscribed_elsewhere_is_named_in_the_error():
    api = FakeNotificationsApi()
    api.subscriptions[("amzn1.vg.6213651", "REPORT_PROCESSING_FINISHED")] = Subscription(
        "s", "dest-x", "1.0"
    )
    with pytest.raises(SpApiLakeError, match=r"partner amzn1\.vg\.6213651 is subscribed"):
        SubscriptionEnsurer(api).ensure(["amzn1.vg.6213651"], "spapi-lake-dev", ARN)


# --- finished Data Kiosk queries beside finished reports ---------------------------------------

REPORTS, QUERIES = "REPORT_PROCESSING_FINISHED", "DATA_KIOSK_QUERY_PROCESSING_FINISHED"


def test_a_stack_subscribes_every_partner_to_both_types_on_one_destination():
    api = FakeNotificationsApi()

    states = SubscriptionEnsurer(api).ensure(
        ["S1", "amzn1.vg.6213651"], "spapi-lake-dev", ARN, STACK_TYPES
    )

    assert [(s.seller_id, s.notification_type) for s in states] == [
        ("S1", REPORTS),
        ("S1", QUERIES),
        ("amzn1.vg.6213651", REPORTS),
        ("amzn1.vg.6213651", QUERIES),
    ]
    assert set(api.subscriptions) == {(s.seller_id, s.notification_type) for s in states}
    assert {s.destination_id for s in api.subscriptions.values()} == {"dest-1"}
    assert len(api.destinations) == 1


def test_a_partner_subscribed_to_reports_only_gets_the_query_subscription_added():
    # given a partner subscribed to finished reports before queries existed
    api = FakeNotificationsApi()
    SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN)

    # when the stack's types are ensured
    states = SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN, STACK_TYPES)

    # then only the missing one is created
    assert [(s.notification_type, s.created) for s in states] == [
        (REPORTS, False),
        (QUERIES, True),
    ]
    assert api.calls.count("createSubscription") == 2


def test_a_409_on_the_query_subscription_reads_the_existing_one():
    api = FakeNotificationsApi()
    existing = Subscription("sub-kiosk", "dest-1", "2023-11-15")
    create = api.create_subscription

    def conflict_for_queries(seller, kind, destination_id):
        if kind == QUERIES:
            api.subscriptions[(seller, kind)] = existing  # made concurrently by another deploy
            raise ConflictError("createSubscription", "exists", status=409)
        return create(seller, kind, destination_id)

    api.create_subscription = conflict_for_queries
    states = SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN, STACK_TYPES)

    assert [(s.notification_type, s.subscription_id, s.created) for s in states] == [
        (REPORTS, "sub-S1", True),
        (QUERIES, "sub-kiosk", False),
    ]


def test_a_query_subscription_to_another_destination_is_named_in_the_error():
    api = FakeNotificationsApi()
    api.subscriptions[("S1", QUERIES)] = Subscription("s", "dest-x", "2023-11-15")

    with pytest.raises(SpApiLakeError, match=f"partner S1 is subscribed to {QUERIES}"):
        SubscriptionEnsurer(api).ensure(["S1"], "spapi-lake-dev", ARN, STACK_TYPES)
