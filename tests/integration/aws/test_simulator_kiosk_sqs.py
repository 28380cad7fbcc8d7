"""The simulator delivers DATA_KIOSK_QUERY_PROCESSING_FINISHED to a (moto) SQS queue, as
SP-API does, and every message it sends fits Amazon's schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.datakiosk.model import QueryStatus
from domain.datakiosk.notifications import FinishedQuery
from domain.dispatching import parse_finished
from sandbox.clock import ManualClock
from sandbox.datakiosk import QUERY_FINISHED, validate_query_notification
from sandbox.sqs_delivery import SqsDelivery, boto3_sqs
from tests.integration.aws.conftest import ACCOUNT, REGION, MotoServer
from tests.integration.aws.test_simulator_sqs import received

QUERIES = "/dataKiosk/2023-11-15/queries"
DESTINATIONS = "/notifications/v1/destinations"
QUEUE = "spapi-lake-notifications"
ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"
SALES = "analytics_salesAndTraffic_2024_04_24"
BY_ASIN = (
    "query {analytics_salesAndTraffic_2024_04_24 {salesAndTrafficByAsin(aggregateBy:CHILD,"
    'endDate:"2025-06-06",startDate:"2025-03-01",marketplaceIds:["ATVPDKIKX0DER"]) '
    "{sales {unitsOrdered} sku childAsin}}}"
)


@pytest.fixture
def sqs(aws: Callable[[str], Any]) -> Any:
    return aws("sqs")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=QUEUE)["QueueUrl"])


@pytest.fixture
def delivering(
    make_simulator: Callable[..., Any], moto_server: MotoServer, manual_clock: ManualClock
) -> Any:
    """A simulator on a clock the test moves, whose notifications go to SQS on moto."""
    delivery = SqsDelivery(boto3_sqs(moto_server.url))
    running = make_simulator(on_report_finished=delivery, clock=manual_clock, processing_seconds=10)
    delivery.attach(running.sim)
    return running


def subscribe(running: Any, notification_type: str, payload_version: str) -> None:
    spec = {"name": "spapi-lake", "resourceSpecification": {"sqs": {"arn": ARN}}}
    destination = running.grantless().post(DESTINATIONS, json=spec).json()["payload"]
    body = {"payloadVersion": payload_version, "destinationId": destination["destinationId"]}
    response = running.seller().post(
        f"/notifications/v1/subscriptions/{notification_type}", json=body
    )
    assert response.status_code == 200, response.text


def create(client: Any) -> str:
    response = client.post(QUERIES, json={"query": BY_ASIN})
    assert response.status_code == 202, response.text
    return str(response.json()["queryId"])


def finish_one_query_of_each_outcome(running: Any, clock: ManualClock) -> dict[str, str]:
    """Query ids by the outcome they end with; the switches apply to queries created while set."""
    seller, switches = running.seller(), running.sim.kiosk_switches
    ids = {"paged": create(seller)}
    switches.no_data.add(SALES)
    ids["no-data"] = create(seller)
    switches.no_data.clear()
    switches.fatal.add(SALES)
    ids["fatal"] = create(seller)
    switches.fatal.clear()
    ids["cancelled"] = create(seller)
    assert seller.delete(f"{QUERIES}/{ids['cancelled']}").status_code == 204
    clock.advance(60)
    running.sim.tick()  # what the next request would do: the others finish
    return ids


def test_every_outcome_is_delivered_to_the_subscribed_queue_and_fits_the_schema(
    delivering: Any, sqs: Any, queue_url: str, manual_clock: ManualClock
) -> None:
    # given the seller subscribed to finished queries, with the queue as destination
    subscribe(delivering, QUERY_FINISHED, "2023-11-15")

    # when a query finishes with each outcome
    ids = finish_one_query_of_each_outcome(delivering, manual_clock)

    # then one message per query is on the queue, each valid per Amazon's schema
    bodies = received(sqs, queue_url, count=4)
    for body in bodies:
        validate_query_notification(body)
    assert bodies == delivering.sim.kiosk_notifications
    payloads = {body["payload"]["queryId"]: body["payload"] for body in bodies}
    assert set(payloads) == set(ids.values())
    paged, empty = payloads[ids["paged"]], payloads[ids["no-data"]]
    fatal, cancelled = payloads[ids["fatal"]], payloads[ids["cancelled"]]
    assert paged["processingStatus"] == "DONE"
    assert paged["dataDocumentId"].startswith("amzn1.tortuga.")
    assert paged["pagination"]["nextToken"]
    assert (empty["processingStatus"], fatal["processingStatus"]) == ("DONE", "FATAL")
    assert fatal["errorDocumentId"].startswith("amzn1.tortuga.")
    assert cancelled["processingStatus"] == "CANCELLED"
    documents = ("dataDocumentId", "errorDocumentId", "pagination")
    assert [key for key in documents if key in empty or key in cancelled] == []
    assert all(body["notificationType"] == QUERY_FINISHED for body in bodies)


def test_what_arrives_parses_into_finished_queries_of_the_seller(
    delivering: Any, sqs: Any, queue_url: str, manual_clock: ManualClock
) -> None:
    subscribe(delivering, QUERY_FINISHED, "2023-11-15")

    ids = finish_one_query_of_each_outcome(delivering, manual_clock)

    parsed = [parse_finished(body) for body in received(sqs, queue_url, count=4)]
    assert all(isinstance(finished, FinishedQuery) for finished in parsed)
    statuses = {f.query_id: f.status for f in parsed if isinstance(f, FinishedQuery)}
    assert statuses == {
        ids["paged"]: QueryStatus.DONE,
        ids["no-data"]: QueryStatus.DONE,
        ids["fatal"]: QueryStatus.FATAL,
        ids["cancelled"]: QueryStatus.CANCELLED,
    }
    assert {f.owner for f in parsed} == {delivering.seller_id}


def test_a_partner_subscribed_to_reports_only_gets_no_query_message(
    delivering: Any, sqs: Any, queue_url: str, manual_clock: ManualClock
) -> None:
    subscribe(delivering, "REPORT_PROCESSING_FINISHED", "1.0")

    finish_one_query_of_each_outcome(delivering, manual_clock)

    assert received(sqs, queue_url, count=1, seconds=1) == []
    assert delivering.sim.kiosk_notifications == []
