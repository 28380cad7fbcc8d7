"""The simulator's Login with Amazon endpoint and how SP-API treats the tokens it issues."""

from __future__ import annotations

import pytest

REPORTS = "/reports/2021-06-30/reports"
DESTINATIONS = "/notifications/v1/destinations"
SCOPE = "sellingpartnerapi::notifications"
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The request has an invalid grant parameter : refresh_token",
}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "Client authentication failed"}


def test_a_refresh_grant_issues_a_seller_token_that_opens_the_reports_api(simulator):
    # when the app trades the seller's refresh token
    response = simulator.lwa(grant_type="refresh_token", refresh_token=simulator.refresh_token)

    # then it gets a bearer token, the refresh token echoed, and access to the seller's data
    body = response.json()
    assert response.status_code == 200
    assert body["access_token"].startswith("Atza|")
    assert (body["token_type"], body["expires_in"]) == ("bearer", 3600)
    assert body["refresh_token"] == simulator.refresh_token
    assert response.headers["x-amzn-RequestId"]
    reports = simulator.client(body["access_token"]).get(REPORTS, params={"reportTypes": "GET_X"})
    assert reports.status_code == 200


def test_a_client_credentials_grant_issues_a_grantless_token_for_notifications(simulator):
    # when the app asks for the notifications scope
    response = simulator.lwa(grant_type="client_credentials", scope=SCOPE)

    # then the token works for grantless operations and for nothing seller-specific
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert "refresh_token" not in body
    client = simulator.client(body["access_token"])
    assert client.get(DESTINATIONS).status_code == 200
    assert client.get(REPORTS, params={"reportTypes": "GET_X"}).status_code == 403


def test_a_seller_token_cannot_call_grantless_operations(simulator):
    assert simulator.seller().get(DESTINATIONS).status_code == 403


def test_refresh_token_and_scope_together_are_an_invalid_request(simulator):
    response = simulator.lwa(
        grant_type="refresh_token", refresh_token=simulator.refresh_token, scope=SCOPE
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("client_id", "client_secret"),
    [
        ("amzn1.application-oa2-client.demo", "rotated-secret"),
        ("amzn1.application-oa2-client.unknown", "amzn1.oa2-cs.v1.demo-secret"),
    ],
)
def test_a_wrong_client_id_or_secret_is_invalid_client(simulator, client_id, client_secret):
    form = {
        "grant_type": "refresh_token",
        "refresh_token": simulator.refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }

    response = simulator.http.post(simulator.token_url, data=form)

    assert response.status_code == 401
    assert response.json() == INVALID_CLIENT


def test_an_unknown_refresh_token_is_an_invalid_grant(simulator):
    response = simulator.lwa(grant_type="refresh_token", refresh_token="Atzr|nobody")

    assert response.status_code == 400
    assert response.json() == INVALID_GRANT


def test_a_revoked_refresh_token_is_an_invalid_grant(simulator):
    # given the seller revoked the app
    simulator.sim.faults.revoked_refresh_tokens.add(simulator.refresh_token)

    # when the app refreshes
    response = simulator.lwa(grant_type="refresh_token", refresh_token=simulator.refresh_token)

    # then LWA refuses for good
    assert response.status_code == 400
    assert response.json() == INVALID_GRANT


def test_lwa_server_errors_last_as_many_requests_as_asked(simulator):
    # given two LWA failures to come
    simulator.sim.faults.lwa_errors = 2
    form = {"grant_type": "refresh_token", "refresh_token": simulator.refresh_token}

    # when the app asks three times
    answers = [simulator.lwa(**form) for _ in range(3)]

    # then two server errors, then a token
    assert [a.status_code for a in answers] == [500, 500, 200]
    assert answers[0].json()["error"] == "server_error"
    assert simulator.sim.faults.lwa_errors == 0


def test_an_unsupported_grant_type_is_rejected(simulator):
    response = simulator.lwa(grant_type="password")

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_an_unknown_scope_is_rejected(simulator):
    response = simulator.lwa(grant_type="client_credentials", scope="sellingpartnerapi::everything")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_client_credentials_in_a_basic_auth_header_are_accepted(simulator):
    form = {"grant_type": "client_credentials", "scope": SCOPE}
    auth = (simulator.client_id, simulator.client_secret)

    response = simulator.http.post(simulator.token_url, data=form, auth=auth)

    assert response.status_code == 200


def test_an_access_token_expires_after_its_lifetime(make_simulator, manual_clock):
    # given a token issued by a simulator on a manual clock
    running = make_simulator(clock=manual_clock, token_ttl_seconds=3600)
    client = running.seller()
    assert client.get(REPORTS, params={"reportTypes": "GET_X"}).status_code == 200

    # when its hour is up
    manual_clock.advance(3600)
    response = client.get(REPORTS, params={"reportTypes": "GET_X"})

    # then SP-API denies access and says why
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert (error["code"], error["message"]) == (
        "Unauthorized",
        "Access to requested resource is denied.",
    )
    assert "expired" in error["details"]


@pytest.mark.parametrize("token", [None, "Atza|forged"])
def test_a_missing_or_unknown_access_token_is_unauthorized(simulator, token):
    response = simulator.client(token).get(REPORTS, params={"reportTypes": "GET_X"})

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "Unauthorized"
    assert response.headers["x-amzn-RequestId"]
    assert "x-amzn-RateLimit-Limit" not in response.headers
