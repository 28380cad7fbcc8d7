"""Ensuring subscriptions: idempotent, and a 409 means "exists, look it up"."""

import pytest

from domain.errors import ConflictError, SpApiLakeError
from domain.ports import Destination, Subscription
from domain.subscribing import SubscriptionEnsurer
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
