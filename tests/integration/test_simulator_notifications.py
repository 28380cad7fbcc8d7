"""Notifications API v1 on the simulator, and the REPORT_PROCESSING_FINISHED messages it sends."""

from __future__ import annotations

import time

import pytest

from sandbox.contract import validate_notification

DESTINATIONS = "/notifications/v1/destinations"
SUBSCRIPTIONS = "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"
ARN = "arn:aws:sqs:eu-west-1:123456789012:spapi-lake-notifications"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
STATE_CONFLICT = "StateConflict"


def _destination_body(arn: str = ARN) -> dict:
    return {"name": "spapi-lake", "resourceSpecification": {"sqs": {"arn": arn}}}


def _subscribe(running, seller=None) -> tuple[dict, dict]:
    grantless = running.grantless()
    destination = grantless.post(DESTINATIONS, json=_destination_body()).json()["payload"]
    body = {"payloadVersion": "1.0", "destinationId": destination["destinationId"]}
    subscription = (seller or running.seller()).post(SUBSCRIPTIONS, json=body).json()["payload"]
    return destination, subscription


def test_a_destination_is_created_and_a_second_one_for_the_same_queue_conflicts(simulator):
    client = simulator.grantless()

    created = client.post(DESTINATIONS, json=_destination_body())
    again = client.post(DESTINATIONS, json=_destination_body())
    listed = client.get(DESTINATIONS).json()["payload"]

    destination = created.json()["payload"]
    assert created.status_code == 200
    assert destination["resource"] == {"sqs": {"arn": ARN}}
    assert destination["name"] == "spapi-lake"
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == STATE_CONFLICT
    # after a 409 the existing destination is found by its ARN
    assert [d["destinationId"] for d in listed if d["resource"]["sqs"]["arn"] == ARN] == [
        destination["destinationId"]
    ]


def test_a_destination_can_be_read_and_deleted(simulator):
    client = simulator.grantless()
    destination_id = client.post(DESTINATIONS, json=_destination_body()).json()["payload"][
        "destinationId"
    ]

    read = client.get(f"{DESTINATIONS}/{destination_id}")
    deleted = client.delete(f"{DESTINATIONS}/{destination_id}")
    gone = client.get(f"{DESTINATIONS}/{destination_id}")

    assert read.json()["payload"]["destinationId"] == destination_id
    assert deleted.status_code == 200
    assert gone.status_code == 404


def test_an_eventbridge_destination_gets_a_partner_event_source_name(simulator):
    spec = {"eventBridge": {"region": "us-east-1", "accountId": "123456789012"}}

    response = simulator.grantless().post(
        DESTINATIONS, json={"name": "eb", "resourceSpecification": spec}
    )

    name = response.json()["payload"]["resource"]["eventBridge"]["name"]
    assert name.startswith("aws.partner/sellingpartnerapi.amazon.com/123456789012/")


def test_a_destination_arn_must_look_like_an_sqs_arn(simulator):
    response = simulator.grantless().post(DESTINATIONS, json=_destination_body("not-an-arn"))

    assert response.status_code == 400
    assert "arn" in response.json()["errors"][0]["message"]


def test_a_subscription_is_created_once_and_found_by_type_and_by_id(simulator):
    # given a destination and a seller subscribed to it
    destination, subscription = _subscribe(simulator)
    seller, grantless = simulator.seller(), simulator.grantless()
    body = {"payloadVersion": "1.0", "destinationId": destination["destinationId"]}

    # when the seller subscribes again and looks it up, and the app looks it up by id
    again = seller.post(SUBSCRIPTIONS, json=body)
    by_type = seller.get(SUBSCRIPTIONS).json()["payload"]
    by_id = grantless.get(f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}").json()["payload"]

    # then there is exactly one subscription, wherever it is looked up
    assert subscription["destinationId"] == destination["destinationId"]
    assert subscription["payloadVersion"] == "1.0"
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == STATE_CONFLICT
    assert by_type == subscription == by_id


def test_get_subscriptions_lists_the_sellers_subscriptions_of_a_type(simulator):
    _, subscription = _subscribe(simulator)

    response = simulator.seller().get(
        "/notifications/v1/subscriptions",
        params={"notificationTypes": "REPORT_PROCESSING_FINISHED"},
    )

    assert response.status_code == 200
    assert response.json()["payload"]["subscriptions"] == [subscription]


def test_a_subscription_can_be_deleted_by_id(simulator):
    _, subscription = _subscribe(simulator)
    grantless = simulator.grantless()

    deleted = grantless.delete(f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}")

    assert deleted.status_code == 200
    assert simulator.seller().get(SUBSCRIPTIONS).status_code == 404


def test_subscribing_to_an_unknown_destination_is_rejected(simulator):
    body = {"payloadVersion": "1.0", "destinationId": "no-such-destination"}

    response = simulator.seller().post(SUBSCRIPTIONS, json=body)

    assert response.status_code == 400


def test_subscriptions_need_a_seller_token_and_by_id_operations_a_grantless_one(simulator):
    _, subscription = _subscribe(simulator)

    with_grantless = simulator.grantless().get(SUBSCRIPTIONS)
    with_seller = simulator.seller().get(f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}")

    assert (with_grantless.status_code, with_seller.status_code) == (403, 403)


def test_an_unknown_notification_type_is_rejected(simulator):
    response = simulator.seller().get("/notifications/v1/subscriptions/NO_SUCH_TYPE")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("fault", "status"), [(None, "DONE"), ("fatal", "FATAL"), ("cancelled", "CANCELLED")]
)
def test_a_finished_report_is_announced_to_the_subscribed_seller(make_simulator, fault, status):
    # given a subscribed seller and a consumer of the messages
    received: list[dict] = []
    running = make_simulator(processing_seconds=0, on_report_finished=received.append)
    _subscribe(running)
    if fault:
        getattr(running.sim.faults, fault).add(LISTINGS)
    client = running.seller()

    # when a report finishes
    report = running.wait_for_report(client, running.create_report(client, LISTINGS))

    # then exactly one message, valid per Amazon's schema, describes it
    assert len(received) == 1
    message = received[0]
    validate_notification(message)
    finished = message["payload"]["reportProcessingFinishedNotification"]
    assert finished["reportId"] == report["reportId"]
    assert finished["processingStatus"] == status
    assert finished["sellerId"] == running.seller_id
    assert finished.get("reportDocumentId") == report.get("reportDocumentId")
    assert message["notificationType"] == "REPORT_PROCESSING_FINISHED"
    assert running.sim.destination_of(message)["resource"]["sqs"]["arn"] == ARN
    assert running.sim.notifications == received


def test_a_report_finishing_in_the_background_is_announced(make_simulator):
    # given reports that take a little while
    received: list[dict] = []
    running = make_simulator(on_report_finished=received.append)
    _subscribe(running)
    client = running.seller()

    # when a report is created and finishes while the client waits
    report = running.wait_for_report(client, running.create_report(client, LISTINGS))
    for _ in range(100):  # delivery is asynchronous, as SQS is; bounded so a miss fails
        if received:
            break
        time.sleep(0.01)

    # then its message went out
    assert [m["payload"]["reportProcessingFinishedNotification"]["reportId"] for m in received] == [
        report["reportId"]
    ]


def test_a_cancelled_by_request_report_is_announced_as_cancelled(make_simulator, manual_clock):
    received: list[dict] = []
    running = make_simulator(
        clock=manual_clock, processing_seconds=60, on_report_finished=received.append
    )
    _subscribe(running)
    client = running.seller()
    report_id = running.create_report(client, LISTINGS)

    client.delete(f"/reports/2021-06-30/reports/{report_id}")

    assert [
        m["payload"]["reportProcessingFinishedNotification"]["processingStatus"] for m in received
    ] == ["CANCELLED"]


def test_nothing_is_announced_without_a_subscription(make_simulator):
    received: list[dict] = []
    running = make_simulator(processing_seconds=0, on_report_finished=received.append)
    running.grantless().post(DESTINATIONS, json=_destination_body())
    client = running.seller()

    running.wait_for_report(client, running.create_report(client, LISTINGS))

    assert received == []


def test_only_the_subscribed_seller_is_announced(make_simulator):
    received: list[dict] = []
    sellers = {"Atzr|first": "A1FIRSTSELLER", "Atzr|second": "A2SECONDSELLER"}
    running = make_simulator(
        processing_seconds=0, sellers=sellers, on_report_finished=received.append
    )
    _subscribe(running, running.seller("Atzr|first"))
    second = running.seller("Atzr|second")

    running.wait_for_report(second, running.create_report(second, LISTINGS))

    assert received == []


def test_a_failing_consumer_does_not_break_the_simulator(make_simulator):
    def broken(message: dict) -> None:
        raise RuntimeError("queue unavailable")

    running = make_simulator(processing_seconds=0, on_report_finished=broken)
    _subscribe(running)
    client = running.seller()

    report = running.wait_for_report(client, running.create_report(client, LISTINGS))

    assert report["processingStatus"] == "DONE"
    assert [str(e) for e in running.sim.callback_errors] == ["queue unavailable"]
