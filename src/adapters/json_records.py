"""Streaming the records of a JSON report's top-level array into newline-delimited JSON, and
the field paths of records already one per line (Data Kiosk's JSONL).

DuckDB reads a JSON document whole, and a sales and traffic report by ASIN can be hundreds of
MB; one record per line it streams. Memory here is one buffer and the largest single record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from domain.registry.model import SPECIFICATION as SPECIFICATION_PATH

CHUNK = 1 << 20
SPECIFICATION = SPECIFICATION_PATH.rstrip(".")  # the document's own description
_SPACE = " \t\r\n"
_DECODER = json.JSONDecoder()


def split_records(
    source: Path, record_path: str, target: Path, specification: Path
) -> tuple[str, ...]:
    """Writes each element of the document's top-level array `record_path` to `target`, one
    per line, and `{"reportSpecification": …}` to `specification`; returns the dotted leaf
    paths of the records in first-seen order. A missing or null array writes an empty file.
    Raises ValueError when the document is not a JSON object."""
    fields: dict[str, None] = {}
    head: dict[str, Any] = {}
    with source.open(encoding="utf-8") as document, target.open("w", encoding="utf-8") as out:
        reader = _Reader(document)
        reader.expect("{")
        while reader.peek() != "}":
            key = reader.value()
            reader.expect(":")
            if key == record_path and reader.peek() == "[":
                for record in reader.elements():
                    if isinstance(record, dict):
                        fields.update(dict.fromkeys(_leaves(record, "")))
                    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                    out.write("\n")
            elif key == SPECIFICATION:
                head[key] = reader.value()  # a few options and dates
            else:
                reader.skip()
            if reader.peek() == ",":
                reader.expect(",")
    specification.write_text(json.dumps(head, ensure_ascii=False), encoding="utf-8")
    return tuple(fields)


def line_fields(source: Path) -> tuple[str, ...]:
    """The dotted leaf paths of a JSON Lines document's records (a list is a leaf), in
    first-seen order; blank lines are skipped. Raises ValueError for a line that is not JSON."""
    fields: dict[str, None] = {}
    with source.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise ValueError(f"line {number}: {error}") from None
            if isinstance(record, dict):
                fields.update(dict.fromkeys(_leaves(record, "")))
    return tuple(fields)


def _leaves(record: dict[str, Any], prefix: str) -> list[str]:
    paths: list[str] = []
    for key, value in record.items():
        paths += _leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else [prefix + key]
    return paths


class _Reader:
    """JSON values read one at a time from a text stream, through a refilled buffer."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream, self._buffer, self._at, self._ended = stream, "", 0, False

    def _fill(self) -> bool:
        chunk = "" if self._ended else self._stream.read(CHUNK)
        self._ended = not chunk
        self._buffer, self._at = self._buffer[self._at :] + chunk, 0
        return bool(chunk)

    def peek(self) -> str:
        while True:
            while self._at < len(self._buffer) and self._buffer[self._at] in _SPACE:
                self._at += 1
            if self._at < len(self._buffer) or not self._fill():
                return self._buffer[self._at : self._at + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} in the JSON document, found {self.peek()!r}")
        self._at += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                found, end = _DECODER.raw_decode(self._buffer, self._at)
            except json.JSONDecodeError:
                if not self._fill():
                    raise
                continue
            if end == len(self._buffer) and self._fill():
                continue  # a number at the end of the buffer may go on in the next chunk
            self._at = end
            return found

    def elements(self) -> Any:
        """The elements of the array that starts here, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self.expect("]")
            return
        while True:
            yield self.value()
            if self.peek() == "]":
                self.expect("]")
                return
            self.expect(",")

    def skip(self) -> None:
        """Reads past a value; an array element by element, so a large one stays out of memory."""
        if self.peek() == "[":
            for _ in self.elements():
                pass
        else:
            self.value()
