"""Waiting for reports to finish by polling getReport with per-report exponential backoff."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import ReportTimeoutError, SpApiServerError, ThrottledError
from domain.model import Report
from domain.ports import Clock, ReportsApi


@dataclass(frozen=True)
class PollPolicy:
    first_interval: float = 2.0
    factor: float = 1.5
    max_interval: float = 60.0
    timeout: timedelta = timedelta(hours=2)


@dataclass
class _Pending:
    seller_id: str
    report_id: str
    due: datetime
    interval: float


class ReportWaiter:
    """Polls many reports round-robin and yields each as soon as it is terminal.

    Throttling and server errors while polling only delay that report's next poll.
    Raises ReportTimeoutError for reports still unfinished when the policy's timeout passes.
    """

    def __init__(self, reports: ReportsApi, clock: Clock, policy: PollPolicy | None = None):
        self._reports = reports
        self._clock = clock
        self._policy = policy or PollPolicy()

    def wait_all(
        self,
        ids: Iterable[tuple[str, str]],
        on_poll: Callable[[Report], None] | None = None,
    ) -> Iterator[Report]:
        policy = self._policy
        start = self._clock.now()
        pending = [_Pending(s, r, start, policy.first_interval) for s, r in dict.fromkeys(ids)]
        while pending:
            pending.sort(key=lambda p: p.due)
            item = pending[0]
            wait = (item.due - self._clock.now()).total_seconds()
            if wait > 0:
                self._clock.sleep(wait)
            if self._clock.now() - start > policy.timeout:
                late = ", ".join(p.report_id for p in pending)
                raise ReportTimeoutError(
                    f"reports {late} did not finish within {policy.timeout}; "
                    "run again later: finished reports are reused, not requested twice"
                )
            try:
                report = self._reports.get_report(item.seller_id, item.report_id)
            except (ThrottledError, SpApiServerError):
                report = None
            if report is not None and on_poll is not None:
                on_poll(report)
            if report is not None and report.status.terminal:
                pending.pop(0)
                yield report
                continue
            item.due = self._clock.now() + timedelta(seconds=item.interval)
            item.interval = min(item.interval * policy.factor, policy.max_interval)

    def wait(self, seller_id: str, report_id: str) -> Report:
        return next(self.wait_all([(seller_id, report_id)]))
