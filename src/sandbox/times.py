"""Epoch seconds to and from the ISO 8601 strings SP-API speaks."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def iso(epoch: float) -> str:
    """Amazon's style: `2024-03-10T13:47:20+00:00`, whole seconds."""
    return utc(epoch).isoformat(timespec="seconds")


def iso_millis(epoch: float) -> str:
    """The notification style: `2020-07-14T03:35:13.214Z`."""
    return utc(epoch).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> float:
    """An ISO 8601 date or date-time as epoch seconds; naive values are UTC."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
