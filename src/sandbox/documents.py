"""Report documents behind pre-signed, expiring, S3-style URLs, streamed gzip as S3 serves them."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

from isal import isal_zlib

from sandbox.content import error_document, render
from sandbox.reports import ReportStore, SimReport
from sandbox.settings import Faults, SimulatorConfig
from sandbox.wsgi import Request, Response, new_request_id, raw_response

PREFIX = "/documents/"
CHUNK = 1024 * 1024
_CORRUPT_SPAN = 64
_S3_XML = "application/xml"


def _s3_error(status: int, code: str, message: str, **extra: str) -> Response:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{fields}"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    )
    return raw_response(status, body.encode("utf-8"), _S3_XML)


def _gzip(chunks: Iterable[bytes]) -> bytes:
    """One gzip member (mtime 0, so the same bytes every time), compressed as chunks arrive."""
    compressor = isal_zlib.compressobj(2, isal_zlib.DEFLATED, 31)
    body = bytearray()
    for chunk in chunks:
        body += compressor.compress(chunk)
    body += compressor.flush()
    return bytes(body)


def _amz_date(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def _pieces(source: bytes | Path) -> Generator[bytes, None, None]:
    if isinstance(source, Path):
        with source.open("rb") as file:
            while piece := file.read(CHUNK):
                yield piece
    else:
        for start in range(0, len(source), CHUNK):
            yield source[start : start + CHUNK]


def _chunks(source: bytes | Path, stop: int, corrupt_at: int | None) -> Iterator[bytes]:
    """The body in CHUNK pieces, cut at `stop` and with garbage at `corrupt_at` if asked."""
    offset = 0
    with closing(_pieces(source)) as pieces:
        for whole in pieces:
            if offset >= stop:
                return
            piece = whole[: stop - offset]
            if corrupt_at is not None and offset <= corrupt_at < offset + len(piece):
                start = corrupt_at - offset
                garbage = bytes(b ^ 0xFF for b in piece[start : start + _CORRUPT_SPAN])
                piece = piece[:start] + garbage + piece[start + len(garbage) :]
            offset += len(piece)
            yield piece


class Documents:
    """Signs download URLs, checks them on download, and serves each document's bytes."""

    def __init__(self, config: SimulatorConfig, faults: Faults, reports: ReportStore) -> None:
        self._config = config
        self._faults = faults
        self._reports = reports
        self._secret = secrets.token_bytes(32)
        self._keys: dict[str, tuple[str, str]] = {}
        self._bodies: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def _sign(self, path: str, query: dict[str, str]) -> str:
        canonical = urlencode(sorted((k, v) for k, v in query.items() if k != "X-Amz-Signature"))
        return hmac.new(self._secret, f"{path}?{canonical}".encode(), hashlib.sha256).hexdigest()

    def presign(self, report: SimReport, base_url: str, now: float, *, gzip_header: bool) -> str:
        """A URL valid for url_ttl_seconds (or already expired, when that fault is on)."""
        assert report.document_id is not None
        # Document ids are unique per seller only, so the object key covers both.
        owner = f"{report.seller_id}/{report.document_id}".encode()
        key = hmac.new(self._secret, owner, hashlib.sha256).hexdigest()[:40]
        with self._lock:
            self._keys[key] = (report.seller_id, report.document_id)
        expires = max(0, int(self._config.url_ttl_seconds))
        issued = now - expires - 1 if self._faults.take("expire_urls") else now
        path = PREFIX + key
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"AKIASANDBOX0EXAMPLE/{_amz_date(issued)[:8]}/us-east-1/s3/"
            "aws4_request",
            "X-Amz-Date": _amz_date(issued),
            "X-Amz-Expires": str(expires),
            "X-Amz-SignedHeaders": "host",
        }
        if gzip_header:
            query["response-content-encoding"] = "gzip"
        query["X-Amz-Signature"] = self._sign(path, query)
        return f"{base_url}{path}?{urlencode(query)}"

    def download(self, request: Request, now: float) -> Response:
        """GET of a pre-signed URL: 403 when expired or tampered with, else the gzip bytes."""
        located = self._keys.get(request.path[len(PREFIX) :])
        if request.method not in ("GET", "HEAD") or located is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        query = {k: v[0] for k, v in request.query.items()}
        signature = query.get("X-Amz-Signature", "")
        if not hmac.compare_digest(signature, self._sign(request.path, query)):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        issued = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        expires = int(query["X-Amz-Expires"])
        if now >= int(issued) + expires:
            return _s3_error(
                403,
                "AccessDenied",
                "Request has expired",
                **{"X-Amz-Expires": str(expires), "Expires": _amz_date(issued + expires)},
                ServerTime=_amz_date(now),
            )
        return self._serve(request, located, query.get("response-content-encoding"))

    def _serve(self, request: Request, located: tuple[str, str], encoding: str | None) -> Response:
        report = self._reports.by_document(*located)
        if report is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        source, size, content_type = self._source(report)
        stop = size // 2 if self._faults.take("truncate_downloads") else size
        corrupt_at = size // 2 if self._faults.take("corrupt_downloads") else None
        body = [] if request.method == "HEAD" else _chunks(source, stop, corrupt_at)
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(size)),
            ("Content-Encoding", encoding or "identity"),
            ("x-amz-request-id", new_request_id()),
        ]
        return Response(200, body, headers)

    def _source(self, report: SimReport) -> tuple[bytes | Path, int, str]:
        override = self._config.document_overrides.get(report.report_type)
        if override is not None and report.status == "DONE":
            return override.path, override.path.stat().st_size, override.content_type
        key = (report.seller_id, report.document_id or "")
        with self._lock:
            cached = self._bodies.get(key)
        if cached is None:
            # Only the compressed body is kept: the text is generated and compressed in chunks.
            if report.status == "DONE":
                chunks, content_type = render(report, self._config.rows)
            else:
                data, content_type = error_document(report)
                chunks = iter((data,))
            cached = (_gzip(chunks), content_type)
            with self._lock:
                self._bodies[key] = cached
        return cached[0], len(cached[0]), cached[1]
