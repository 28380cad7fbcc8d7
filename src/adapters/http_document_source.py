"""The DocumentSource port over httpx: streams a pre-signed document URL, bytes as sent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from domain.errors import DocumentDownloadError, DocumentUrlExpiredError

# Headers of the SP-API client that must never travel to the document host.
_PRIVATE_HEADERS = ("authorization", "x-amz-access-token", "cookie")


class RedactQueries(logging.Filter):
    """httpx logs every request's full URL at INFO, and a pre-signed URL's query string is
    its signature: log lines keep the scheme, host and path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        return True


def _redacted(arg: object) -> object:
    if isinstance(arg, httpx.URL) and arg.query:
        return f"{arg.copy_with(query=None, fragment=None)}?<redacted>"
    return arg


class HttpDocumentStream:
    """An open response. Errors name the host at most: the URL itself is a bearer secret."""

    def __init__(self, response: httpx.Response, host: str, chunk_size: int) -> None:
        self._response = response
        self._host = host
        self._chunk_size = chunk_size

    @property
    def content_type(self) -> str | None:
        value: str | None = self._response.headers.get("content-type")
        return value

    @property
    def content_encoding(self) -> str | None:
        value: str | None = self._response.headers.get("content-encoding")
        return value

    def chunks(self) -> Iterator[bytes]:
        """The body exactly as sent (no Content-Encoding decoding: we gunzip ourselves)."""
        expected = self._response.headers.get("content-length")
        received = 0
        try:
            for chunk in self._response.iter_raw(self._chunk_size):
                received += len(chunk)
                yield chunk
        except httpx.HTTPError as exc:
            of = f" of {expected}" if expected else ""
            raise DocumentDownloadError(
                f"the download from {self._host} broke off after {received}{of} bytes "
                f"({type(exc).__name__})"
            ) from None
        if expected is not None and expected.isdigit() and received != int(expected):
            raise DocumentDownloadError(
                f"the download from {self._host} ended after {received} of {expected} bytes"
            )


class HttpDocumentSource:
    """Raises DocumentUrlExpiredError on 403 (fetch the document again: retrying the URL never
    helps) and DocumentDownloadError on other HTTP errors and broken connections (retry)."""

    def __init__(self, http: httpx.Client, chunk_size: int = 1 << 20) -> None:
        self._http = http
        self._chunk_size = chunk_size
        httpx_log = logging.getLogger("httpx")
        if not any(isinstance(f, RedactQueries) for f in httpx_log.filters):
            httpx_log.addFilter(RedactQueries())

    def __repr__(self) -> str:
        return f"HttpDocumentSource(chunk_size={self._chunk_size})"

    @contextmanager
    def open(self, url: str) -> Iterator[HttpDocumentStream]:
        host = _host(url)
        try:
            request = self._http.build_request("GET", url)
            for name in _PRIVATE_HEADERS:
                request.headers.pop(name, None)
            # The pre-signed URL is the only credential; identity keeps the bytes as stored.
            request.headers["accept-encoding"] = "identity"
            response = self._http.send(request, stream=True, auth=None)
        # Messages of httpx errors may quote the URL: only the class name goes on.
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            message = f"the download from {host} failed ({type(exc).__name__})"
            raise DocumentDownloadError(message) from None
        try:
            if response.status_code == 403:
                raise DocumentUrlExpiredError(
                    f"the document URL on {host} answered 403: it expired; get a fresh one"
                )
            if not response.is_success:
                raise DocumentDownloadError(
                    f"the download from {host} failed with HTTP {response.status_code}"
                )
            yield HttpDocumentStream(response, host, self._chunk_size)
        finally:
            response.close()


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or "an unnamed host"
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an unparseable URL"
