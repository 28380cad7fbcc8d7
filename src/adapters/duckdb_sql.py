"""The registry's parsing rules compiled to DuckDB SQL: one typed expression per column.

Every rule comes from the registry's data (number regexes, date patterns, zone offsets), and the
integration tests compare the results with `registry.parse_value` on tricky values. Each type has
a fast path for values without surrounding whitespace (regex checks that need no captures, then
DuckDB's own parsers), and an exact slow path on the trimmed text for the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.duckdb_temporal import temporal
from domain.registry import NUMBER_PATTERNS, Column, LogicalType
from domain.registry.formats import JSON_NUMBER

# The registry keeps its boolean words private for now; read them, never copy them.
from domain.registry.parsing import _FALSE as BOOLEAN_FALSE
from domain.registry.parsing import _TRUE as BOOLEAN_TRUE

# Exactly the characters Python's str.strip() removes, so "blank" means the same in both.
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_WS = f"[{WHITESPACE}]"


def literal(text: str) -> str:
    """A SQL string literal; DuckDB literals hold any character but NUL."""
    if "\x00" in text:
        raise ValueError("a SQL literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pointer(path: str) -> str:
    """A JSON pointer (RFC 6901) to the dotted path `path`."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path.split("."))


def sql_type(column: Column) -> str:
    kind = column.type
    if kind is LogicalType.DECIMAL:
        return f"DECIMAL({column.precision},{column.scale})"
    if kind is LogicalType.STRUCT_LIST:
        fields = ", ".join(f"{identifier(f.name)} {sql_type(f)}" for f in column.fields)
        return f"STRUCT({fields})[]"
    return {
        LogicalType.STRING: "VARCHAR",
        LogicalType.INTEGER: "BIGINT",
        LogicalType.DATE: "DATE",
        LogicalType.TIMESTAMP: "TIMESTAMP",
        LogicalType.BOOLEAN: "BOOLEAN",
        LogicalType.DOUBLE: "DOUBLE",
    }[kind]


def nonblank(raw: str) -> str:
    """True when the raw value holds more than whitespace: a NULL typed value then failed.
    An ASCII first character settles it for nearly every value, without a regex."""
    return (
        f"(unicode({raw}) BETWEEN 33 AND 126 OR NOT regexp_full_match({raw}, {literal(_WS + '*')}))"
    )


def padded(raw: str) -> str:
    """True when whitespace surrounds the value, which only the slow paths handle."""
    return f"regexp_matches({raw}, {literal(f'^{_WS}|{_WS}$')})"


def trimmed(raw: str) -> str:
    """The value without surrounding whitespace (a regex: DuckDB's trim(x, chars) is slow)."""
    return f"regexp_extract({raw}, {literal(f'(?s)^{_WS}*(.*?){_WS}*$')}, 1)"


def typed(column: Column, raw: str, *, comma: bool, depth: int = 1) -> str:
    """SQL for the column's typed value of the VARCHAR expression `raw` (NULL if unparseable).

    Strings stay as sent, except that blank ones are NULL; other types read the trimmed text;
    a struct list reads JSON text (`depth` names the lambdas of lists within lists).
    """
    if column.type is LogicalType.STRING:
        return f"CASE WHEN {nonblank(raw)} THEN {raw} END"
    if column.type is LogicalType.STRUCT_LIST:
        v = f"v{depth}"
        fields = ", ".join(
            f"{identifier(f.name)} := CAST({typed(f, f'{v}[{i}]', comma=comma, depth=depth + 1)}"
            f" AS {sql_type(f)})"
            for i, f in enumerate(column.fields, 1)
        )
        return _when_list(
            raw, f"list_transform({_leaves(column, raw, depth)}, lambda {v}: struct_pack({fields}))"
        )
    parse: Callable[[str], str]
    if column.type is LogicalType.DOUBLE:
        parse = lambda v: _number(v, comma, lambda n: f"try_cast({n} AS DOUBLE)")  # noqa: E731
        fast = (
            f"WHEN regexp_full_match({raw}, {literal(JSON_NUMBER)}) THEN try_cast({raw} AS DOUBLE)"
        )
    elif column.type is LogicalType.DECIMAL:
        target = sql_type(column)
        parse = lambda v: _number(v, comma, lambda n: f"try_cast({n} AS {target})")  # noqa: E731
        # Plain digits in the marketplace's convention mean the same under both rules.
        plain, text = (r"-?[0-9]+(,[0-9]+)?", f"replace({raw}, ',', '.')") if comma else (
            r"-?[0-9]+(\.[0-9]+)?", raw
        )  # fmt: skip
        fast = f"WHEN regexp_full_match({raw}, {literal(plain)}) THEN try_cast({text} AS {target})"
    elif column.type is LogicalType.INTEGER:
        parse = lambda v: _number(v, comma, _integer)  # noqa: E731
        fast = f"WHEN regexp_full_match({raw}, '-?[0-9]{{1,18}}') THEN CAST({raw} AS BIGINT)"
    elif column.type is LogicalType.BOOLEAN:
        parse = _boolean
        true, false = _words(BOOLEAN_TRUE), _words(BOOLEAN_FALSE)
        fast = f"WHEN {raw} IN ({true}) THEN true WHEN {raw} IN ({false}) THEN false"
    else:
        want_date = column.type is LogicalType.DATE
        return temporal(raw, column.formats, want_date=want_date, slow=_slow(raw))
    # The common shapes first; then the registry's rules, on the value as it is and, when
    # whitespace surrounds it, on the trimmed value.
    return f"CASE {fast} ELSE coalesce({parse(raw)}, {_slow(raw)(parse)}) END"


def failures(column: Column, raw: str, *, comma: bool, depth: int = 1) -> str:
    """SQL counting the values of `raw` that do not parse: 0 or 1 for one value; for a struct
    list, 1 when it is no JSON list, else those of its elements' fields (lists within too)."""
    if column.type is not LogicalType.STRUCT_LIST:
        value = typed(column, raw, comma=comma, depth=depth)
        return f"(CASE WHEN {nonblank(raw)} AND ({value}) IS NULL THEN 1 ELSE 0 END)"
    v = f"v{depth}"
    per_element = " + ".join(
        failures(f, f"{v}[{i}]", comma=comma, depth=depth + 1)
        for i, f in enumerate(column.fields, 1)
    )
    counted = f"list_sum(list_transform({_leaves(column, raw, depth)}, lambda {v}: {per_element}))"
    return (
        f"(CASE WHEN {raw} IS NULL OR NOT {nonblank(raw)} THEN 0 "
        f"WHEN NOT json_valid({raw}) THEN 1 WHEN json_type({raw}) <> 'ARRAY' THEN 1 "
        f"ELSE coalesce({counted}, 0) END)"
    )


def _leaves(column: Column, raw: str, depth: int) -> str:
    """Per element of the JSON list `raw`, the list of its fields' text (one JSON parse each);
    `raw` must hold a JSON list."""
    e = f"e{depth}"
    pointers = ", ".join(literal(pointer(f.source)) for f in column.fields)
    return (
        f"list_transform(CAST(CAST({raw} AS JSON) AS JSON[]), "
        f"lambda {e}: json_extract_string({e}, [{pointers}]))"
    )


def _when_list(raw: str, value: str) -> str:
    # Nested CASEs: DuckDB evaluates a THEN only where its WHEN held, so no cast sees bad JSON.
    return (
        f"CASE WHEN json_valid({raw}) THEN CASE WHEN json_type({raw}) = 'ARRAY' THEN {value} "
        "END END"
    )


def _words(words: frozenset[str]) -> str:
    return ", ".join(literal(w) for w in sorted(words))


def _slow(raw: str) -> Callable[[Callable[[str], str]], str]:
    """Applies a parser to the trimmed value, for values with surrounding whitespace only."""

    def wrap(parse: Callable[[str], str]) -> str:
        return f"CASE WHEN {padded(raw)} THEN {parse(trimmed(raw))} END"

    return wrap


def _number(value: str, comma: bool, convert: Callable[[str], str]) -> str:
    # The marketplace's convention first, then the other one, as registry.parse_number does;
    # the first convention that matches decides, even if its value then fails.
    branches = []
    for decimal_sep in (",", ".") if comma else (".", ","):
        thousands = "." if decimal_sep == "," else ","
        normal = f"replace({value}, {literal(thousands)}, '')"
        if decimal_sep == ",":
            normal = f"replace({normal}, ',', '.')"
        pattern = literal(NUMBER_PATTERNS[decimal_sep])
        branches.append(f"WHEN regexp_full_match({value}, {pattern}) THEN {convert(normal)}")
    return f"CASE {' '.join(branches)} END"


def _integer(normal: str) -> str:
    # Whole only when every fraction digit is 0 ("12.00" is 12, "12.5" fails); BIGINT range.
    whole, fraction = f"split_part({normal}, '.', 1)", f"split_part({normal}, '.', 2)"
    digits = f"CASE WHEN {whole} IN ('', '+', '-') THEN '0' ELSE {whole} END"
    exact = f"CASE WHEN ltrim({fraction}, '0') = '' THEN try_cast({digits} AS BIGINT) END"
    return f"CASE WHEN contains({normal}, '.') THEN {exact} ELSE try_cast({normal} AS BIGINT) END"


def _boolean(value: str) -> str:
    folded, true, false = f"lower({value})", _words(BOOLEAN_TRUE), _words(BOOLEAN_FALSE)
    return f"CASE WHEN {folded} IN ({true}) THEN true WHEN {folded} IN ({false}) THEN false END"
