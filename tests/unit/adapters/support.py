"""Test doubles shared by the adapter unit tests: fake time and a scripted HTTP transport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from adapters.http_retry import Retrying, RetryPolicy
from adapters.rate_limit import RateLimiter
from adapters.spapi_client import SpApiClient

BASE_URL = "https://sellingpartnerapi-eu.amazon.com"
SELLER_TOKEN = "Atza|seller-access-token-SECRET"
APP_TOKEN = "Atc|grantless-access-token-SECRET"


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """An httpx transport that answers from a list (the last reply repeats) and records requests."""

    def __init__(self, replies: Iterable[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return reply(request)

    @property
    def calls(self) -> int:
        return len(self.requests)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def form(self, index: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.requests[index].content.decode()))

    def query(self, index: int = -1) -> dict[str, str]:
        return dict(self.requests[index].url.params)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def reply(status: int = 200, body: Any = None, **headers: str) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={**headers})


def sp_error(status: int, code: str, message: str, request_id: str = "req-1") -> httpx.Response:
    body = {"errors": [{"code": code, "message": message, "details": ""}]}
    return reply(status, body, **{"x-amzn-RequestId": request_id})


class StubTokens:
    """AccessTokens that hand out fixed tokens and count the calls."""

    def __init__(self) -> None:
        self.sellers: list[str] = []
        self.scopes: list[str] = []

    def for_seller(self, seller_id: str) -> str:
        self.sellers.append(seller_id)
        return SELLER_TOKEN

    def grantless(self, scope: str) -> str:
        self.scopes.append(scope)
        return APP_TOKEN


def make_client(
    script: Script,
    time: FakeTime | None = None,
    tokens: StubTokens | None = None,
    jitter: float = 1.0,
    max_attempts: int = 5,
) -> SpApiClient:
    time = time or FakeTime()
    return SpApiClient(
        script.client(),
        tokens or StubTokens(),
        BASE_URL,
        limiter=RateLimiter(margin_seconds=0.0, clock=time.clock, sleep=time.sleep),
        retrying=Retrying(
            RetryPolicy(max_attempts=max_attempts),
            sleep=time.sleep,
            random=lambda: jitter,
            clock=time.clock,
        ),
    )


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    for text in (str(error), repr(error), repr(error.args)):
        for secret in secrets:
            assert secret not in text
