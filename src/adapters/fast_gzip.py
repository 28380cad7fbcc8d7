"""A gzip decompressor factory: ISA-L's (several times faster) when installed, else zlib's."""

from __future__ import annotations

from typing import cast

from domain.ports import Decompressor

try:
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is a declared dependency; zlib keeps us working
    import zlib as _zlib  # type: ignore[no-redef]

GZIP_WBITS = 31  # 16 + 15: a gzip header and trailer around a 32 KiB-window deflate stream
BACKEND = _zlib.__name__


def gzip_decompressor() -> Decompressor:
    """A fresh decompressor for one gzip member; isal's raises IsalError where zlib raises
    zlib.error, which the domain's gunzip treats alike."""
    return cast(Decompressor, _zlib.decompressobj(wbits=GZIP_WBITS))
