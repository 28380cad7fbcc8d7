"""One document from its pre-signed URL to a lake key, streamed, and the facts of the copy."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from domain.charsets import UTF8, charset_of
from domain.documents import Meter, Tally, ceiling, gunzip, rechunk, transcode
from domain.errors import (
    CorruptDocumentError,
    DocumentDownloadError,
    DocumentUrlExpiredError,
    UndecodableDocumentError,
)
from domain.model import Download, ReportDocument
from domain.ports import Clock, Decompressor, DocumentSource, Lake

GIB = 1 << 30
Progress = Callable[[int], None]
RETRY_PAUSE = 0.5  # seconds before the first download retry; doubled for each next one

_MEDIA_TYPES = {
    "tsv": "text/tab-separated-values",
    "csv": "text/csv",
    "json": "application/json",
    "xml": "application/xml",
    "txt": "text/plain",
}


def zlib_gzip() -> Decompressor:
    return zlib.decompressobj(wbits=31)


class DocumentCopier:
    """Download → gunzip → size ceiling → UTF-8 → tallies → lake, one chunk at a time."""

    def __init__(
        self,
        source: DocumentSource,
        lake: Lake,
        decompressor: Callable[[], Decompressor] = zlib_gzip,
        max_decompressed_bytes: int = 8 * GIB,
    ) -> None:
        self._source = source
        self._lake = lake
        self._decompressor = decompressor
        self._max_bytes = max_decompressed_bytes

    def copy(
        self,
        document: ReportDocument,
        key: str,
        *,
        raw: bool = False,
        delimited: bool = False,
        lines: bool = False,
        on_progress: Progress | None = None,
    ) -> Download:
        """Stores the document at `key`, as UTF-8 when its Content-Type names a text charset,
        byte for byte when `raw` or binary; `delimited` counts rows below a header, `lines` a
        row per line (JSONL). Raises DocumentUrlExpiredError,
        DocumentDownloadError, CorruptDocumentError, DocumentTooLargeError and
        UndecodableDocumentError; whatever it raises, nothing is left at `key`."""
        meter, tally = Meter(on_progress), Tally()
        with self._source.open(document.url) as stream:
            charset = charset_of(stream.content_type)
            body = meter.through(stream.chunks())
            # Data Kiosk tells compression only by Content-Encoding; a report by its document.
            encoded = (stream.content_encoding or "").strip().lower() == "gzip"
            gzipped = document.gzipped or encoded
            plain = gunzip(body, self._decompressor) if gzipped else rechunk(body)
            plain = ceiling(plain, self._max_bytes)
            codec = None if raw else charset.codec
            if codec is not None:
                plain = transcode(plain, codec, charset.label)
                media_type = _MEDIA_TYPES.get(key.rsplit(".", 1)[-1], "text/plain")
                content_type = f"{media_type}; charset=utf-8"
            else:
                content_type = charset.content_type or "application/octet-stream"
            self._lake.put(key, tally.through(plain), content_type)
        return Download(
            content_type=charset.content_type,
            charset=charset.label,
            stored_encoding="UTF-8" if codec else (charset.label if charset.text else None),
            transcoded=codec is not None and codec != UTF8,
            undecodable=charset.text and codec is None,
            compression=document.compression or ("GZIP" if encoded else None),
            compressed_bytes=meter.bytes,
            bytes=tally.bytes,
            rows=tally.rows if delimited else tally.lines if lines else None,
            sha256=tally.sha256,
        )


def copy_with_retries(
    copier: DocumentCopier,
    fetch: Callable[[], ReportDocument],
    key: str,
    clock: Clock,
    *,
    budget: tuple[int, int],
    delimited: bool = False,
    lines: bool = False,
    on_progress: Progress | None = None,
) -> Download:
    """Copies the document `fetch` describes to `key`. `budget` is how many fresh documents
    (URLs) and how many download retries it may use; past them the error propagates."""
    (refreshes, retries), refreshed, retried = budget, 0, 0
    document, raw = fetch(), False
    while True:
        try:
            return copier.copy(
                document, key, raw=raw, delimited=delimited, lines=lines, on_progress=on_progress
            )
        except UndecodableDocumentError:
            # A strict decode can fail at the very last byte, and holding the document to
            # replay it would break the memory bound. The lake's put is atomic, so the
            # failed attempt left nothing: download again and keep the bytes unchanged.
            raw = True
        except DocumentUrlExpiredError:
            if refreshed >= refreshes:
                raise
            refreshed, document = refreshed + 1, fetch()
        except (DocumentDownloadError, CorruptDocumentError):
            if retried >= retries:
                raise
            retried += 1
            clock.sleep(RETRY_PAUSE * 2 ** (retried - 1))


def download_of(manifest: dict[str, Any]) -> Download | None:
    """The Download a manifest records (None for reports stored without a document). Raises
    KeyError, ValueError or TypeError when the manifest does not have the expected shape."""
    if manifest.get("sha256") is None:
        return None
    return Download(
        content_type=manifest["contentType"],
        charset=manifest["charset"],
        stored_encoding=manifest["storedEncoding"],
        transcoded=bool(manifest["transcoded"]),
        undecodable=bool(manifest["undecodable"]),
        compression=manifest["compression"],
        compressed_bytes=int(manifest["compressedBytes"]),
        bytes=int(manifest["bytes"]),
        rows=None if manifest["rows"] is None else int(manifest["rows"]),
        sha256=str(manifest["sha256"]),
    )
