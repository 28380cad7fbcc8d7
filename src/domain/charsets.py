"""How a downloaded document's bytes are to be read: media type and charset from Content-Type."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

UTF8 = "utf-8"

# Amazon names charsets the Java way. Shift_JIS is decoded as Shift_JIS, strictly, although
# Amazon JP sometimes sends Windows-31J (cp932) characters such as ① or ㈱ under that label:
# guessing cp932 would silently change what some bytes mean (cp932 reads 0x8160 as U+FF5E,
# Shift_JIS as U+301C), so such a document fails strict decoding and is stored byte for byte,
# flagged `undecodable` with storedEncoding "Shift_JIS"; readers can decode it as cp932.
_JAVA_NAMES = {
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-1": "latin-1",
    "iso8859_1": "latin-1",
    "latin1": "latin-1",
    "utf-8": UTF8,
    "utf8": UTF8,
    "shift_jis": "shift_jis",
    "sjis": "shift_jis",
    "x-sjis": "shift_jis",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "cp932": "cp932",
    "euc-jp": "euc_jp",
}

# Codecs in which every byte below 0x80 is that ASCII character, in any position: an all-ASCII
# chunk then needs no decoding (the common case, and a large saving on the hot path).
ASCII_TRANSPARENT = frozenset(
    codecs.lookup(name).name for name in (UTF8, "cp1252", "latin-1", "shift_jis", "cp932", "euc_jp")
)

_TEXT_APPLICATION_TYPES = frozenset(
    {"application/json", "application/xml", "application/csv", "application/x-ndjson"}
)


@dataclass(frozen=True)
class Charset:
    """What Content-Type says about a body: text or not, its declared charset, and the Python
    codec that decodes it (None: keep the bytes as they are)."""

    content_type: str | None
    text: bool
    label: str | None
    codec: str | None


def codec_for(label: str) -> str | None:
    """The Python codec for a charset label, or None when Python has no such codec."""
    name = label.strip().strip('"').lower()
    try:
        return codecs.lookup(_JAVA_NAMES.get(name, name)).name
    except LookupError:
        return None


def _is_text(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_APPLICATION_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def charset_of(content_type: str | None) -> Charset:
    """Text without a charset (or without any Content-Type) is read as UTF-8. Binary media
    types are never transcoded."""
    if not content_type:
        return Charset(content_type, True, None, UTF8)
    media_type, *params = (part.strip() for part in content_type.split(";"))
    label = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            label = value.strip().strip('"')
    if not _is_text(media_type.lower()):
        return Charset(content_type, False, label, None)
    if label is None:
        return Charset(content_type, True, None, UTF8)
    return Charset(content_type, True, label, codec_for(label))
