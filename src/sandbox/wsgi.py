"""Small WSGI plumbing: a parsed request, a response, and Amazon-style JSON error bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

MAX_BODY = 1024 * 1024
JSON = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base_url: str
    oversized: bool = False  # the body exceeded MAX_BODY and was not read

    @classmethod
    def from_environ(cls, environ: dict[str, Any], base_url: str | None = None) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Reading more than a sane API body would let one request pin memory; refuse it instead.
        body = environ["wsgi.input"].read(length) if 0 < length <= MAX_BODY else b""
        host = headers.get("host") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=environ.get("PATH_INFO") or "/",
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=body,
            base_url=(base_url or f"{environ.get('wsgi.url_scheme', 'http')}://{host}").rstrip("/"),
            oversized=length > MAX_BODY,
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    """A response; `payload` keeps the JSON value so the simulator can check it against models."""

    status: int
    body: Iterable[bytes] = ()
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: Any = None

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))


def new_request_id() -> str:
    return str(uuid.uuid4())


def raw_response(status: int, body: bytes, content_type: str) -> Response:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    return Response(status, [body] if body else [], headers)


def json_response(status: int, payload: Any, content_type: str = JSON) -> Response:
    if payload is None:
        return Response(status, [], [("Content-Length", "0")], None)
    response = raw_response(status, json.dumps(payload).encode("utf-8"), content_type)
    response.payload = payload
    return response


def error_body(code: str, message: str, details: str = "") -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message, "details": details}]}


class ApiError(Exception):
    """Raised by an operation to answer with Amazon's error body."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self) -> Response:
        return json_response(self.status, error_body(self.code, self.message, self.details))


def invalid_input(message: str) -> ApiError:
    return ApiError(400, "InvalidInput", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NotFound", message)


@dataclass(frozen=True)
class Call:
    """One authorised, validated API call, as an operation handler sees it."""

    operation: str
    params: dict[str, Any]
    body: Any
    seller_id: str | None
    client_id: str
    now: float
    base_url: str

    @property
    def seller(self) -> str:
        if self.seller_id is None:
            raise ApiError(403, "Unauthorized", "Access to requested resource is denied.")
        return self.seller_id
