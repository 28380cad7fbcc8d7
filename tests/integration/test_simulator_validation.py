"""Requests are checked against Amazon's models, and so is every answer the simulator gives."""

from __future__ import annotations

import pytest

from sandbox.contract import (
    ContractViolation,
    find_operation,
    validate_notification,
    validate_request,
    validate_response,
)

REPORTS = "/reports/2021-06-30/reports"
US = "ATVPDKIKX0DER"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"reportTypes": "GET_X", "pageSize": "0"}, "pageSize"),
        ({"reportTypes": "GET_X", "pageSize": "101"}, "pageSize"),
        ({"reportTypes": "GET_X", "pageSize": "ten"}, "pageSize"),
        ({"reportTypes": ",".join(f"GET_{i}" for i in range(11))}, "reportTypes"),
        ({"reportTypes": "GET_X", "processingStatuses": "FINISHED"}, "processingStatuses"),
        ({"reportTypes": "GET_X", "createdSince": "yesterday"}, "createdSince"),
        ({"reportTypes": "GET_X", "sortOrder": "asc"}, "sortOrder"),
        ({"pageSize": "5"}, "reportTypes or nextToken"),
    ],
)
def test_get_reports_rejects_parameters_outside_the_model(simulator, params, named):
    response = simulator.seller().get(REPORTS, params=params)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    assert named in error["message"]


def test_repeating_a_csv_parameter_instead_of_joining_it_is_rejected(simulator):
    response = simulator.seller().get(REPORTS, params=[("reportTypes", "A"), ("reportTypes", "B")])

    assert response.status_code == 400
    assert "comma-separated" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"marketplaceIds": [US]}, "reportType"),
        ({"reportType": "GET_X"}, "marketplaceIds"),
        ({"reportType": "GET_X", "marketplaceIds": []}, "marketplaceIds"),
        ({"reportType": "GET_X", "marketplaceIds": [US] * 26}, "marketplaceIds"),
        ({"reportType": "GET_X", "marketplaceIds": [US], "dataStartTime": "soon"}, "dataStartTime"),
        (
            {"reportType": "GET_X", "marketplaceIds": [US], "reportOptions": {"a": 1}},
            "reportOptions",
        ),
    ],
)
def test_create_report_rejects_bodies_outside_the_model(simulator, body, named):
    response = simulator.seller().post(REPORTS, json=body)

    assert response.status_code == 400
    assert named in response.json()["errors"][0]["message"]


def test_an_unknown_report_type_is_accepted_as_amazon_adds_types_over_time(simulator):
    response = simulator.seller().post(
        REPORTS, json={"reportType": "GET_BRAND_NEW", "marketplaceIds": [US]}
    )

    assert response.status_code == 202


def test_a_body_that_is_not_json_is_rejected(simulator):
    client = simulator.seller()

    broken = client.post(
        REPORTS, content=b"{not json", headers={"content-type": "application/json"}
    )
    as_form = client.post(REPORTS, data={"reportType": "GET_X"})

    assert broken.status_code == 400
    assert as_form.status_code == 415


def test_an_unknown_path_is_not_found(simulator):
    response = simulator.seller().get("/reports/2020-09-04/reports")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"


def test_every_answer_of_a_full_session_fits_the_models(make_simulator):
    # given a session that touches every operation, recording what came back
    running = make_simulator(processing_seconds=0)
    seller, grantless = running.seller(), running.grantless()
    seen: list[tuple[str, int, object]] = []

    def call(client, method: str, path: str, **kwargs):
        response = client.request(method, path, **kwargs)
        operation, _ = find_operation(method, path)
        seen.append((operation.operation_id, response.status_code, response.content))
        return response

    report_id = call(
        seller, "POST", REPORTS, json={"reportType": "GET_X", "marketplaceIds": [US]}
    ).json()["reportId"]
    document_id = call(seller, "GET", f"{REPORTS}/{report_id}").json()["reportDocumentId"]
    call(seller, "GET", REPORTS, params={"reportTypes": "GET_X"})
    call(seller, "GET", f"/reports/2021-06-30/documents/{document_id}")
    call(seller, "DELETE", f"{REPORTS}/{report_id}")
    call(seller, "GET", f"{REPORTS}/404")
    arn = "arn:aws:sqs:us-east-1:123456789012:reports"
    body = {"name": "lake", "resourceSpecification": {"sqs": {"arn": arn}}}
    destination = call(grantless, "POST", "/notifications/v1/destinations", json=body).json()[
        "payload"
    ]
    call(grantless, "POST", "/notifications/v1/destinations", json=body)
    call(grantless, "GET", "/notifications/v1/destinations")
    subscriptions = "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"
    sub_body = {"payloadVersion": "1.0", "destinationId": destination["destinationId"]}
    subscription = call(seller, "POST", subscriptions, json=sub_body).json()["payload"]
    call(seller, "POST", subscriptions, json=sub_body)
    call(seller, "GET", subscriptions)
    call(grantless, "GET", f"{subscriptions}/{subscription['subscriptionId']}")
    call(grantless, "DELETE", f"{subscriptions}/{subscription['subscriptionId']}")
    call(grantless, "DELETE", f"/notifications/v1/destinations/{destination['destinationId']}")
    call(seller, "GET", "/notifications/v1/destinations")  # a seller token: 403

    # then every answer validates against the model, and there were several kinds of them
    for operation_id, status, content in seen:
        validate_response(operation_id, status, content)
    assert {status for _, status, _ in seen} >= {200, 202, 400, 403, 404, 409}


def test_validate_request_accepts_a_good_request_and_returns_typed_parameters():
    params = validate_request(
        "getReports",
        "GET",
        REPORTS,
        {"reportTypes": ["GET_A,GET_B"], "pageSize": ["25"], "processingStatuses": "DONE"},
    )

    assert params == {
        "reportTypes": ["GET_A", "GET_B"],
        "pageSize": 25,
        "processingStatuses": ["DONE"],
    }


def test_validate_request_names_what_is_wrong():
    with pytest.raises(ContractViolation, match="marketplaceIds"):
        validate_request("createReport", "POST", REPORTS, {}, b'{"reportType": "GET_X"}')
    with pytest.raises(ContractViolation, match="is not GET"):
        validate_request("getReport", "GET", "/reports/2021-06-30/documents/x", {})
    with pytest.raises(ContractViolation, match="takes no body"):
        validate_request("getReport", "GET", f"{REPORTS}/1", {}, {"unexpected": True})


def test_validate_response_rejects_undocumented_statuses_and_wrong_bodies():
    with pytest.raises(ContractViolation, match="reportId"):
        validate_response("createReport", 202, {"id": "1"})
    with pytest.raises(ContractViolation, match="processingStatus"):
        validate_response(
            "getReport",
            200,
            {
                "reportId": "1",
                "reportType": "X",
                "createdTime": "2026-01-01T00:00:00Z",
                "processingStatus": "READY",
            },
        )
    with pytest.raises(ContractViolation, match="documents no body"):
        validate_response("cancelReport", 200, {"ok": True})
    with pytest.raises(ContractViolation, match="not a documented response"):
        validate_response("getReport", 302, None)
    validate_response("cancelReport", 200, b"")


def test_validate_notification_checks_the_sqs_message_schema():
    message = {
        "notificationVersion": "2020-09-04",
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "payloadVersion": "2020-09-04",
        "eventTime": "2020-07-14T03:35:13.214Z",
        "payload": {
            "reportProcessingFinishedNotification": {
                "accountId": "amzn1.merchant.o.A3TH9S8BH6GOGM",
                "reportId": "54517018502",
                "reportType": "GET_X",
                "processingStatus": "DONE",
            }
        },
        "notificationMetadata": {
            "applicationId": "amzn1.sellerapps.app.x",
            "subscriptionId": "s",
            "publishTime": "2020-07-13T19:42:04.284Z",
            "notificationId": "n",
        },
    }
    validate_notification(message)
    message["payload"]["reportProcessingFinishedNotification"]["processingStatus"] = "IN_QUEUE"

    with pytest.raises(ContractViolation, match="processingStatus"):
        validate_notification(message)
