"""Streaming stages for report documents (gunzip, size ceiling, transcoding, tallies) in bounded
memory: each takes and yields chunks of bytes and never holds a whole document."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterable, Iterator

from domain.charsets import ASCII_TRANSPARENT, UTF8
from domain.errors import CorruptDocumentError, DocumentTooLargeError, UndecodableDocumentError
from domain.ports import Decompressor

CHUNK_SIZE = 1 << 20
TRANSCODE_PIECE = 1 << 18


def gunzip(
    chunks: Iterable[bytes],
    new_decompressor: Callable[[], Decompressor],
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """Decompresses a (multi-member) gzip stream into chunks of at most `chunk_size` bytes, so
    even a gzip bomb allocates no more than one chunk at a time. Raises CorruptDocumentError
    for corrupt data, a stream that ends before its end marker, or an empty body."""
    decompressor = new_decompressor()
    in_member = False  # bytes of an unfinished member were fed: its end must still come
    offset = 0
    for chunk in chunks:
        data, pending = chunk, False
        while data or pending:
            in_member = in_member or bool(data)
            try:
                out = decompressor.decompress(data, chunk_size)
            # Decompressors of other libraries raise their own classes (isal: IsalError), and
            # nothing but the input can make decompress() fail.
            except Exception as exc:
                message = f"the gzip stream is corrupt near compressed byte {offset}: {exc}"
                raise CorruptDocumentError(message) from None
            if out:
                yield out
            if decompressor.eof:
                # Members may be concatenated: whatever follows one starts the next.
                data, pending = decompressor.unused_data, False
                decompressor, in_member = new_decompressor(), False
            else:
                # A full output chunk may leave more output inside the decompressor even when
                # all input was taken: ask again with no input until it runs dry.
                data, pending = decompressor.unconsumed_tail, len(out) == chunk_size
        offset += len(chunk)
    if in_member:
        message = f"the gzip stream ends early, after {offset} compressed bytes (truncated?)"
        raise CorruptDocumentError(message)
    if offset == 0:
        raise CorruptDocumentError("the document is empty: not even a gzip header")


def rechunk(chunks: Iterable[bytes], chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Passes chunks through, split so none exceeds `chunk_size` (for uncompressed bodies)."""
    for chunk in chunks:
        if len(chunk) <= chunk_size:
            yield chunk
        else:
            yield from (chunk[i : i + chunk_size] for i in range(0, len(chunk), chunk_size))


def ceiling(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """Raises DocumentTooLargeError as soon as more than `max_bytes` have passed."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise DocumentTooLargeError(
                f"the document decompresses to more than {max_bytes} bytes, the configured "
                "ceiling (max_decompressed_bytes): a gzip bomb, or a ceiling set too low"
            )
        yield chunk


def transcode(chunks: Iterable[bytes], codec: str, label: str | None = None) -> Iterator[bytes]:
    """Decodes strictly with `codec` and yields UTF-8 (UTF-8 input is validated and yielded
    unchanged, a BOM included: nothing is stripped). Raises UndecodableDocumentError at the
    first byte sequence that is invalid in `codec`, or an incomplete one at the end."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    passthrough = codec == UTF8
    ascii_transparent = codec in ASCII_TRANSPARENT
    offset = 0
    for chunk in chunks:
        # getstate()[0] holds the start of a multi-byte sequence split across chunks.
        if ascii_transparent and chunk.isascii() and not decoder.getstate()[0]:
            yield chunk
            offset += len(chunk)
            continue
        view = memoryview(chunk)
        # Pieces small enough that the text stays in the CPU cache between decode and encode:
        # about a third faster than whole 1 MiB chunks.
        for start in range(0, len(chunk), TRANSCODE_PIECE):
            try:
                text = decoder.decode(view[start : start + TRANSCODE_PIECE])
            except UnicodeDecodeError as exc:
                raise _undecodable(label or codec, offset + start + exc.start) from None
            if not passthrough:
                yield text.encode(UTF8)
        if passthrough:
            yield chunk
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _undecodable(label or codec, offset) from None


def _undecodable(label: str, position: int) -> UndecodableDocumentError:
    return UndecodableDocumentError(f"the document is not valid {label} near byte {position}")


class Tally:
    """Counts, hashes and line-counts the bytes that pass through, without keeping them."""

    def __init__(self) -> None:
        self.bytes = 0
        self.newlines = 0
        self._last = b"\n"
        self._sha256 = hashlib.sha256()

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if chunk:
                self._sha256.update(chunk)
                self.bytes += len(chunk)
                self.newlines += chunk.count(b"\n")
                self._last = chunk[-1:]
                yield chunk

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def lines(self) -> int:
        """Lines, where a last line without a newline still counts."""
        return self.newlines + (self._last != b"\n")

    @property
    def rows(self) -> int:
        """Data lines of a delimited file: lines minus the header. (A CSV field holding a
        newline counts as an extra line.)"""
        return max(self.lines - 1, 0)


class Meter:
    """Counts downloaded bytes and reports the running total to an optional callback."""

    def __init__(self, on_progress: Callable[[int], None] | None = None) -> None:
        self.bytes = 0
        self._on_progress = on_progress

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.bytes += len(chunk)
            if self._on_progress is not None:
                self._on_progress(self.bytes)
            yield chunk
