"""Mapping a delimited document's header row onto a table's columns."""

from __future__ import annotations

from collections.abc import Sequence

from domain.registry.model import HeaderMapping, Table


def _clean(header: str) -> str:
    # A byte order mark, padding, or quotes around a header (`"Country"`) carry no meaning.
    text = header.replace("\ufeff", "").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text


def map_headers(table: Table, headers: Sequence[str]) -> HeaderMapping:
    """Map by header text or alias; else by position when no header is known and counts match.

    Exact text first, then trimmed/unquoted text, then case-insensitively. A header that maps to
    no column (or to one already taken) is an extra: nothing is dropped. A registry column with
    no header is None. Positional mapping fits the table's non-optional columns, or all of them.
    """
    exact: dict[str, int] = {}
    folded: dict[str, int] = {}
    for index, column in enumerate(table.columns):
        for text in (column.source, *column.aliases):
            exact.setdefault(text, index)
            folded.setdefault(_clean(text).casefold(), index)
    positions: list[int | None] = [None] * len(table.columns)
    extras: list[tuple[str, int]] = []
    for doc_index, header in enumerate(headers):
        found = exact.get(header)
        if found is None:
            found = exact.get(_clean(header), folded.get(_clean(header).casefold()))
        if found is None or positions[found] is not None:
            extras.append((header, doc_index))
        else:
            positions[found] = doc_index
    if any(p is not None for p in positions):
        return HeaderMapping("name", tuple(positions), tuple(extras))
    return _by_position(table, len(headers))


def _by_position(table: Table, count: int) -> HeaderMapping:
    required = [i for i, column in enumerate(table.columns) if not column.optional]
    for chosen in (required, list(range(len(table.columns)))):
        if count == len(chosen):
            positions: list[int | None] = [None] * len(table.columns)
            for doc_index, column_index in enumerate(chosen):
                positions[column_index] = doc_index
            return HeaderMapping("position", tuple(positions))
    expected = str(len(required))
    if len(required) != len(table.columns):
        expected += f" or {len(table.columns)}"
    return HeaderMapping(
        None,
        refused=(
            f"no header of {table.name} recognised and the document has {count} columns, "
            f"expected {expected} to map by position"
        ),
    )
