"""Builds the SP-API adapters against a running simulator, recording every HTTP exchange."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
from dependency_injector import providers

from adapters.env_credentials import StaticCredentials
from adapters.http_retry import Retrying, RetryPolicy
from adapters.lwa import LwaAccessTokens
from adapters.rate_limit import DEFAULT_LIMITS, RateLimiter
from adapters.spapi_client import SpApiClient
from adapters.spapi_notifications import SpApiNotificationsApi
from adapters.spapi_reports import SpApiReportsApi
from domain.model import Report
from domain.waiting import PollPolicy

# Retries as the adapters do them, but with millisecond backoff so tests stay fast.
FAST_RETRIES = RetryPolicy(max_attempts=5, max_total_seconds=10.0, base_delay=0.01, max_delay=0.05)
LWA_PATH = "/auth/o2/token"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    status: int
    response: bytes
    request_id: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class RecordingTransport(httpx.BaseTransport):
    """Passes each request to a real transport and keeps what went out and what came back."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        content = response.read()
        self.exchanges.append(
            Exchange(
                method=request.method,
                path=request.url.path,
                query=parse_qs(request.url.query.decode(), keep_blank_values=True),
                body=request.content,
                status=response.status_code,
                response=content,
                request_id=response.headers.get("x-amzn-RequestId"),
            )
        )
        return response

    def close(self) -> None:
        self.inner.close()

    def api_calls(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.path != LWA_PATH]

    def token_calls(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.path == LWA_PATH]


@dataclass
class Wired:
    reports: SpApiReportsApi
    notifications: SpApiNotificationsApi
    tokens: LwaAccessTokens
    limiter: RateLimiter
    transport: RecordingTransport
    http: httpx.Client


def wire(
    simulator: Any,
    *,
    refresh_token: str | None = None,
    client_secret: str | None = None,
    limits: Mapping[str, tuple[float, int]] | None = None,
    page_size: int = 100,
) -> Wired:
    """The production adapters, pointed at `simulator` (the conftest fixture's handle)."""
    transport = RecordingTransport()
    http = httpx.Client(transport=transport, timeout=10.0)
    credentials = StaticCredentials(
        simulator.client_id,
        client_secret or simulator.client_secret,
        {simulator.seller_id: refresh_token or simulator.refresh_token},
    )
    retrying = Retrying(FAST_RETRIES)
    tokens = LwaAccessTokens(http, credentials, f"{simulator.url}{LWA_PATH}", retrying=retrying)
    limiter = RateLimiter({**DEFAULT_LIMITS, **(limits or {})})
    client = SpApiClient(http, tokens, simulator.url, limiter=limiter, retrying=retrying)
    return Wired(
        SpApiReportsApi(client, page_size=page_size),
        SpApiNotificationsApi(client),
        tokens,
        limiter,
        transport,
        http,
    )


def wait_for(
    poll: Callable[[], Report], done: Callable[[Report], bool], timeout: float = 10.0
) -> Report:
    """Poll until `done`; fails the test rather than hanging when the simulator never finishes."""
    deadline = time.monotonic() + timeout
    while True:
        report = poll()
        if done(report) or time.monotonic() > deadline:
            return report
        time.sleep(0.05)


def quicken(container: Any) -> None:
    """A LocalContainer on the same code paths with millisecond waits: retries, rate limits,
    getReport/getQuery polling and waits for a free Data Kiosk slot."""
    fast = PollPolicy(first_interval=0.02, factor=1.5, max_interval=0.2)
    container.retrying.override(providers.Object(Retrying(FAST_RETRIES)))
    container.limiter.override(
        providers.Object(RateLimiter({}, fallback=(1000.0, 1000), margin_seconds=0.0))
    )
    container.poll_policy.override(providers.Object(fast))
    container.slot_policy.override(providers.Object(fast))


def credentials_env(sim: Any) -> dict[str, str]:
    """The variables the CLI reads its LWA credentials from, for the simulator's seller."""
    return {
        "SPAPI_CLIENT_ID": sim.client_id,
        "SPAPI_CLIENT_SECRET": sim.client_secret,
        "SPAPI_REFRESH_TOKEN": sim.refresh_token,
    }
