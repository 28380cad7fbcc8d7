"""The Lake port on a local directory, same layout as S3; every object is written atomically."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from domain.lake import MANIFESTS

WRITEBACK_BYTES = 32 << 20
CHUNK_BYTES = 1 << 20


class FileLake:
    """Objects are files under `root`. A write goes to a temporary file beside its target and
    is renamed over it only once complete and synced, so a reader or a crash never sees a
    partial object. Temporary names start with "." and end with ".part"."""

    def __init__(self, root: Path | str) -> None:
        self._root = Path(root).absolute()

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or "\\" in key or {"..", "."} & set(key.split("/")):
            raise ValueError(f"lake key {key!r} is not a plain relative path")
        path = self._root.joinpath(*parts)
        # A symlinked directory inside the lake must not lead writes outside it either.
        if not path.resolve().is_relative_to(self._root.resolve()):
            raise ValueError(f"lake key {key!r} leads outside the lake")
        return path

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        # Local files carry no content type; the extension and the manifest say enough.
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        written = flushed = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    written += out.write(chunk)
                    if written - flushed >= WRITEBACK_BYTES:
                        out.flush()
                        _start_writeback(fd, flushed, written - flushed)
                        flushed = written
                out.flush()
                os.fsync(fd)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(target.parent)
        return written

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def put_manifest(self, key: str, body: dict[str, Any]) -> None:
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        self.put(key, [text.encode("utf-8")], "application/json")

    def get_manifest(self, key: str) -> dict[str, Any] | None:
        try:
            body = json.loads(self._path(key).read_bytes())
        except FileNotFoundError:
            return None
        return body if isinstance(body, dict) else None

    def fetch_to(self, key: str, path: Path) -> int:
        # copyfile streams (sendfile or copy_file_range); FileNotFoundError says it is missing.
        shutil.copyfile(self._path(key), path)
        return path.stat().st_size

    def put_file(self, key: str, path: Path, content_type: str) -> int:
        return self.put(key, _chunks(path), content_type)

    def list_manifests(
        self, report_type: str | None = None, *, queries: bool = False
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        top = self._path(
            MANIFESTS if report_type is None else f"{MANIFESTS}/report_type={report_type}"
        )
        # Data Kiosk pages sit in one folder per query name: manifests/query=<name>/….
        tops = sorted(top.glob("query=*")) if queries else [top]
        # Temporary files of unfinished writes start with "." and are no manifests yet.
        found = sorted(
            p for folder in tops for p in folder.rglob("*.json") if not p.name.startswith(".")
        )
        for path in found:
            key = path.relative_to(self._root).as_posix()
            try:
                body = self.get_manifest(key)
            except ValueError:  # not JSON: a broken manifest is nothing to curate
                continue
            if body is not None:
                yield key, body

    def uri(self, key: str) -> str:
        # Path.as_uri() escapes the "=" of every partition, which "=" in a URI path needs not.
        return "file://" + quote(self._path(key).as_posix(), safe="/=")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb", buffering=0) as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Starts writing a written range to disk now, while the next one is being computed, so
    the final fsync has little left to wait for; the pages then leave the page cache instead
    of crowding it out. Linux does both on DONTNEED; elsewhere this is a no-op."""
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _sync_directory(directory: Path) -> None:
    """Makes the rename itself durable; only POSIX can open a directory for fsync."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
