"""Dates and timestamps in DuckDB SQL, compiled from the registry's pattern vocabulary.

Per pattern there are two compilations. The exact one reads the regex's named groups, as
`registry.parse_value` does. The fast one, for patterns made of fixed-width fields, checks the
regex without captures and lets `strptime` read the fields: capture groups cost RE2 several
times more. Both give the same answer for a value without surrounding whitespace.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.registry import PATTERNS, ZONE_OFFSETS

# Java DateTimeFormatter fields of fixed width -> strptime directives.
_FIELDS = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_ZONES = ("z", "XXX")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def temporal(
    raw: str,
    formats: tuple[str, ...],
    *,
    want_date: bool,
    slow: Callable[[Callable[[str], str]], str],
) -> str:
    """The first format that yields a valid moment wins; padded values go the exact way."""
    tries = [_fast(raw, name, want_date) or _exact(raw, name, want_date) for name in formats]
    if not tries:
        return "NULL"
    tries.append(slow(lambda value: _first([_exact(value, n, want_date) for n in formats])))
    return _first(tries)


def _first(options: list[str]) -> str:
    return options[0] if len(options) == 1 else f"coalesce({', '.join(options)})"


def _tokens(pattern: str) -> list[tuple[str, str]]:
    """('field', 'yyyy') and ('text', '-') tokens of a Java pattern; quoted text is text."""
    tokens, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.index("'", i + 1)
            tokens.append(("text", pattern[i + 1 : end]))
            i = end + 1
        elif pattern[i].isalpha():
            end = i
            while end < len(pattern) and pattern[end] == pattern[i]:
                end += 1
            tokens.append(("field", pattern[i:end]))
            i = end
        else:
            tokens.append(("text", pattern[i]))
            i += 1
    return tokens


def _fast(raw: str, name: str, want_date: bool) -> str | None:
    """The fast compilation, or None when the pattern has a field it cannot read."""
    tokens = _tokens(PATTERNS[name].pattern)
    last_kind, last = tokens[-1]
    zone = last if last_kind == "field" and last in _ZONES else ""
    body = tokens[:-1] if zone else tokens
    while zone == "z" and body and body[-1][0] == "text":
        body = body[:-1]  # the separator before an abbreviation
    if not all(kind == "text" or text in _FIELDS for kind, text in body):
        return None
    directives = "".join(
        _FIELDS[text] if kind == "field" else text.replace("%", "%%") for kind, text in body
    )
    width = sum(len(text) for _, text in body)
    positions, at = {}, 1
    for kind, text in body:
        if kind == "field":
            positions[text] = at
        at += len(text)
    checks = [f"regexp_full_match({raw}, {_literal(PATTERNS[name].regex)})"]
    if "yyyy" in positions:  # datetime has no year 0; strptime would accept it
        checks.append(f"substr({raw}, {positions['yyyy']}, 4) <> '0000'")
    if zone == "XXX":
        if "HH" in positions:  # a cast takes 24:00:00 as the next midnight; datetime does not
            checks.append(f"substr({raw}, {positions['HH']}, 2) <> '24'")
        # DuckDB's ISO reader takes Z, +HH:MM and +HHMM, and truncates a fraction to micros.
        moment = f"CAST(try_cast({raw} AS TIMESTAMPTZ) AS TIMESTAMP)"
    else:
        text = f"left({raw}, {width})" if zone else raw
        moment = f"try_strptime({text}, {_literal(directives)})"
        if "yy" in positions:  # strptime puts 69-99 in the 1900s; the registry says 2000 + yy
            century = f"CASE WHEN year({moment}) < 2000 THEN 100 ELSE 0 END"
            moment = f"({moment} + to_years({century}))"
    guarded = f"(CASE WHEN {' AND '.join(checks)} THEN {moment} END)"
    if zone == "z":
        # Outside the CASE: DuckDB runs a long CASE nested in another one many times slower.
        start = len("".join(t for _, t in tokens[:-1])) + 1
        guarded += f" - to_minutes({_offset(f'substr({raw}, {start})')})"
    return f"CAST({guarded} AS DATE)" if want_date else guarded


def _exact(value: str, name: str, want_date: bool) -> str:
    """The regex's named groups, as the registry reads them; slow, for rare values."""
    spec = PATTERNS[name]
    groups = ", ".join(_literal(g) for g in spec.groups)
    fields = f"regexp_extract({value}, {_literal(spec.regex)}, [{groups}])"

    def number(group: str) -> str:
        return f"CAST(NULLIF({fields}.{group}, '') AS INTEGER)"

    year = number("year") if "year" in spec.groups else f"2000 + {number('year2')}"
    day = f"try(make_date({year}, {number('month')}, {number('day')}))"
    checks = [f"{year} >= 1"]
    moment = f"CAST({day} AS TIMESTAMP)"
    if spec.has_time:
        hour, minute, second = number("hour"), number("minute"), number("second")
        checks += [f"{hour} < 24", f"{minute} < 60", f"{second} < 60"]
        moment += f" + to_seconds({hour} * 3600 + {minute} * 60 + {second})"
    if "fraction" in spec.groups:  # microseconds: the first six digits, as datetime keeps them
        micros = f"CAST(rpad(left({fields}.fraction, 6), 6, '0') AS INTEGER)"
        moment += f" + to_microseconds({micros})"
    if "zone" in spec.groups:
        moment += f" - to_minutes({_offset(f'{fields}.zone')})"
    if want_date:
        moment = f"CAST({moment} AS DATE)"
    return f"CASE WHEN {' AND '.join(checks)} THEN {moment} END"


def _offset(zone: str) -> str:
    """Minutes east of UTC of `Z`, `+05:30`, `-0700` or a known abbreviation; else NULL."""
    names = " ".join(f"WHEN {_literal(k)} THEN {v}" for k, v in ZONE_OFFSETS.items())
    digits = f"replace(substr({zone}, 2), ':', '')"
    sign = f"CASE left({zone}, 1) WHEN '+' THEN 1 WHEN '-' THEN -1 END"
    hours, minutes = (
        f"try_cast(left({digits}, 2) AS INTEGER)",
        f"try_cast(substr({digits}, 3) AS INTEGER)",
    )
    numeric = f"{sign} * ({hours} * 60 + {minutes})"
    # Abbreviations first: they are the common case, and none starts with a sign.
    return f"coalesce(CASE upper({zone}) {names} END, {numeric})"
