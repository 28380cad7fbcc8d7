"""Login with Amazon: the token endpoint (both grants) and the access tokens it issued."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from sandbox.settings import Faults, SimulatorConfig
from sandbox.wsgi import Request, Response, json_response

TOKEN_PATH = "/auth/o2/token"  # noqa: S105 - a path, not a secret
GRANTLESS_SCOPES = frozenset(
    {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}
)
_LWA_JSON = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Principal:
    """Who an access token speaks for: a selling partner (refresh grant; a seller id or a vendor
    group id) or the app itself (a scope)."""

    client_id: str
    seller_id: str | None
    scope: str | None
    expires_at: float

    @property
    def caller(self) -> str:
        """The token-bucket key: SP-API limits per application and selling partner."""
        return f"{self.client_id}/{self.seller_id or self.scope}"


class TokenStore:
    def __init__(self, clock: Callable[[], float], ttl: int) -> None:
        self._clock = clock
        self._ttl = ttl
        self._tokens: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def issue(
        self, client_id: str, *, seller_id: str | None = None, scope: str | None = None
    ) -> str:
        token = "Atza|" + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = Principal(client_id, seller_id, scope, self._clock() + self._ttl)
        return token

    def resolve(self, token: str | None) -> tuple[Principal | None, str]:
        """The principal behind a token, or None with the reason Amazon would give."""
        if not token:
            return None, "The request is missing the x-amz-access-token header."
        with self._lock:
            principal = self._tokens.get(token)
        if principal is None:
            return None, "The access token you provided is revoked, malformed or invalid."
        if self._clock() >= principal.expires_at:
            return None, "The access token you provided has expired."
        return principal, ""


def _lwa_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description}, _LWA_JSON)


def _form(request: Request) -> dict[str, str]:
    content_type = (request.header("content-type") or "").lower()
    text = request.body.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _basic_auth(request: Request) -> tuple[str, str] | None:
    value = request.header("authorization") or ""
    if not value.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(value[6:]).decode("utf-8").partition(":")
    except ValueError:
        return None
    return unquote(user), unquote(password)


def token_endpoint(
    request: Request, config: SimulatorConfig, faults: Faults, tokens: TokenStore
) -> Response:
    """POST /auth/o2/token: LWA's answers, including its error codes and statuses."""
    if request.method != "POST":
        return _lwa_error(405, "invalid_request", "The HTTP method is not supported")
    if faults.take("lwa_errors"):
        return _lwa_error(500, "server_error", "Internal server error; please retry the request")
    form = _form(request)
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id and (basic := _basic_auth(request)):
        client_id, client_secret = basic
    grant = form.get("grant_type", "")
    if not grant:
        return _lwa_error(
            400, "invalid_request", "The request is missing a required parameter : grant_type"
        )
    if grant not in ("refresh_token", "client_credentials"):
        return _lwa_error(
            400, "unsupported_grant_type", "The authorization grant type is not supported"
        )
    if "refresh_token" in form and "scope" in form:
        return _lwa_error(
            400, "invalid_request", "The request has both refresh_token and scope; send one"
        )
    expected = config.clients.get(client_id)
    if expected is None or not secrets.compare_digest(expected, client_secret):
        return _lwa_error(401, "invalid_client", "Client authentication failed")
    body: dict[str, Any] = {"token_type": "bearer", "expires_in": config.token_ttl_seconds}
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        seller = config.partner(refresh)
        if not refresh or seller is None or refresh in faults.revoked_refresh_tokens:
            return _lwa_error(
                400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        body = {
            "access_token": tokens.issue(client_id, seller_id=seller),
            "refresh_token": refresh,
            **body,
        }
    else:
        scope = form.get("scope", "")
        if not scope:
            return _lwa_error(
                400, "invalid_request", "The request is missing a required parameter : scope"
            )
        if scope not in GRANTLESS_SCOPES:
            return _lwa_error(400, "invalid_scope", "An unknown scope was requested")
        body = {"access_token": tokens.issue(client_id, scope=scope), "scope": scope, **body}
    response = json_response(200, body, _LWA_JSON)
    response.headers += [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
    return response
