"""The simulator hands DATA_KIOSK_QUERY_PROCESSING_FINISHED to its consumer like report ones."""

from __future__ import annotations

from typing import Any

from sandbox.clock import ManualClock
from sandbox.datakiosk import QUERY_FINISHED, validate_query_notification

QUERIES = "/dataKiosk/2023-11-15/queries"
DESTINATIONS = "/notifications/v1/destinations"
ARN = "arn:aws:sqs:eu-west-1:123456789012:spapi-lake-notifications"
BY_ASIN = (
    "query {analytics_salesAndTraffic_2024_04_24 {salesAndTrafficByAsin(aggregateBy:CHILD,"
    'endDate:"2025-06-06",startDate:"2025-03-01",marketplaceIds:["ATVPDKIKX0DER"]) '
    "{sales {unitsOrdered} sku childAsin}}}"
)


def _subscribe(running: Any, notification_type: str = QUERY_FINISHED) -> str:
    spec = {"name": "spapi-lake", "resourceSpecification": {"sqs": {"arn": ARN}}}
    destination = running.grantless().post(DESTINATIONS, json=spec).json()["payload"]
    body = {"payloadVersion": "2023-11-15", "destinationId": destination["destinationId"]}
    path = f"/notifications/v1/subscriptions/{notification_type}"
    subscription = running.seller().post(path, json=body).json()["payload"]
    return str(subscription["subscriptionId"])


def _finish_a_query(running: Any, clock: ManualClock) -> str:
    response = running.seller().post(QUERIES, json={"query": BY_ASIN})
    assert response.status_code == 202, response.text
    clock.advance(60)
    running.sim.tick()
    return str(response.json()["queryId"])


def test_a_finished_query_goes_to_the_consumer_with_its_subscription(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    # given a consumer, and the seller subscribed to finished queries
    received: list[dict[str, Any]] = []
    running = make_simulator(
        clock=manual_clock, processing_seconds=10, on_report_finished=received.append
    )
    subscription_id = _subscribe(running)

    # when a query finishes
    query_id = _finish_a_query(running, manual_clock)

    # then the consumer got its message, valid, naming the subscription and its SQS destination
    [message] = received
    validate_query_notification(message)
    assert message["payload"]["queryId"] == query_id
    assert message["notificationMetadata"]["subscriptionId"] == subscription_id
    assert running.sim.destination_of(message)["resource"]["sqs"]["arn"] == ARN
    assert running.sim.kiosk_notifications == received
    assert running.sim.notifications == []  # the report messages' list stays reports only


def test_without_a_query_subscription_the_consumer_gets_nothing(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    received: list[dict[str, Any]] = []
    running = make_simulator(
        clock=manual_clock, processing_seconds=10, on_report_finished=received.append
    )
    _subscribe(running, "REPORT_PROCESSING_FINISHED")

    _finish_a_query(running, manual_clock)

    assert received == []


def test_a_failing_consumer_does_not_break_the_query(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    def broken(message: dict[str, Any]) -> None:
        raise RuntimeError("queue unavailable")

    running = make_simulator(clock=manual_clock, processing_seconds=10, on_report_finished=broken)
    _subscribe(running)

    query_id = _finish_a_query(running, manual_clock)

    status = running.seller().get(f"{QUERIES}/{query_id}").json()["processingStatus"]
    assert status == "DONE"
    assert [str(e) for e in running.sim.callback_errors] == ["queue unavailable"]
    assert len(running.sim.kiosk_notifications) == 1
