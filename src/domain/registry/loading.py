"""Reading and checking registry data: adding a report type means adding data, not code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from domain.errors import RegistryDataError
from domain.registry.formats import DATE_PATTERNS, TIMESTAMP_PATTERNS
from domain.registry.model import (
    KIOSK_LINEAGE,
    LINEAGE,
    SPECIFICATION,
    Column,
    Latest,
    LogicalType,
    Table,
)
from domain.registry.names import snake_case

_TABLE_KEYS = frozenset(
    {"name", "report_types", "queries", "format", "record_path", "has_marketplace"}
    | {"natural_key", "latest", "latest_key", "notes", "columns", "newest_by"}
)
_Fail = Callable[[str], RegistryDataError]
_COLUMN_KEYS = frozenset(
    {"source", "name", "type", "aliases", "formats", "precision", "scale", "optional", "fields"}
)
# Types whose order says which row is newer (newest_by).
_ORDERED = frozenset(
    {LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.INTEGER, LogicalType.DECIMAL}
    | {LogicalType.DOUBLE}
)
# A selection names a Data Kiosk dataset and the one field of it a query reads.
_SELECTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


def load_tables(text: str) -> tuple[Table, ...]:
    """Tables from a registry JSON document (`{"tables": [...]}`); raises RegistryDataError."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise RegistryDataError(f"registry data is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("tables"), list):
        raise RegistryDataError('registry data must be an object with a "tables" list')
    result: list[Table] = []
    for raw in document["tables"]:
        built = _table(raw)
        if any(t.name == built.name for t in result):
            raise RegistryDataError(f"table {built.name}: defined twice")
        result.append(built)
    return tuple(result)


def _table(raw: Any) -> Table:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise RegistryDataError("every table needs a string name")
    name: str = raw["name"]

    def fail(why: str) -> RegistryDataError:
        return RegistryDataError(f"table {name}: {why}")

    if snake_case(name) != name:
        raise fail("the name must be snake_case")
    if unknown := set(raw) - _TABLE_KEYS:
        raise fail(f"unknown field(s) {', '.join(sorted(unknown))}")
    queries = _list(raw, "queries", fail)
    report_types = _list(raw, "report_types", fail)
    if not all(isinstance(t, str) and t for t in report_types):
        raise fail("report_types must be report type names")
    if bool(report_types) == bool(queries):
        raise fail("it is fed by report_types or by Data Kiosk queries: exactly one of the two")
    if not all(isinstance(q, str) and _SELECTION.match(q) for q in queries):
        raise fail("queries must be Data Kiosk selections, <dataset>.<field>")
    lineage = {c.name for c in (KIOSK_LINEAGE if queries else LINEAGE)}
    fmt = _format(raw, bool(queries), fail)
    columns = tuple(_column(c, fail) for c in _list(raw, "columns", fail))
    if not columns:
        raise fail("no columns")
    names = _unique([c.name for c in columns], fail)
    if clash := sorted(set(names) & (lineage | {"extra_columns"})):
        raise fail(f"column name(s) {', '.join(clash)} are reserved for lineage")
    try:
        latest = Latest(str(raw.get("latest")))
    except ValueError:
        raise fail(f"latest must be one of {', '.join(m.value for m in Latest)}") from None
    if fmt != "json" and (spec := [c.source for c in columns if c.from_specification]):
        raise fail(f"{', '.join(spec)}: only a JSON document has a reportSpecification")
    if fmt == "tsv" and (nested := [c.source for c in columns if c.fields]):
        raise fail(f"{', '.join(nested)}: only a JSON record holds a list of objects")
    natural_key = _keys(raw, "natural_key", names + sorted(lineage), fail)
    latest_key = _keys(raw, "latest_key", names + sorted(lineage), fail)
    newest_by = _keys(raw, "newest_by", names + sorted(lineage), fail)
    ordered = {c.name for c in columns if c.type in _ORDERED}
    if unordered := [n for n in newest_by if n not in ordered]:
        raise fail(f"newest_by needs date, timestamp or number columns, not {', '.join(unordered)}")
    if (latest is Latest.SNAPSHOT) == bool(latest_key):
        raise fail("latest_key is required by replace_by_key and newest_per_key, and only there")
    if not isinstance(raw.get("has_marketplace", True), bool):
        raise fail("has_marketplace must be true or false")
    if queries and raw.get("has_marketplace", True) and "marketplace_id" not in names:
        raise fail("a Data Kiosk table has_marketplace through its marketplaceId column")
    return Table(
        name=name,
        report_types=tuple(report_types),
        format=fmt,
        columns=columns,
        natural_key=natural_key,
        latest=latest,
        latest_key=latest_key,
        record_path=raw.get("record_path"),
        has_marketplace=raw.get("has_marketplace", True),
        notes=tuple(str(n) for n in _list(raw, "notes", fail)),
        newest_by=newest_by,
        queries=tuple(queries),
    )


def _format(raw: Mapping[str, Any], kiosk: bool, fail: _Fail) -> str:
    """tsv and jsonl read no record_path; json needs one; Data Kiosk documents are jsonl."""
    fmt, record_path = raw.get("format"), raw.get("record_path")
    if fmt not in ("tsv", "json", "jsonl") or (fmt == "json") != (
        isinstance(record_path, str) and bool(record_path)
    ):
        raise fail('format must be "tsv", "jsonl", or "json" with a record_path')
    if record_path is not None and fmt != "json":
        raise fail(f"a {fmt} document has no record_path")
    if kiosk != (fmt == "jsonl"):
        raise fail('Data Kiosk queries, and only they, feed a "jsonl" table')
    return str(fmt)


def _unique(names: list[str], fail: _Fail) -> list[str]:
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise fail(f"duplicate column name(s) {', '.join(dupes)}")
    return names


def _column(raw: Any, fail: _Fail) -> Column:
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str) or not raw["source"]:
        raise fail("every column needs a source (header text or JSON path)")
    source: str = raw["source"]
    name = _name(raw, source, fail)
    where = f"column {source!r}"
    if unknown := set(raw) - _COLUMN_KEYS:
        raise fail(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        kind = LogicalType(str(raw.get("type")))
    except ValueError:
        raise fail(f"{where}: unknown type {raw.get('type')!r}") from None
    formats = tuple(_strings(raw, "formats", fail, where))
    allowed = {LogicalType.DATE: DATE_PATTERNS, LogicalType.TIMESTAMP: TIMESTAMP_PATTERNS}
    if kind in allowed and not formats:
        raise fail(f"{where}: a {kind} column needs formats")
    if bad := [f for f in formats if f not in allowed.get(kind, ())]:
        raise fail(f"{where}: format(s) {bad} not allowed for a {kind} column")
    precision, scale = raw.get("precision", 18), raw.get("scale", 2)
    if kind is not LogicalType.DECIMAL and ("precision" in raw or "scale" in raw):
        raise fail(f"{where}: precision and scale apply to decimal columns only")
    if not (
        isinstance(precision, int) and isinstance(scale, int) and 0 <= scale <= precision <= 38
    ):
        raise fail(f"{where}: needs 0 <= scale <= precision <= 38")
    if not isinstance(raw.get("optional", False), bool):
        raise fail(f"{where}: optional must be true or false")
    fields = tuple(_column(f, _within(source, fail)) for f in _list(raw, "fields", fail))
    if (kind is LogicalType.STRUCT_LIST) != bool(fields):
        raise fail(f"{where}: a struct_list column, and only it, lists its element's fields")
    _unique([f.name for f in fields], _within(source, fail))
    if fields and name != snake_case(source):
        raise fail(f"{where}: a struct_list column keeps its name snake_case(source)")
    return Column(
        name=name,
        type=kind,
        source=source,
        aliases=tuple(_strings(raw, "aliases", fail, where)),
        formats=formats,
        precision=precision,
        scale=scale,
        optional=raw.get("optional", False),
        fields=fields,
    )


def _within(source: str, fail: _Fail) -> _Fail:
    """Failures of a struct_list's fields, named after it."""
    return lambda why: fail(f"in {source!r}: {why}")


def _name(raw: Mapping[str, Any], source: str, fail: _Fail) -> str:
    """snake_case(source); the one exception is a reportSpecification column, whose path would
    make a long name: it may name itself, in snake_case."""
    name, given = snake_case(source), raw.get("name")
    where = f"column {source!r}"
    if given is not None and given != name and source.startswith(SPECIFICATION):
        if not isinstance(given, str) or not given or snake_case(given) != given:
            raise fail(f"{where}: its name {given!r} must be snake_case")
        return given
    if not name or (given is not None and given != name):
        raise fail(f"{where}: its name must be snake_case(source) = {name!r}")
    return name


def _list(raw: Mapping[str, Any], key: str, fail: _Fail) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise fail(f"{key} must be a list")
    return value


def _strings(raw: Mapping[str, Any], key: str, fail: _Fail, where: str) -> list[str]:
    value = _list(raw, key, fail)
    if not all(isinstance(v, str) and v for v in value):
        raise fail(f"{where}: {key} must be non-empty strings")
    return value


def _keys(raw: Mapping[str, Any], key: str, names: list[str], fail: _Fail) -> tuple[str, ...]:
    value = _list(raw, key, fail)
    if unknown := [k for k in value if k not in names]:
        raise fail(f"{key} names unknown column(s) {', '.join(map(str, unknown))}")
    return tuple(value)
