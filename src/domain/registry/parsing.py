"""Reference semantics of one value: what a cell's text means in a typed column.

The DuckDB adapter compiles the same rules to SQL and is tested against these functions.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.registry.formats import JSON_NUMBER, NUMBER_PATTERNS, PATTERNS, ZONE_OFFSETS
from domain.registry.model import Column, LogicalType

_NUMBERS = {sep: re.compile(regex) for sep, regex in NUMBER_PATTERNS.items()}
_TRUE = frozenset({"y", "yes", "true", "1"})
_FALSE = frozenset({"n", "no", "false", "0"})
_COMPILED = {name: re.compile(spec.regex) for name, spec in PATTERNS.items()}
_JSON_NUMBER = re.compile(JSON_NUMBER)


class ParseFailure(ValueError):
    """A non-empty value does not parse as its column's type; the caller counts it, stores NULL."""


def parse_strict(column: Column, text: str, *, comma: bool = False) -> object:
    """The typed value of `text`: None when empty or blank; raises ParseFailure when unparseable.

    Strings come back unchanged (not trimmed); other types are read from the trimmed text.
    `comma` says the marketplace writes decimal commas (see `decimal_comma`).
    """
    value = text.strip()
    if not value:
        return None
    kind = column.type
    if kind is LogicalType.STRING:
        return text
    if kind is LogicalType.INTEGER:
        number = parse_number(value, comma=comma)
        if number != number.to_integral_value() or not -(2**63) <= number < 2**63:
            raise ParseFailure(f"{value!r} is not a BIGINT")
        return int(number)
    if kind is LogicalType.DECIMAL:
        return _fit(parse_number(value, comma=comma), column, value)
    if kind is LogicalType.DOUBLE:
        # A JSON number may come in exponent form (1e-07); other text follows the number rules.
        return (
            float(value)
            if _JSON_NUMBER.fullmatch(value)
            else float(parse_number(value, comma=comma))
        )
    if kind is LogicalType.STRUCT_LIST:
        return _elements(column, value, comma)
    if kind is LogicalType.BOOLEAN:
        return _boolean(value)
    if kind is LogicalType.DATE:
        return _temporal(value, column.formats, want_date=True)
    return _temporal(value, column.formats, want_date=False)


def parse_value(column: Column, text: str, *, comma: bool = False) -> object:
    """Like `parse_strict`, but an unparseable value is None too (the stored NULL)."""
    try:
        return parse_strict(column, text, comma=comma)
    except ParseFailure:
        return None


def parse_number(value: str, *, comma: bool) -> Decimal:
    """`1,234.56`, `1.234,56`, `95,00`, `-3` -> Decimal; raises ParseFailure.

    The marketplace's convention first (`comma`: decimal comma, `.` groups thousands); a value
    that does not fit it is read with the other convention. So a value with both separators
    takes the last as the decimal one, `1.234.567` is a million either way, and only truly
    ambiguous values (`1,234`, `1.234`) depend on `comma`. Thousands groups must have 3 digits.
    """
    for decimal_sep in (",", ".") if comma else (".", ","):
        if _NUMBERS[decimal_sep].fullmatch(value) and any(c.isdigit() for c in value):
            thousands = "." if decimal_sep == "," else ","
            return Decimal(value.replace(thousands, "").replace(decimal_sep, "."))
    raise ParseFailure(f"{value!r} is not a number")


def _elements(column: Column, value: str, comma: bool) -> list[dict[str, object]]:
    """A JSON list's elements as dicts of the column's typed fields: a field that is absent or
    does not parse is None, and so is every field of an element that is no object. Raises
    ParseFailure when the text is no JSON list."""
    try:
        elements = json.loads(value)
    except ValueError:
        raise ParseFailure(f"{value[:40]!r} is not a JSON list") from None
    if not isinstance(elements, list):
        raise ParseFailure(f"{value[:40]!r} is not a JSON list")
    return [
        {f.name: parse_value(f, _text(_at(e, f.source)), comma=comma) for f in column.fields}
        for e in elements
    ]


def _at(element: object, path: str) -> object:
    node = element
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _text(value: object) -> str:
    """A JSON value as the text a column parses: strings as they are, others as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _fit(number: Decimal, column: Column, value: str) -> Decimal:
    # DuckDB's cast to DECIMAL(p,s) rounds half away from zero; more integer digits overflow.
    rounded = number.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    if rounded.adjusted() >= column.precision - column.scale:
        raise ParseFailure(f"{value!r} does not fit DECIMAL({column.precision},{column.scale})")
    return rounded


def _boolean(value: str) -> bool:
    folded = value.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ParseFailure(f"{value!r} is not a boolean")


def _temporal(value: str, formats: tuple[str, ...], *, want_date: bool) -> date | datetime:
    for name in formats:
        match = _COMPILED[name].fullmatch(value)
        if match is None:
            continue
        fields = dict(zip(PATTERNS[name].groups, match.groups(), strict=True))
        try:
            moment = _moment(fields)
        except (ValueError, OverflowError, InvalidOperation):
            continue
        if moment is not None:
            return moment.date() if want_date else moment
    raise ParseFailure(f"{value!r} matches none of {', '.join(formats) or 'no formats'}")


def _moment(fields: dict[str, str | None]) -> datetime | None:
    """Naive UTC datetime of the matched fields, or None for an unknown zone abbreviation."""
    year = int(fields["year"] or 0) if "year" in fields else 2000 + int(fields["year2"] or 0)
    fraction = (fields.get("fraction") or "")[:6].ljust(6, "0")
    local = datetime(
        year,
        int(fields["month"] or 0),
        int(fields["day"] or 0),
        int(fields.get("hour") or 0),
        int(fields.get("minute") or 0),
        int(fields.get("second") or 0),
        int(fraction),
    )
    offset = zone_offset(fields.get("zone") or "Z")
    if offset is None:
        return None
    return local - timedelta(minutes=offset)


def zone_offset(zone: str) -> int | None:
    """Minutes east of UTC for `Z`, `+05:30`, `-0700` or an abbreviation; None if unknown."""
    sign = {"+": 1, "-": -1}.get(zone[:1])
    if sign is None:
        return ZONE_OFFSETS.get(zone.upper())
    digits = zone[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:]))
