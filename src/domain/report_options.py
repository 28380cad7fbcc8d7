"""One reportOption of a report type: required or not, and the values Amazon accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class OptionKind(StrEnum):
    ENUM = "enum"  # one of `allowed`
    DATE_TIME = "date-time"  # ISO 8601 with a time, e.g. 2026-11-01T00:00:00Z
    CURRENCY = "currency"  # ISO 4217, e.g. USD
    TEXT = "text"  # free text up to `max_length` characters


@dataclass(frozen=True)
class OptionSpec:
    name: str
    required: bool
    kind: OptionKind = OptionKind.ENUM
    allowed: tuple[str, ...] = ()
    max_length: int | None = None

    @property
    def allowed_text(self) -> str:
        """What the option accepts, for a one-line error."""
        if self.kind is OptionKind.ENUM:
            return ", ".join(self.allowed)
        if self.kind is OptionKind.DATE_TIME:
            return "an ISO 8601 date-time in UTC, e.g. 2026-11-01T00:00:00Z"
        if self.kind is OptionKind.CURRENCY:
            return "an ISO 4217 currency code, e.g. USD, EUR or JPY"
        return f"text of at most {self.max_length} characters"

    def problem(self, value: str) -> str | None:
        """Why `value` is not allowed (naming the option and what it accepts), or None."""
        if self._accepts(value):
            return None
        return f"{self.name}={value!r} is not allowed; allowed: {self.allowed_text}"

    def _accepts(self, value: str) -> bool:
        if self.kind is OptionKind.ENUM:
            return value in self.allowed
        if self.kind is OptionKind.CURRENCY:
            return bool(_CURRENCY.match(value))
        if self.kind is OptionKind.DATE_TIME:
            return parse_date_time(value) is not None
        return bool(value.strip()) and (self.max_length is None or len(value) <= self.max_length)


def parse_date_time(value: str) -> datetime | None:
    """An ISO 8601 date-time with a time part; without an offset it is UTC."""
    if "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
