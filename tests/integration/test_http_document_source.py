"""HttpDocumentSource against a real loopback HTTP server, and the storage path end to end."""

import gzip
import hashlib
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from adapters.fast_gzip import gzip_decompressor
from adapters.file_lake import FileLake
from adapters.http_document_source import HttpDocumentSource
from domain.errors import DocumentDownloadError, DocumentUrlExpiredError
from domain.lake import data_key, manifest_key
from domain.model import Report, ReportStatus
from domain.storing import DocumentStorer
from tests.fakes import FakeClock, FakeReportsApi

SECRET = "X-Amz-Signature=5ecr3t5ignature&X-Amz-Credential=AKIAEXAMPLE"
TSV = "sku\ttitle\tprice\n" + "".join(
    f"DE-{i}\tKühlschrank – „{i}“ €\t{i}.99\n" for i in range(5000)
)
BODY = gzip.compress(TSV.encode("cp1252"))


class Documents(BaseHTTPRequestHandler):
    """Serves what a pre-signed S3 URL would, by path: a document, a 403, a 500, a short body."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        Documents.seen.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path.split("?")[0]
        if path == "/expired":
            self._send(403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml")
        elif path == "/encoded":  # as with enableContentEncodingUrlHeader=true
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=Cp1252")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif path == "/broken":
            self._send(500, b"<Error><Code>InternalError</Code></Error>", "application/xml")
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[: len(BODY) // 2])
            self.close_connection = True
        else:
            self._send(200, BODY, "text/plain; charset=Cp1252")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Documents)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    # Headers a shared SP-API client might carry; none of them may reach the document host.
    headers = {"x-amz-access-token": "Atza|token", "authorization": "Bearer x"}
    with httpx.Client(timeout=5, headers=headers) as client:
        yield client


def test_a_document_streams_as_sent_with_its_content_type(server, http):
    with HttpDocumentSource(http, chunk_size=4096).open(f"{server}/doc?{SECRET}") as stream:
        chunks = list(stream.chunks())

    assert b"".join(chunks) == BODY
    assert max(len(c) for c in chunks) <= 4096
    assert stream.content_type == "text/plain; charset=Cp1252"


def test_a_body_sent_with_content_encoding_gzip_still_arrives_compressed(server, http):
    with HttpDocumentSource(http).open(f"{server}/encoded?{SECRET}") as stream:
        assert b"".join(stream.chunks()) == BODY


def test_the_request_carries_no_credentials_and_asks_for_identity_encoding(server, http):
    with HttpDocumentSource(http).open(f"{server}/doc?{SECRET}") as stream:
        list(stream.chunks())

    headers = Documents.seen[-1]
    assert headers["accept-encoding"] == "identity"
    assert {"authorization", "x-amz-access-token", "cookie"}.isdisjoint(headers)


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/expired", DocumentUrlExpiredError, "403"),
        ("/broken", DocumentDownloadError, "HTTP 500"),
        ("/truncated", DocumentDownloadError, f"of {len(BODY)} bytes"),
    ],
)
def test_failures_become_domain_errors_that_never_reveal_the_url(
    server, http, caplog, path, error, message
):
    caplog.set_level(logging.DEBUG, logger="httpx")
    source = HttpDocumentSource(http)

    with (
        pytest.raises(error, match=message) as raised,
        source.open(f"{server}{path}?{SECRET}") as stream,
    ):
        list(stream.chunks())

    assert "127.0.0.1" in str(raised.value)
    for text in (str(raised.value), repr(raised.value), repr(source)):
        assert "5ecr3t" not in text
        assert "X-Amz" not in text
        assert path not in text
    assert "HTTP Request: GET" in caplog.text, "httpx logs each request: with the query redacted"
    assert "5ecr3t" not in caplog.text
    assert "X-Amz" not in caplog.text


def test_an_unreachable_host_is_a_download_error(http):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with (
        pytest.raises(DocumentDownloadError, match="ConnectError") as raised,
        HttpDocumentSource(http).open(f"http://127.0.0.1:{port}/doc?{SECRET}"),
    ):
        pass

    assert "5ecr3t" not in str(raised.value)


def test_a_cp1252_report_goes_from_loopback_http_to_utf8_files_in_the_lake(server, http, tmp_path):
    report = Report(
        seller_id="A3TH9S8BH6GOGM",
        report_id="54517018502",
        report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
        status=ReportStatus.DONE,
        created_time=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
        document_id="amzn1.spdoc.1.4.eu.e2e",
    )
    reports = FakeReportsApi()
    reports.add(report)
    reports.documents[report.document_id] = f"{server}/doc?{SECRET}"
    lake = FileLake(tmp_path)
    storer = DocumentStorer(
        reports, HttpDocumentSource(http, 8192), lake, FakeClock(), gzip_decompressor
    )

    stored = storer.store(report)

    stored_bytes = (tmp_path / data_key(report)).read_bytes()
    assert stored_bytes == TSV.encode("utf-8")
    manifest = lake.get_manifest(manifest_key(report))
    assert manifest["rows"] == 5000
    assert manifest["sha256"] == hashlib.sha256(stored_bytes).hexdigest()
    assert manifest["compressedBytes"] == len(BODY)
    assert stored.data_key == data_key(report)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "54517018502.json",
        "54517018502.tsv",
    ]
