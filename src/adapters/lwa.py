"""Login with Amazon access tokens (refresh-token and client-credentials grants), cached."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from adapters.http_retry import Retrying, retryable_status
from domain.errors import AuthError, InvalidClientError, InvalidGrantError, SpApiServerError
from domain.marketplaces import LWA_ENDPOINT
from domain.ports import Credentials

log = logging.getLogger(__name__)

OPERATION = "lwa.token"
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
_RETRYABLE_ERRORS = frozenset({"server_error", "temporarily_unavailable"})


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _retryable(response: httpx.Response) -> bool:
    return retryable_status(response) or _error_code(response) in _RETRYABLE_ERRORS


class LwaAccessTokens:
    """The AccessTokens port over LWA. One cached token per (client id, refresh token or scope)."""

    def __init__(
        self,
        http: httpx.Client,
        credentials: Credentials,
        endpoint: str = LWA_ENDPOINT,
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin_seconds: float = 60.0,
        retrying: Retrying | None = None,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._endpoint = endpoint
        self._clock = clock
        self._margin = refresh_margin_seconds
        self._retrying = retrying or Retrying()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def for_seller(self, seller_id: str) -> str:
        refresh_token = self._credentials.refresh_token(seller_id)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token(form, f"seller {seller_id}")

    def grantless(self, scope: str = NOTIFICATIONS_SCOPE) -> str:
        form = {"grant_type": "client_credentials", "scope": scope}
        return self._token(form, f"scope {scope}")

    def _token(self, grant: dict[str, str], subject: str) -> str:
        app = self._credentials.app()
        # The cache key is a digest so that no secret sits in a dict a debugger might print.
        material = "\0".join([app.client_id, *(f"{k}={v}" for k, v in sorted(grant.items()))])
        key = hashlib.sha256(material.encode()).hexdigest()
        with self._lock_for(key):
            cached = self._tokens.get(key)
            if cached is not None and self._clock() < cached[1] - self._margin:
                return cached[0]
            form = {**grant, "client_id": app.client_id, "client_secret": app.client_secret}
            token, expires_in = self._fetch(form, subject)
            self._tokens[key] = (token, self._clock() + expires_in)
            return token

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())

    def _fetch(self, form: dict[str, str], subject: str) -> tuple[str, float]:
        try:
            response = self._retrying.run(
                lambda: self._http.post(self._endpoint, data=form),
                operation=OPERATION,
                retryable=_retryable,
            )
        except httpx.TransportError as exc:
            raise SpApiServerError(
                OPERATION, f"Login with Amazon unreachable ({type(exc).__name__}); retry later"
            ) from None
        request_id = response.headers.get("x-amzn-RequestId")
        if response.is_success:
            return _parse_token(response, request_id)
        code = _error_code(response)
        status = response.status_code
        log.warning("LWA refused %s: HTTP %s %s (%s)", subject, status, code, request_id)
        suffix = f" (HTTP {status}, x-amzn-RequestId {request_id})"
        if code == "invalid_grant":
            raise InvalidGrantError(
                f"LWA rejected the refresh token for {subject} (invalid_grant): the seller must "
                f"authorise the app again and the new refresh token must be stored{suffix}"
            )
        if code == "invalid_client" or status == 401:
            raise InvalidClientError(
                f"LWA rejected the app's client id or secret (invalid_client): update the client "
                f"credentials (secrets are rotated every 180 days){suffix}"
            )
        if status >= 500 or code in _RETRYABLE_ERRORS:
            raise SpApiServerError(
                OPERATION,
                f"Login with Amazon failed ({code or 'no error code'}); retry later",
                status=status,
                code=code,
                request_id=request_id,
            )
        raise AuthError(f"LWA refused to issue a token for {subject} ({code}){suffix}")


def _parse_token(response: httpx.Response, request_id: str | None) -> tuple[str, float]:
    try:
        body: Any = response.json()
        token = body["access_token"]
        expires_in = float(body.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SpApiServerError(
            OPERATION, "Login with Amazon sent no access token", request_id=request_id
        ) from None
    if not isinstance(token, str) or not token:
        raise SpApiServerError(OPERATION, "Login with Amazon sent an empty access token")
    return token, expires_in
