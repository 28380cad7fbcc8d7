"""Date and time patterns the registry understands, as data the SQL compiler can read too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Pattern:
    """One entry of the closed vocabulary of `Column.formats`.

    `regex` is anchored, matches the whole (trimmed) value and uses only syntax shared by Python
    `re`, RE2 and DuckDB's `regexp_matches`. `groups` names its capture groups in order:
    year (4 digits), year2 (2 digits: 2000 + yy), month, day, hour, minute, second,
    fraction (digits after the dot, may be empty), zone (`Z`, `+HH:MM`, `+HHMM`, or an
    abbreviation in ZONE_OFFSETS, matched case-insensitively).
    """

    pattern: str
    regex: str
    groups: tuple[str, ...]
    has_time: bool


_YMD = r"(\d{4})-(\d{2})-(\d{2})"
_DMY_DOT = r"(\d{2})\.(\d{2})\.(\d{4})"
_DMY_SLASH = r"(\d{2})/(\d{2})/(\d{4})"
_HMS = r"(\d{2}):(\d{2}):(\d{2})"
_ZONE = r"([A-Za-z]{1,5}|[+-]\d{2}:?\d{2})"
_TIME = ("hour", "minute", "second")

# Java DateTimeFormatter letters, as report-columns.json writes them. `z` means a zone
# abbreviation or a numeric offset; XXX means `Z` or a numeric offset.
PATTERNS: Mapping[str, Pattern] = MappingProxyType(
    {
        p.pattern: p
        for p in (
            Pattern("yyyy-MM-dd", rf"^{_YMD}$", ("year", "month", "day"), False),
            Pattern("dd.MM.yyyy", rf"^{_DMY_DOT}$", ("day", "month", "year"), False),
            Pattern("dd/MM/yyyy", rf"^{_DMY_SLASH}$", ("day", "month", "year"), False),
            Pattern("MM/dd/yyyy", r"^(\d{2})/(\d{2})/(\d{4})$", ("month", "day", "year"), False),
            Pattern("MM/dd/yy", r"^(\d{2})/(\d{2})/(\d{2})$", ("month", "day", "year2"), False),
            Pattern(
                "yyyy-MM-dd'T'HH:mm:ssXXX",
                rf"^{_YMD}T{_HMS}(?:\.(\d{{1,9}}))?(Z|[+-]\d{{2}}:?\d{{2}})$",
                ("year", "month", "day", *_TIME, "fraction", "zone"),
                True,
            ),
            Pattern(
                "yyyy-MM-dd HH:mm:ss z",
                rf"^{_YMD} {_HMS} {_ZONE}$",
                ("year", "month", "day", *_TIME, "zone"),
                True,
            ),
            Pattern(
                "dd.MM.yyyy HH:mm:ss z",
                rf"^{_DMY_DOT} {_HMS} {_ZONE}$",
                ("day", "month", "year", *_TIME, "zone"),
                True,
            ),
            Pattern(
                "dd/MM/yyyy HH:mm:ss z",
                rf"^{_DMY_SLASH} {_HMS} {_ZONE}$",
                ("day", "month", "year", *_TIME, "zone"),
                True,
            ),
        )
    }
)
DATE_PATTERNS: tuple[str, ...] = tuple(p for p, spec in PATTERNS.items() if not spec.has_time)
TIMESTAMP_PATTERNS: tuple[str, ...] = tuple(PATTERNS)  # a date alone means midnight UTC

# Numbers, keyed by decimal separator: an optional sign, digits either plain or grouped in
# threes by the other separator, then an optional fraction. At least one digit (checked apart).
NUMBER_PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        ".": r"^[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?:\.[0-9]+)?$",
        ",": r"^[+-]?(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)?(?:,[0-9]+)?$",
    }
)

# A JSON number, exponent form included (Data Kiosk writes 1e-07): a DOUBLE column reads it as
# is, before trying the number patterns above.
JSON_NUMBER = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"

# Zone abbreviations seen in reports or plausible for their marketplaces -> minutes east of UTC.
# Ambiguous ones follow Amazon's marketplaces: CST is US Central, IST is India, BST is British
# Summer, GST is Gulf; AST (Arabia or Atlantic) is left out, so it fails rather than guesses.
ZONE_OFFSETS: Mapping[str, int] = MappingProxyType(
    {
        "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0,
        "WEST": 60, "BST": 60, "CET": 60, "MEZ": 60, "MET": 60,
        "CEST": 120, "MEST": 120, "MESZ": 120, "EET": 120, "SAST": 120,
        "EEST": 180, "MSK": 180, "TRT": 180,
        "GST": 240,
        "IST": 330,
        "SGT": 480, "AWST": 480, "HKT": 480,
        "JST": 540, "KST": 540,
        "ACST": 570, "ACDT": 630,
        "AEST": 600, "AEDT": 660,
        "NZST": 720, "NZDT": 780,
        "BRT": -180, "ART": -180, "BRST": -120,
        "EST": -300, "EDT": -240,
        "CST": -360, "CDT": -300,
        "MST": -420, "MDT": -360,
        "PST": -480, "PDT": -420,
        "AKST": -540, "AKDT": -480,
        "HST": -600,
    }
)  # fmt: skip
