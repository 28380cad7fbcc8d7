"""Waiting for reports to finish by reading REPORT_PROCESSING_FINISHED messages from a queue."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.dispatching import parse_finished
from domain.errors import (
    MalformedNotificationError,
    ReportTimeoutError,
    SpApiServerError,
    ThrottledError,
)
from domain.model import FinishedReport, Report
from domain.ports import Clock, MessageQueue, QueueMessage, ReportsApi

log = logging.getLogger(__name__)

ReportKey = tuple[str, str]  # (seller id, report id)


@dataclass(frozen=True)
class QueuePolicy:
    """`recheck` is the safety net Amazon advises: one getReport per unfinished report that
    often, in case its notification is late or lost (or was read by someone else)."""

    wait_seconds: int = 20
    idle_pause: float = 1.0
    recheck: timedelta = timedelta(minutes=5)
    timeout: timedelta = timedelta(hours=2)


class QueueWaiter:
    """Yields each report once its notification arrives, fetching it with getReport.

    Every report is checked once up front: a reused report finished long ago, and its
    notification may never come again. Only messages for the reports being waited on are
    deleted (duplicates included); other reports' messages stay in the queue for the cloud
    pipeline or another run, and reappear after the queue's visibility timeout. Malformed
    messages are logged once and left for the queue's redrive policy to dead-letter. Every
    receive counts towards a message's maxReceiveCount, so give the CLI a queue of its own.
    Raises ReportTimeoutError for reports still unfinished when the policy's timeout passes.
    """

    def __init__(
        self,
        queue: MessageQueue,
        reports: ReportsApi,
        clock: Clock,
        policy: QueuePolicy | None = None,
    ) -> None:
        self._queue = queue
        self._reports = reports
        self._clock = clock
        self._policy = policy or QueuePolicy()
        self._malformed: set[str] = set()

    def wait_all(
        self,
        ids: Iterable[ReportKey],
        on_poll: Callable[[Report], None] | None = None,
    ) -> Iterator[Report]:
        pending = list(dict.fromkeys(ids))
        done: set[ReportKey] = set()
        start = self._clock.now()
        next_check = start
        while pending:
            now = self._clock.now()
            if now - start > self._policy.timeout:
                late = ", ".join(report_id for _, report_id in pending)
                raise ReportTimeoutError(
                    f"reports {late} did not finish within {self._policy.timeout}; "
                    "run again later: finished reports are reused, not requested twice"
                )
            if now >= next_check:
                for key in list(pending):
                    report = self._get(key, on_poll)
                    if report is not None and report.status.terminal:
                        pending.remove(key)
                        done.add(key)
                        yield report
                next_check = self._clock.now() + self._policy.recheck
                continue
            batch = self._queue.receive(self._wait_seconds(start, next_check))
            finished = self._finished(batch, pending, done, on_poll)
            if batch and not finished:
                # Only other reports' messages: with a zero visibility timeout they would
                # come straight back, and the loop must not hammer the queue.
                self._clock.sleep(self._policy.idle_pause)
            yield from finished

    def _finished(
        self,
        batch: list[QueueMessage],
        pending: list[ReportKey],
        done: set[ReportKey],
        on_poll: Callable[[Report], None] | None,
    ) -> list[Report]:
        """The batch's finished reports; their messages are deleted before any is stored,
        so a long download cannot outlast the visibility timeout of a receipt handle."""
        finished: list[Report] = []
        for message in batch:
            key = self._key(message)
            if key is None:
                continue
            if key in done:
                self._queue.delete(message)  # a duplicate delivery of one already yielded
            elif key in pending:
                report = self._get(key, on_poll)
                if report is not None and report.status.terminal:
                    self._queue.delete(message)
                    pending.remove(key)
                    done.add(key)
                    finished.append(report)
        return finished

    def _get(self, key: ReportKey, on_poll: Callable[[Report], None] | None) -> Report | None:
        try:
            report = self._reports.get_report(*key)
        except (ThrottledError, SpApiServerError):
            return None  # the message comes back after its visibility timeout; so does recheck
        if on_poll is not None:
            on_poll(report)
        return report

    def _key(self, message: QueueMessage) -> ReportKey | None:
        try:
            finished = parse_finished(message.body)
        except MalformedNotificationError as exc:
            if message.message_id not in self._malformed:
                self._malformed.add(message.message_id)
                log.warning("skipping queue message %s: %s", message.message_id, exc)
            return None
        if not isinstance(finished, FinishedReport) or finished.seller_id is None:
            return None  # Data Kiosk and vendor messages: this run waits on seller reports
        return (finished.seller_id, finished.report_id)

    def _wait_seconds(self, start: datetime, next_check: datetime) -> int:
        """Long-poll no longer than until the next recheck or the timeout."""
        until = min(next_check, start + self._policy.timeout)
        left = (until - self._clock.now()).total_seconds()
        return max(0, min(self._policy.wait_seconds, int(left) + 1))
