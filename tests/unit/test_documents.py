"""The streaming stages of a document: gunzip, ceiling, charsets, transcoding, tallies."""

import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator

import pytest

from adapters.fast_gzip import gzip_decompressor
from domain.charsets import charset_of, codec_for
from domain.copying import zlib_gzip
from domain.documents import Meter, Tally, ceiling, gunzip, rechunk, transcode
from domain.errors import CorruptDocumentError, DocumentTooLargeError, UndecodableDocumentError

KIB = 1 << 10
DECOMPRESSORS = pytest.mark.parametrize("factory", [zlib_gzip, gzip_decompressor])


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def zeros_gzip(size: int) -> Iterator[bytes]:
    """A gzip stream of `size` zero bytes, compressed a piece at a time (a gzip bomb)."""
    compressor = zlib.compressobj(9, wbits=31)
    block = bytes(1 << 20)
    for _ in range(size // len(block)):
        yield compressor.compress(block)
    yield compressor.flush()


def collect(chunks: Iterable[bytes]) -> bytes:
    return b"".join(chunks)


# gunzip


@DECOMPRESSORS
@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_a_gzip_stream_decompresses_whatever_the_chunking(factory, piece):
    text = b"sku\tprice\n" + b"".join(b"SKU-%06d\t%d.99\n" % (i, i % 100) for i in range(20000))
    assert collect(gunzip(pieces(gzip.compress(text), piece), factory)) == text


@DECOMPRESSORS
def test_concatenated_gzip_members_decompress_as_one_document(factory):
    members = gzip.compress(b"header\n") + gzip.compress(b"row 1\n") + gzip.compress(b"row 2\n")
    for piece in (1, 5, len(members)):
        assert collect(gunzip(pieces(members, piece), factory)) == b"header\nrow 1\nrow 2\n"


@DECOMPRESSORS
def test_no_output_chunk_exceeds_the_bound_even_for_a_highly_compressed_stream(factory):
    sizes = [len(c) for c in gunzip(zeros_gzip(16 << 20), factory, chunk_size=64 * KIB)]
    assert max(sizes) <= 64 * KIB
    assert sum(sizes) == 16 << 20


@DECOMPRESSORS
def test_a_truncated_stream_is_corrupt(factory):
    whole = gzip.compress(b"id\tname\n" * 5000)
    for cut in (1, 10, len(whole) // 2, len(whole) - 1):
        with pytest.raises(CorruptDocumentError, match="ends early"):
            collect(gunzip(pieces(whole[:cut], 1000), factory))


@DECOMPRESSORS
def test_a_stream_truncated_inside_its_second_member_is_corrupt(factory):
    members = gzip.compress(b"first\n") + gzip.compress(b"second\n" * 100)
    with pytest.raises(CorruptDocumentError, match="ends early"):
        collect(gunzip([members[:-3]], factory))


@DECOMPRESSORS
@pytest.mark.parametrize(
    "damage",
    [
        lambda z: b"PK\x03\x04" + z[4:],  # not gzip at all
        lambda z: z[:-8] + bytes([z[-8] ^ 0xFF]) + z[-7:],  # CRC of the content is wrong
        lambda z: z + b"trailing junk",  # garbage after the last member
        lambda z: z[:20] + bytes(40) + z[60:],  # the deflate data is damaged
    ],
)
def test_corrupt_data_raises_a_one_line_corrupt_document_error(factory, damage):
    whole = gzip.compress(b"".join(b"row %d with some text\n" % i for i in range(3000)))
    with pytest.raises(CorruptDocumentError) as raised:
        collect(gunzip(pieces(damage(whole), 512), factory))
    assert "\n" not in str(raised.value)


@DECOMPRESSORS
def test_an_empty_body_is_not_a_gzip_document(factory):
    with pytest.raises(CorruptDocumentError, match="empty"):
        collect(gunzip([], factory))


def test_zlib_and_isal_yield_the_same_bytes():
    members = gzip.compress(b"a\tb\n" * 50000, 1) + gzip.compress("é\n".encode() * 3000, 9)
    assert collect(gunzip(pieces(members, 999), gzip_decompressor)) == collect(
        gunzip(pieces(members, 999), zlib_gzip)
    )


# ceiling and rechunk


def test_a_gzip_bomb_stops_at_the_ceiling_having_made_only_bounded_chunks():
    seen: list[int] = []
    stream = ceiling(gunzip(zeros_gzip(64 << 20), zlib_gzip, chunk_size=KIB * 256), 1 << 20)

    with pytest.raises(DocumentTooLargeError, match="ceiling"):
        seen.extend(len(chunk) for chunk in stream)

    assert sum(seen) <= 1 << 20
    assert max(seen) <= KIB * 256


def test_a_document_exactly_at_the_ceiling_passes():
    assert collect(ceiling([b"abc", b"def"], 6)) == b"abcdef"


def test_rechunk_splits_only_oversized_chunks():
    assert list(rechunk([b"abcdefg", b"hi"], 3)) == [b"abc", b"def", b"g", b"hi"]


# charsets


@pytest.mark.parametrize(
    ("header", "text", "label", "codec"),
    [
        ("text/plain; charset=Cp1252", True, "Cp1252", "cp1252"),
        ("text/plain;charset=ISO-8859-1", True, "ISO-8859-1", "iso8859-1"),
        ("text/plain; charset=UTF-8", True, "UTF-8", "utf-8"),
        ('text/plain; charset="Shift_JIS"', True, "Shift_JIS", "shift_jis"),
        ("text/plain; charset=windows-31j", True, "windows-31j", "cp932"),
        ("text/tab-separated-values", True, None, "utf-8"),
        ("application/json", True, None, "utf-8"),
        (None, True, None, "utf-8"),
        ("text/plain; charset=x-no-such-charset", True, "x-no-such-charset", None),
        ("application/octet-stream", False, None, None),
        ("application/pdf; charset=UTF-8", False, "UTF-8", None),
    ],
)
def test_content_type_decides_how_a_body_is_read(header, text, label, codec):
    charset = charset_of(header)
    assert (charset.text, charset.label, charset.codec) == (text, label, codec)


def test_java_charset_names_map_to_python_codecs():
    assert [codec_for(n) for n in ("Cp1252", "windows-31j", "MS932", "Shift_JIS")] == [
        "cp1252",
        "cp932",
        "cp932",
        "shift_jis",
    ]


# transcoding


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("cp1252", "sku\ttitle\nA-1\tCrème brûlée – 5 € „Größe“ naïve…\n"),
        ("shift_jis", "出品者SKU\t商品名\nJP-1\t日本語の商品名（テスト）ｶﾀｶﾅ\n"),
        ("iso8859-1", "sku\ttitle\nFR-1\tÉté à Paris, ½ prix ¿sí?\n"),
        ("cp932", "sku\ttitle\nJP-2\t①髙橋㈱～\n"),
    ],
)
def test_text_in_its_declared_charset_becomes_utf8_even_split_mid_character(codec, text):
    encoded = text.encode(codec)
    for piece in (1, 2, 3, len(encoded)):
        assert collect(transcode(pieces(encoded, piece), codec)) == text.encode("utf-8")


def test_utf8_passes_through_byte_for_byte_keeping_its_bom():
    data = "\ufeffsku\ttitle\nDE-1\tÜbergröße 😀\n".encode()
    chunks = list(transcode(pieces(data, 3), "utf-8"))
    assert b"".join(chunks) == data


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        ("utf-8", b"ok\n\xff\xfe broken\n"),
        ("cp1252", b"ok\n\x81 is undefined in Cp1252\n"),
        ("shift_jis", "①".encode("cp932")),  # cp932 only: not Shift_JIS (see domain.charsets)
        ("utf-8", "ends mid-character é".encode()[:-1]),
    ],
)
def test_bytes_invalid_in_the_declared_charset_are_undecodable(codec, data):
    with pytest.raises(UndecodableDocumentError, match="not valid"):
        collect(transcode(pieces(data, 4), codec, codec))


def test_an_all_ascii_document_is_passed_through_untouched():
    chunk = b"sku\tprice\n" * 1000
    assert next(transcode([chunk], "cp1252")) is chunk


# tallies


@pytest.mark.parametrize(
    ("document", "rows"),
    [
        (b"", 0),
        (b"sku\tprice\n", 0),
        (b"sku\tprice", 0),
        (b"sku\tprice\nA\t1\nB\t2\n", 2),
        (b"sku\tprice\nA\t1\nB\t2", 2),
        (b"sku,price\r\nA,1\r\nB,2\r\n", 2),
    ],
)
def test_rows_are_lines_after_the_header_with_or_without_a_final_newline(document, rows):
    tally = Tally()
    collect(tally.through(pieces(document, 3) if document else []))
    assert tally.rows == rows


def test_the_tally_hashes_and_counts_exactly_what_passed():
    data = "é\n".encode() * 100000
    tally = Tally()
    assert collect(tally.through(pieces(data, 4096))) == data
    assert (tally.sha256, tally.bytes) == (hashlib.sha256(data).hexdigest(), len(data))


def test_the_meter_reports_the_running_total():
    seen: list[int] = []
    meter = Meter(seen.append)
    collect(meter.through([b"abc", b"de"]))
    assert (seen, meter.bytes) == ([3, 5], 5)
