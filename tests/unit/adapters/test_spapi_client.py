"""SP-API plumbing: headers, error translation, retries, and the limiter's feedback."""

from __future__ import annotations

import re

import httpx
import pytest

from adapters.spapi_client import GRANTLESS_KEY, SpApiClient
from domain.errors import (
    AccessDeniedError,
    AccessTokenExpiredError,
    ConflictError,
    InvalidRequestError,
    ReportNotFoundError,
    SpApiError,
    SpApiServerError,
    ThrottledError,
)
from tests.unit.adapters.support import (
    BASE_URL,
    SELLER_TOKEN,
    FakeTime,
    Script,
    StubTokens,
    assert_no_secret,
    make_client,
    reply,
    sp_error,
)


def get_report(client: SpApiClient) -> object:
    return client.call("getReport", "GET", "/reports/2021-06-30/reports/1", seller_id="S1")


def test_a_call_sends_the_seller_token_and_our_user_agent() -> None:
    script = Script([reply(200, {"ok": True})])
    tokens = StubTokens()

    answer = get_report(make_client(script, tokens=tokens))

    request = script.requests[0]
    assert answer == {"ok": True}
    assert str(request.url) == f"{BASE_URL}/reports/2021-06-30/reports/1"
    assert request.headers["x-amz-access-token"] == SELLER_TOKEN
    assert re.fullmatch(
        r"spapi-lake/\S+ \(Language=Python/3\.\d+\.\d+\)", request.headers["user-agent"]
    )
    assert tokens.sellers == ["S1"]


def test_a_call_without_a_seller_is_grantless() -> None:
    script = Script([reply(200, {"payload": []})])
    tokens = StubTokens()

    make_client(script, tokens=tokens).call(
        "getDestinations", "GET", "/notifications/v1/destinations"
    )

    assert tokens.scopes == ["sellingpartnerapi::notifications"]
    assert tokens.sellers == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InvalidRequestError),
        (403, AccessDeniedError),
        (404, ReportNotFoundError),
        (409, ConflictError),
    ],
)
def test_client_errors_are_translated_and_not_retried(status: int, error: type[SpApiError]) -> None:
    script = Script([sp_error(status, "SomeCode", "it went wrong", request_id="req-42")])

    with pytest.raises(error) as caught:
        get_report(make_client(script))

    assert script.calls == 1
    assert caught.value.operation == "getReport"
    assert caught.value.request_id == "req-42"
    assert caught.value.code == "SomeCode"
    assert caught.value.status == status
    assert "getReport" in str(caught.value)
    assert "req-42" in str(caught.value)
    assert "it went wrong" in str(caught.value)


def test_throttling_that_never_ends_is_a_throttled_error_after_five_attempts() -> None:
    script = Script([sp_error(429, "QuotaExceeded", "You exceeded your quota.")])

    with pytest.raises(ThrottledError) as caught:
        get_report(make_client(script))

    assert script.calls == 5
    assert caught.value.code == "QuotaExceeded"


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_then_reported(status: int) -> None:
    script = Script([sp_error(status, "InternalFailure", "oops", request_id="req-5")])

    with pytest.raises(SpApiServerError) as caught:
        get_report(make_client(script))

    assert script.calls == 5
    assert caught.value.request_id == "req-5"


def test_a_server_error_then_success_returns_the_success() -> None:
    script = Script([sp_error(503, "ServiceUnavailable", "busy"), reply(200, {"reportId": "1"})])

    assert get_report(make_client(script)) == {"reportId": "1"}
    assert script.calls == 2


def test_transport_failures_become_server_errors() -> None:
    script = Script([httpx.ConnectError("refused")])

    with pytest.raises(SpApiServerError, match="ConnectError") as caught:
        get_report(make_client(script))

    assert caught.value.operation == "getReport"


def test_other_statuses_are_plain_sp_api_errors() -> None:
    script = Script([sp_error(401, "Unauthorized", "Access to requested resource is denied.")])

    with pytest.raises(SpApiError) as caught:
        get_report(make_client(script))

    assert type(caught.value) is SpApiError
    assert caught.value.status == 401


def test_errors_never_carry_the_access_token_even_when_amazon_echoes_it() -> None:
    script = Script([sp_error(400, "InvalidInput", f"bad header {SELLER_TOKEN}\nsecond line")])

    with pytest.raises(InvalidRequestError) as caught:
        get_report(make_client(script))

    assert_no_secret(caught.value, SELLER_TOKEN)
    assert "\n" not in str(caught.value)


def test_an_error_without_a_json_body_still_names_the_operation() -> None:
    script = Script([httpx.Response(404, text="<html>nope</html>")])

    with pytest.raises(ReportNotFoundError, match="getReport failed, HTTP 404"):
        get_report(make_client(script))


def test_a_429_drains_the_bucket_so_the_retry_waits_for_a_token() -> None:
    time = FakeTime()
    script = Script([sp_error(429, "QuotaExceeded", "slow down"), reply(200, {})])

    get_report(make_client(script, time, jitter=0.0))

    # No backoff from the retry budget: only the drained bucket's 0.5 s refill of getReport.
    assert time.slept == [pytest.approx(0.5)]


def test_429s_wait_for_tokens_without_spending_the_retry_budget() -> None:
    time = FakeTime()
    throttled = [sp_error(429, "QuotaExceeded", "slow down") for _ in range(4)]
    script = Script([*throttled, reply(200, {"reportId": "1"})])

    # One attempt for faults: four 429s in a row still end in the answer.
    client = make_client(script, time, jitter=0.0, max_attempts=1)
    get_report(client)

    assert len(script.requests) == 5


def test_the_rate_limit_header_is_adopted_for_that_operation_and_seller() -> None:
    time = FakeTime()
    script = Script([reply(200, {}, **{"x-amzn-RateLimit-Limit": "0.5"})])
    client = make_client(script, time)

    get_report(client)

    limiter = client._limiter
    assert limiter.bucket("getReport", "S1").rate == 0.5
    assert limiter.bucket("getReport", GRANTLESS_KEY).rate == 2.0


def test_an_expired_access_token_is_its_own_error_so_the_workflow_authenticates_again() -> None:
    script = Script(
        [
            reply(
                403,
                {
                    "errors": [
                        {
                            "code": "Unauthorized",
                            "message": "Access to requested resource is denied.",
                            "details": "The access token you provided has expired.",
                        }
                    ]
                },
            )
        ]
    )

    with pytest.raises(AccessTokenExpiredError, match="HTTP 403"):
        get_report(make_client(script))
