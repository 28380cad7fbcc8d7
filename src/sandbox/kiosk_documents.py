"""Data Kiosk documents behind expiring, signed URLs: JSONL (or the error JSON), gzip by header."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Mapping
from urllib.parse import urlencode

from sandbox.kiosk_rows import jsonl
from sandbox.kiosk_schema import check
from sandbox.kiosk_store import QueryStore, SimQuery
from sandbox.wsgi import Request, Response, new_request_id, raw_response

KIOSK_PREFIX = "/kiosk-documents/"


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return raw_response(status, body.encode("utf-8"), "application/xml")


def error_document(query: SimQuery) -> bytes:
    message = f"The query could not be processed: simulated fatal error for query {query.query_id}."
    return json.dumps({"errorMessage": message}).encode("utf-8")


class KioskDocuments:
    """Signs download URLs valid for `ttl` seconds and serves gzip bodies with Content-Encoding."""

    def __init__(
        self, store: QueryStore, ttl: float, rows: int, homes: Mapping[str, str] | None = None
    ) -> None:
        self._store = store
        self._homes = dict(homes or {})  # partner -> the one marketplace of a vendor account
        self._ttl = max(0, int(ttl))
        self._rows = rows
        self._secret = secrets.token_bytes(32)
        self._keys: dict[str, tuple[str, str]] = {}
        self._bodies: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def _sign(self, key: str, expires: str) -> str:
        return hmac.new(self._secret, f"{key}?{expires}".encode(), hashlib.sha256).hexdigest()

    def presign(self, query: SimQuery, document_id: str, base_url: str, now: float) -> str:
        key = self._sign(f"{query.partner_id}/{document_id}", "")[:40]
        with self._lock:
            self._keys[key] = (query.partner_id, document_id)
        expires = str(int(now) + self._ttl)
        params = {"Expires": expires, "Signature": self._sign(key, expires)}
        return f"{base_url}{KIOSK_PREFIX}{key}?{urlencode(params)}"

    def download(self, request: Request, now: float) -> Response:
        key = request.path[len(KIOSK_PREFIX) :]
        located = self._keys.get(key)
        if request.method not in ("GET", "HEAD") or located is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        expires = (request.query.get("Expires") or [""])[0]
        signature = (request.query.get("Signature") or [""])[0]
        if not hmac.compare_digest(signature, self._sign(key, expires)):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature does not match.")
        if now >= int(expires):
            return _s3_error(403, "AccessDenied", "Request has expired")
        query = self._store.by_document(*located)
        if query is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        body = self._body(query, located)
        headers = [
            (
                "Content-Type",
                "application/x-ndjson" if query.status == "DONE" else "application/json",
            ),
            ("Content-Length", str(len(body))),
            ("Content-Encoding", "gzip"),
            ("x-amz-request-id", new_request_id()),
        ]
        return Response(200, [] if request.method == "HEAD" else [body], headers)

    def _body(self, query: SimQuery, located: tuple[str, str]) -> bytes:
        with self._lock:
            cached = self._bodies.get(located)
        if cached is None:
            if query.status == "DONE":
                text = jsonl(
                    check(query.query),
                    f"{query.chain}/{query.page}",
                    self._rows,
                    first=query.page * self._rows,
                    home=self._homes.get(query.partner_id),
                )
            else:
                text = error_document(query)
            cached = gzip.compress(text, mtime=0)
            with self._lock:
                self._bodies[located] = cached
        return cached
