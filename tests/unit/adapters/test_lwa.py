"""LWA tokens: exact grants, caching until shortly before expiry, and fail-fast auth errors."""

from __future__ import annotations

import threading
import time as real_time

import httpx
import pytest

from adapters.env_credentials import StaticCredentials
from adapters.http_retry import Retrying, RetryPolicy
from adapters.lwa import NOTIFICATIONS_SCOPE, LwaAccessTokens
from domain.errors import AuthError, InvalidClientError, InvalidGrantError, SpApiServerError
from tests.unit.adapters.support import FakeTime, Script, assert_no_secret, reply

ENDPOINT = "https://api.amazon.com/auth/o2/token"
CLIENT_ID = "amzn1.application-oa2-client.abc"
CLIENT_SECRET = "amzn1.oa2-cs.v1.SECRET"
REFRESH = "Atzr|refresh-SECRET"
SECRETS = (CLIENT_SECRET, REFRESH, "Atza|")


def token(value: str = "Atza|access-1", expires_in: int = 3600) -> httpx.Response:
    body = {"access_token": value, "token_type": "bearer", "expires_in": expires_in}
    return reply(200, body)


def lwa_error(status: int, error: str) -> httpx.Response:
    body = {"error": error, "error_description": f"bad {REFRESH}"}
    return reply(status, body, **{"x-amzn-RequestId": "lwa-req-9"})


def make_tokens(
    script: Script, time: FakeTime | None = None, refresh: str | dict[str, str] = REFRESH
) -> LwaAccessTokens:
    time = time or FakeTime()
    return LwaAccessTokens(
        script.client(),
        StaticCredentials(CLIENT_ID, CLIENT_SECRET, refresh),
        ENDPOINT,
        clock=time.clock,
        retrying=Retrying(RetryPolicy(), sleep=time.sleep, random=lambda: 1.0, clock=time.clock),
    )


def test_the_refresh_token_grant_posts_exactly_the_documented_form() -> None:
    script = Script([token()])

    assert make_tokens(script).for_seller("A3TH9S8BH6GOGM") == "Atza|access-1"

    request = script.requests[0]
    assert request.method == "POST"
    assert str(request.url) == ENDPOINT
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert script.form() == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_the_grantless_call_sends_a_scope_and_never_a_refresh_token() -> None:
    script = Script([token("Atc|app")])

    assert make_tokens(script).grantless(NOTIFICATIONS_SCOPE) == "Atc|app"

    assert script.form() == {
        "grant_type": "client_credentials",
        "scope": "sellingpartnerapi::notifications",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_a_token_is_cached_per_refresh_token_and_per_scope() -> None:
    script = Script([token("t1"), token("t2"), token("t3")])
    tokens = make_tokens(script, refresh={"S1": "r1", "S2": "r2", "S3": "r1"})

    first = [
        tokens.for_seller("S1"),
        tokens.for_seller("S2"),
        tokens.grantless(NOTIFICATIONS_SCOPE),
    ]
    again = [
        tokens.for_seller("S3"),
        tokens.for_seller("S2"),
        tokens.grantless(NOTIFICATIONS_SCOPE),
    ]

    assert first == ["t1", "t2", "t3"]
    assert again == ["t1", "t2", "t3"]  # S3 shares S1's refresh token, so its access token too
    assert script.calls == 3


def test_a_token_is_refreshed_a_minute_before_it_expires() -> None:
    time = FakeTime()
    script = Script([token("t1", expires_in=3600), token("t2")])
    tokens = make_tokens(script, time)
    tokens.for_seller("S1")

    time.now += 3600 - 61
    still_cached = tokens.for_seller("S1")
    time.now += 2
    refreshed = tokens.for_seller("S1")

    assert (still_cached, refreshed) == ("t1", "t2")
    assert script.calls == 2


def test_concurrent_callers_fetch_one_token() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        real_time.sleep(0.05)
        return token("shared")

    script = Script([slow])
    tokens = make_tokens(script)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(tokens.for_seller("S1"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["shared"] * 8
    assert script.calls == 1


def test_invalid_grant_fails_fast_telling_to_reauthorise() -> None:
    script = Script([lwa_error(400, "invalid_grant")])

    with pytest.raises(InvalidGrantError) as caught:
        make_tokens(script).for_seller("A3TH9S8BH6GOGM")

    assert script.calls == 1
    assert "authorise the app again" in str(caught.value)
    assert "lwa-req-9" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert_no_secret(caught.value, *SECRETS)


def test_invalid_client_fails_fast_telling_to_update_the_secret() -> None:
    script = Script([lwa_error(401, "invalid_client")])

    with pytest.raises(InvalidClientError) as caught:
        make_tokens(script).grantless(NOTIFICATIONS_SCOPE)

    assert script.calls == 1
    assert "update the client credentials" in str(caught.value)
    assert not isinstance(caught.value, InvalidGrantError)
    assert_no_secret(caught.value, *SECRETS)


def test_other_refusals_are_auth_errors_and_not_retried() -> None:
    script = Script([lwa_error(400, "invalid_scope")])

    with pytest.raises(AuthError, match="invalid_scope"):
        make_tokens(script).grantless("sellingpartnerapi::nope")

    assert script.calls == 1


@pytest.mark.parametrize(
    "failure",
    [
        reply(503, {"error": "temporarily_unavailable"}),
        reply(500, {"error": "server_error"}),
        reply(400, {"error": "temporarily_unavailable"}),
        reply(502),
        httpx.ReadTimeout("slow"),
    ],
)
def test_transient_failures_are_retried_then_succeed(failure: httpx.Response | Exception) -> None:
    script = Script([failure, failure, token("after-retries")])

    assert make_tokens(script).for_seller("S1") == "after-retries"
    assert script.calls == 3


def test_persistent_server_errors_become_a_server_error_after_the_retries() -> None:
    time = FakeTime()
    script = Script([lwa_error(500, "server_error")])

    with pytest.raises(SpApiServerError) as caught:
        make_tokens(script, time).for_seller("S1")

    assert caught.value.operation == "lwa.token"
    assert caught.value.request_id == "lwa-req-9"
    assert script.calls == 5
    assert len(time.slept) == 4
    assert_no_secret(caught.value, *SECRETS)


def test_persistent_timeouts_become_a_server_error() -> None:
    script = Script([httpx.ConnectTimeout("no route")])

    with pytest.raises(SpApiServerError, match="ConnectTimeout") as caught:
        make_tokens(script).grantless(NOTIFICATIONS_SCOPE)

    assert caught.value.operation == "lwa.token"
    assert script.calls == 5


def test_a_token_response_without_a_token_is_a_server_error() -> None:
    script = Script([reply(200, {"token_type": "bearer"})])

    with pytest.raises(SpApiServerError):
        make_tokens(script).for_seller("S1")
