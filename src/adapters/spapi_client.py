"""Shared SP-API request plumbing: headers, rate limiting, retries and error translation."""

from __future__ import annotations

import logging
import platform
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import httpx

from adapters.http_retry import Retrying
from adapters.lwa import NOTIFICATIONS_SCOPE
from adapters.rate_limit import Limiter, RateLimiter
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
from domain.ports import AccessTokens

log = logging.getLogger(__name__)

_ERRORS: dict[int, type[SpApiError]] = {
    400: InvalidRequestError,
    403: AccessDeniedError,
    404: ReportNotFoundError,
    409: ConflictError,
    429: ThrottledError,
}
_MAX_MESSAGE = 300
# Grantless calls are limited per application, not per seller: they share one bucket key.
GRANTLESS_KEY = "grantless"
# A 429 is Amazon's word that the shared bucket is empty: drain ours and wait for the next token,
# without spending the retry budget that is meant for faults. Only this many in a row, though.
MAX_THROTTLED_IN_A_ROW = 5
_FAULTS = frozenset({500, 502, 503, 504})


def _fault(response: httpx.Response) -> bool:
    return response.status_code in _FAULTS


def _version() -> str:
    try:
        return metadata.version("spapi-lake")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"spapi-lake/{_version()} (Language=Python/{platform.python_version()})"


class SpApiClient:
    """Sends one SP-API operation: token, limiter, retries; returns JSON or raises SpApiError."""

    def __init__(
        self,
        http: httpx.Client,
        tokens: AccessTokens,
        base_url: str,
        *,
        limiter: Limiter | None = None,
        retrying: Retrying | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._base_url = base_url.rstrip("/")
        self._limiter: Limiter = limiter or RateLimiter()
        self._retrying = retrying or Retrying()
        self._user_agent = user_agent

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        seller_id: str | None = None,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call as `seller_id`, or grantless (notifications scope) when it is None.

        Returns the decoded JSON body (None when empty). Raises the SpApiError subclass of the
        final status, SpApiServerError after transport failures, RateLimitedError when the
        limiter's wait is too long to sleep through, and the AccessTokens errors.
        """
        key = seller_id if seller_id is not None else GRANTLESS_KEY
        used: list[str] = []

        def attempt() -> httpx.Response:
            token = (
                self._tokens.for_seller(seller_id)
                if seller_id is not None
                else self._tokens.grantless(NOTIFICATIONS_SCOPE)
            )
            used.append(token)
            headers = {"x-amz-access-token": token, "user-agent": self._user_agent}
            for _ in range(MAX_THROTTLED_IN_A_ROW):
                self._limiter.acquire(operation, key)
                response = self._http.request(
                    method, self._base_url + path, params=params, json=body, headers=headers
                )
                if response.status_code != 429:
                    limit = response.headers.get("x-amzn-RateLimit-Limit")
                    self._limiter.adopt(operation, key, limit)
                    return response
                log.info("%s: HTTP 429, waiting for the next token", operation)
                self._limiter.throttled(operation, key)
            return response

        try:
            response = self._retrying.run(attempt, operation=operation, retryable=_fault)
        except httpx.TransportError as exc:
            log.warning("%s failed: %s", operation, type(exc).__name__)
            raise SpApiServerError(
                operation, f"no response from SP-API ({type(exc).__name__}); retry later"
            ) from None
        request_id = response.headers.get("x-amzn-RequestId")
        if response.is_success:
            log.debug("%s: HTTP %s (%s)", operation, response.status_code, request_id)
            return _json(response)
        log.warning("%s failed: HTTP %s (%s)", operation, response.status_code, request_id)
        raise _error(operation, response, request_id, secrets=used)


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _error(
    operation: str, response: httpx.Response, request_id: str | None, *, secrets: list[str]
) -> SpApiError:
    status = response.status_code
    code, message, details = _first_error(_json(response))
    if message is None:
        message = response.reason_phrase or "no error message"
    # Amazon's messages are not ours to trust: one line, bounded, and no token echoed back.
    message = " ".join(message.split())[:_MAX_MESSAGE]
    for secret in secrets:
        message = message.replace(secret, "***")
    if status == 403 and "expired" in (details or "").lower():
        cls: type[SpApiError] = AccessTokenExpiredError
    elif status in _ERRORS:
        cls = _ERRORS[status]
    elif status >= 500:
        cls = SpApiServerError
    else:
        cls = SpApiError
    return cls(operation, message, status=status, code=code, request_id=request_id)


def _first_error(body: Any) -> tuple[str | None, str | None, str | None]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, None, None
    first = errors[0]
    code, message, details = first.get("code"), first.get("message"), first.get("details")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
        details if isinstance(details, str) else None,
    )
