"""Faults the workflow tests inject into LocalCloud."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from localcloud.cloud import LocalCloud


@contextmanager
def lost_notifications(cloud: LocalCloud) -> Iterator[list[str]]:
    """The queue hands each message over and it is gone without an ingest (acknowledged by a
    consumer that drops it): the bodies dropped."""
    dropped: list[str] = []

    def drop(event: dict[str, Any], context: Any) -> dict[str, Any]:
        dropped.extend(record["body"] for record in event["Records"])
        return {"batchItemFailures": []}

    cloud.dispatcher.overrides["process_notification"] = drop
    try:
        yield dropped
    finally:
        cloud.dispatcher.overrides.pop("process_notification", None)
