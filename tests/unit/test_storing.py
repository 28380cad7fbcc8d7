"""DocumentStorer: a terminal report lands in the lake once, whole, with its manifest last."""

import gzip
import hashlib
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest

from domain.errors import (
    CorruptDocumentError,
    DocumentDownloadError,
    DocumentTooLargeError,
    DocumentUrlExpiredError,
    ReportNotReadyError,
)
from domain.lake import data_key, error_key, manifest_key
from domain.model import Outcome, Report, ReportDocument, ReportStatus
from domain.storing import DocumentStorer
from tests.fakes import (
    ExpiringDocumentSource,
    FakeClock,
    FakeReportsApi,
    FakeStream,
    FlakyStream,
    StreamingLake,
)

MIB = 1 << 20
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
CP1252 = "text/plain; charset=Cp1252"
TSV = "sku\ttitle\tprice\nDE-1\tCrème brûlée – „Größe“ 5 €\t5.00\nDE-2\tÉté\t7.50\n"


def a_report(status=ReportStatus.DONE, report_type=LISTINGS, document_id="amzn1.spdoc.1.4.eu.d1"):
    return Report(
        seller_id="A3TH9S8BH6GOGM",
        report_id="54517018502",
        report_type=report_type,
        status=status,
        created_time=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
        marketplace_ids=("A1PA6795UKMFR9", "A13V1IB3VIYZZH"),
        data_start=datetime(2026, 11, 26, tzinfo=UTC),
        data_end=datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC),
        processing_start=datetime(2026, 11, 27, 3, 1, tzinfo=UTC),
        processing_end=datetime(2026, 11, 27, 3, 5, tzinfo=UTC),
        document_id=document_id,
    )


def chunked(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@dataclass
class World:
    """The storer wired to in-memory fakes of every port it uses."""

    max_bytes: int = 64 * MIB
    reports: FakeReportsApi = field(default_factory=FakeReportsApi)
    source: ExpiringDocumentSource = field(default_factory=ExpiringDocumentSource)
    lake: StreamingLake = field(default_factory=StreamingLake)
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def storer(self) -> DocumentStorer:
        return DocumentStorer(
            self.reports, self.source, self.lake, self.clock, max_decompressed_bytes=self.max_bytes
        )

    def serve(self, report: Report, body: bytes, content_type: str | None = CP1252, **kw) -> Report:
        """Registers the report and the (already compressed) body behind its document URL."""
        self.reports.add(report)
        if report.document_id:
            url = self.reports.documents[report.document_id]
            self.source.bodies[url] = FakeStream(content_type, chunked(body), **kw)
        return report


@pytest.fixture
def world() -> World:
    return World()


def test_a_cp1252_listing_report_is_stored_as_utf8_with_its_manifest(world):
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))

    stored = world.storer.store(report)

    body = world.lake.objects[data_key(report)]
    assert body == TSV.encode("utf-8")
    assert stored.outcome is Outcome.STORE_DOCUMENT
    assert stored.data_key == data_key(report)
    assert world.lake.content_types[data_key(report)] == "text/tab-separated-values; charset=utf-8"
    assert world.lake.manifests[manifest_key(report)] == {
        "reportId": "54517018502",
        "reportDocumentId": "amzn1.spdoc.1.4.eu.d1",
        "reportType": LISTINGS,
        "sellerId": "A3TH9S8BH6GOGM",
        "marketplaceIds": ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
        "dataStartTime": "2026-11-26T00:00:00Z",
        "dataEndTime": "2026-11-26T23:59:59Z",
        "createdTime": "2026-11-27T03:00:00Z",
        "processingStartTime": "2026-11-27T03:01:00Z",
        "processingEndTime": "2026-11-27T03:05:00Z",
        "processingStatus": "DONE",
        "outcome": "stored",
        "key": data_key(report),
        "ingestedAt": "2026-11-27T12:00:00Z",
        "pipelineVersion": "0.1.0",
        "contentType": CP1252,
        "charset": "Cp1252",
        "storedEncoding": "UTF-8",
        "transcoded": True,
        "undecodable": False,
        "compression": "GZIP",
        "compressedBytes": len(gzip.compress(TSV.encode("cp1252"))),
        "bytes": len(body),
        "rows": 2,
        "sha256": hashlib.sha256(body).hexdigest(),
    }


@pytest.mark.parametrize(
    ("header", "codec", "text"),
    [
        ("text/plain; charset=Shift_JIS", "shift_jis", "出品者SKU\t商品名\nJP-1\t日本語の商品\n"),
        ("text/plain; charset=windows-31j", "cp932", "sku\t商品名\nJP-2\t①髙橋㈱\n"),
        ("text/plain; charset=ISO-8859-1", "latin-1", "sku\ttitle\nFR-1\tÉté à ½ prix\n"),
    ],
)
def test_documents_in_other_charsets_are_stored_as_utf8(world, header, codec, text):
    report = world.serve(a_report(), gzip.compress(text.encode(codec)), header)

    download = world.storer.store(report).download

    assert world.lake.objects[data_key(report)] == text.encode("utf-8")
    assert (download.charset, download.stored_encoding, download.rows) == (
        header.split("=")[1],
        "UTF-8",
        1,
    )


def test_utf8_documents_are_stored_byte_for_byte_and_not_counted_as_transcoded(world):
    text = "\ufeffsku\ttitle\nUK-1\tTea – 50 bags\n".encode()
    report = world.serve(a_report(), gzip.compress(text), "text/plain; charset=UTF-8")

    download = world.storer.store(report).download

    assert world.lake.objects[data_key(report)] == text
    assert (download.transcoded, download.undecodable, download.stored_encoding) == (
        False,
        False,
        "UTF-8",
    )


def test_a_document_invalid_in_its_charset_is_stored_raw_and_flagged(world):
    raw = "sku\ttitle\nDE-1\tCrème\n".encode("cp1252") + b"DE-2\t\x81\x8d odd bytes\n"
    report = world.serve(a_report(), gzip.compress(raw))

    stored = world.storer.store(report)

    assert world.lake.objects[data_key(report)] == raw
    manifest = world.lake.manifests[manifest_key(report)]
    assert (manifest["undecodable"], manifest["storedEncoding"], manifest["transcoded"]) == (
        True,
        "Cp1252",
        False,
    )
    assert manifest["sha256"] == hashlib.sha256(raw).hexdigest()
    assert world.lake.content_types[data_key(report)] == CP1252
    assert stored.download.rows == 2
    assert len(world.source.opened) == 2, "the raw copy needs a second download"


def test_an_expired_url_on_the_raw_download_is_refreshed_and_the_copy_stays_raw(world):
    world.source.expire_opens = {2}
    raw = b"sku\ttitle\nDE-1\t\x81\n"
    report = world.serve(a_report(), gzip.compress(raw))

    download = world.storer.store(report).download

    assert download.undecodable
    assert world.lake.objects[data_key(report)] == raw
    assert (world.reports.document_calls, len(world.source.opened)) == (2, 3)


def test_a_charset_python_does_not_know_is_stored_raw_after_one_download(world):
    report = world.serve(
        a_report(), gzip.compress(b"a\tb\n1\t2\n"), "text/plain; charset=x-klingon"
    )

    download = world.storer.store(report).download

    assert (download.undecodable, download.stored_encoding) == (True, "x-klingon")
    assert world.lake.objects[data_key(report)] == b"a\tb\n1\t2\n"
    assert len(world.source.opened) == 1


def test_a_binary_document_is_never_transcoded(world):
    blob = bytes(range(256)) * 10
    report = world.serve(a_report(), gzip.compress(blob), "application/octet-stream")

    download = world.storer.store(report).download

    assert world.lake.objects[data_key(report)] == blob
    assert (download.undecodable, download.transcoded, download.stored_encoding) == (
        False,
        False,
        None,
    )


def test_a_multi_member_gzip_document_is_stored_whole(world):
    header, rows = "sku\ttitle\n", "".join(f"SKU-{i}\tArtikel Nr. {i} – grün\n" for i in range(500))
    body = gzip.compress(header.encode("cp1252")) + gzip.compress(rows.encode("cp1252"))
    report = world.serve(a_report(), body)

    stored = world.storer.store(report)

    assert world.lake.objects[data_key(report)] == (header + rows).encode()
    assert stored.download.rows == 500


@pytest.mark.parametrize("cut", [10, 100, -1])
def test_a_truncated_document_leaves_nothing_in_the_lake(world, cut):
    whole = gzip.compress(("".join(f"SKU-{i}\tgrün\n" for i in range(3000))).encode("cp1252"))
    report = world.serve(a_report(), whole[:cut])

    with pytest.raises(CorruptDocumentError):
        world.storer.store(report)

    assert world.lake.objects == {}
    assert world.lake.manifests == {}


def test_a_gzip_bomb_stops_at_the_ceiling_and_leaves_nothing(world):
    world.max_bytes = 4 * MIB
    compressor = zlib.compressobj(9, wbits=31)
    bomb = b"".join(compressor.compress(bytes(MIB)) for _ in range(16)) + compressor.flush()
    report = world.serve(a_report(), bomb, "application/octet-stream")

    with pytest.raises(DocumentTooLargeError):
        world.storer.store(report)

    assert (world.lake.objects, world.lake.manifests) == ({}, {})
    assert world.lake.largest_chunk <= MIB


def test_a_download_that_keeps_breaking_leaves_nothing_after_bounded_retries(world):
    broken = DocumentDownloadError("connection reset")
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252"))[:30], error=broken)

    with pytest.raises(DocumentDownloadError):
        world.storer.store(report)

    assert (world.lake.objects, world.lake.manifests) == ({}, {})
    assert len(world.source.opened) == 1 + 3
    assert world.clock.slept == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "error", [DocumentDownloadError("connection reset"), CorruptDocumentError("truncated")]
)
def test_a_download_that_breaks_once_is_retried_and_lands(world, error):
    report = world.serve(a_report(), b"")
    url = world.reports.documents[report.document_id]
    body = chunked(gzip.compress(TSV.encode("cp1252")), 100)
    world.source.bodies[url] = FlakyStream(CP1252, body, error, failures=2)

    stored = world.storer.store(report)

    assert world.lake.objects[stored.data_key] == TSV.encode()
    assert len(world.source.opened) == 3


def test_with_a_document_in_hand_a_broken_download_goes_back_to_the_caller(world):
    broken = DocumentDownloadError("connection reset")
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")), error=broken)
    url = world.reports.documents[report.document_id]

    with pytest.raises(DocumentDownloadError):
        world.storer.store_document(report, ReportDocument(report.document_id, url, "GZIP"))

    assert len(world.source.opened) == 1
    assert world.lake.manifests == {}


def test_an_expired_url_is_replaced_by_a_fresh_document(world):
    world.source.expire_first = 2
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))

    stored = world.storer.store(report)

    assert stored.outcome is Outcome.STORE_DOCUMENT
    assert world.reports.document_calls == 3


def test_urls_that_keep_expiring_give_up_after_the_configured_refreshes(world):
    world.source.expire_first = 100
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))

    with pytest.raises(DocumentUrlExpiredError):
        world.storer.store(report)

    assert world.reports.document_calls == 1 + 3
    assert world.lake.manifests == {}


def test_with_a_document_in_hand_an_expired_url_goes_back_to_the_caller(world):
    world.source.expire_first = 1
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))
    document = ReportDocument(
        report.document_id, world.reports.documents[report.document_id], "GZIP"
    )

    with pytest.raises(DocumentUrlExpiredError):
        world.storer.store_document(report, document)
    stored = world.storer.store_document(report, document)

    assert world.reports.document_calls == 0
    assert world.lake.objects[stored.data_key] == TSV.encode()


def test_an_uncompressed_document_in_hand_is_stored_too(world):
    report = world.serve(a_report(document_id=None), b"")
    world.source.bodies["https://docs.test/plain"] = FakeStream(CP1252, [TSV.encode("cp1252")])
    document = ReportDocument("amzn1.spdoc.plain", "https://docs.test/plain", None)

    stored = world.storer.store_document(report, document)

    assert world.lake.objects[data_key(report)] == TSV.encode()
    assert stored.report.document_id == "amzn1.spdoc.plain"
    assert world.lake.manifests[stored.manifest_key]["compression"] is None


def test_a_cancelled_report_is_recorded_as_no_data_without_any_download(world):
    report = world.serve(a_report(ReportStatus.CANCELLED, document_id=None), b"")

    stored = world.storer.store(report)

    assert stored.outcome is Outcome.NO_DATA
    assert world.lake.objects == {}
    manifest = world.lake.manifests[manifest_key(report)]
    assert (manifest["outcome"], manifest["key"], manifest["processingStatus"]) == (
        "no-data",
        None,
        "CANCELLED",
    )
    assert (world.reports.document_calls, world.source.opened) == (0, [])


def test_a_fatal_report_with_a_document_keeps_that_document_under_errors(world):
    explanation = b'{"errorDetails": "Date range exceeded"}'
    report = world.serve(a_report(ReportStatus.FATAL), gzip.compress(explanation), None)

    stored = world.storer.store(report)

    assert stored.outcome is Outcome.STORE_ERROR_DOCUMENT
    assert stored.data_key == error_key(report)
    assert stored.data_key.startswith("errors/")
    assert stored.data_key.endswith(".txt")
    assert world.lake.objects == {error_key(report): explanation}
    assert world.lake.manifests[manifest_key(report)]["rows"] is None


def test_a_fatal_report_without_a_document_gets_a_manifest_alone(world):
    report = world.serve(a_report(ReportStatus.FATAL, document_id=None), b"")

    stored = world.storer.store(report)

    assert (stored.outcome, stored.data_key) == (Outcome.FAILED_WITHOUT_DOCUMENT, None)
    assert world.lake.manifests[manifest_key(report)]["outcome"] == "fatal"
    assert world.lake.objects == {}


@pytest.mark.parametrize("status", [ReportStatus.IN_QUEUE, ReportStatus.IN_PROGRESS])
def test_a_report_still_in_progress_is_not_ready(world, status):
    with pytest.raises(ReportNotReadyError):
        world.storer.store(a_report(status, document_id=None))


def test_a_done_report_without_its_document_id_is_looked_up_first(world):
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))

    stored = world.storer.store(replace(report, document_id=None))

    assert stored.report.document_id == report.document_id
    assert world.reports.get_report_calls == 1


def test_storing_a_stored_report_again_downloads_nothing(world):
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))
    first = world.storer.store(report)

    again = world.storer.store(report)

    assert again.reused
    assert not first.reused
    assert (again.outcome, again.data_key, again.download) == (
        first.outcome,
        first.data_key,
        first.download,
    )
    assert (world.reports.document_calls, len(world.source.opened)) == (1, 1)


def test_force_stores_a_stored_report_again(world):
    report = world.serve(a_report(), gzip.compress(TSV.encode("cp1252")))
    world.storer.store(report)
    world.clock.sleep(60)

    world.storer.store(report, force=True)

    assert len(world.source.opened) == 2
    assert world.lake.manifests[manifest_key(report)]["ingestedAt"] == "2026-11-27T12:01:00Z"


def test_a_large_document_flows_through_in_bounded_chunks(world):
    row = "SKU-000000\tKühlschrank – Edelstahl, 200 € „Angebot“\t199.99\n"
    text = ("sku\ttitle\tprice\n" + row * 200_000).encode("cp1252")  # about 12 MiB
    report = world.serve(a_report(), gzip.compress(text, 1))
    progress: list[int] = []

    stored = world.storer.store(report, on_progress=progress.append)

    assert stored.download.rows == 200_000
    assert world.lake.chunks_seen > 10
    assert world.lake.largest_chunk <= 3 * MIB, "1 MiB decompressed, at most 3 bytes per char"
    assert progress[-1] == stored.download.compressed_bytes
    assert progress == sorted(progress)
