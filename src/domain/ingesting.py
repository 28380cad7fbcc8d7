"""Ingesting on one machine: request the planned reports, wait for them, store each one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.errors import ReportTimeoutError, SpApiLakeError
from domain.model import Outcome, Report, ReportRequest, StoredReport
from domain.requesting import ReportRequester, RequestedReport


class Waiter(Protocol):
    """ReportWaiter (polling) or QueueWaiter (notifications): yields reports as they finish."""

    def wait_all(
        self,
        ids: Iterable[tuple[str, str]],
        on_poll: Callable[[Report], None] | None = None,
    ) -> Iterator[Report]: ...


class Storer(Protocol):
    def store(self, report: Report) -> StoredReport: ...


class IngestObserver(Protocol):
    """Progress for a person watching: every method is optional to act on."""

    def requested(self, requested: RequestedReport) -> None: ...

    def polled(self, report: Report) -> None: ...

    def stored(self, result: IngestResult) -> None: ...


@dataclass(frozen=True)
class IngestResult:
    """One planned request's end: stored (in any outcome) or failed with a one-line reason."""

    request: ReportRequest
    report_id: str | None
    stored: StoredReport | None = None
    error: str | None = None
    reused: bool = False

    @property
    def ok(self) -> bool:
        """DONE and CANCELLED are fine; FATAL and failures are not."""
        return self.stored is not None and self.stored.outcome in (
            Outcome.STORE_DOCUMENT,
            Outcome.NO_DATA,
        )


class _Silent:
    def requested(self, requested: RequestedReport) -> None:
        pass

    def polled(self, report: Report) -> None:
        pass

    def stored(self, result: IngestResult) -> None:
        pass


class LocalIngest:
    """The `spapi-lake run` use case. Stores what it can even when some reports fail."""

    def __init__(self, requester: ReportRequester, waiter: Waiter, storer: Storer) -> None:
        self._requester = requester
        self._waiter = waiter
        self._storer = storer

    def run(
        self, requests: Sequence[ReportRequest], observer: IngestObserver | None = None
    ) -> list[IngestResult]:
        watch = observer or _Silent()
        results: dict[tuple[str, str], IngestResult] = {}
        finished: list[IngestResult] = []
        for requested in self._requester.request_all(requests):
            watch.requested(requested)
            if requested.report_id is None:
                failed = IngestResult(requested.request, None, error=str(requested.error))
                finished.append(failed)
                watch.stored(failed)
                continue
            key = (requested.request.seller_id, requested.report_id)
            results.setdefault(
                key, IngestResult(requested.request, requested.report_id, reused=requested.reused)
            )
        try:
            for report in self._waiter.wait_all(list(results), on_poll=watch.polled):
                pending = results.pop((report.seller_id, report.report_id))
                finished.append(self._store(pending, report, watch))
        except ReportTimeoutError as exc:
            for pending in results.values():
                late = IngestResult(pending.request, pending.report_id, error=str(exc))
                finished.append(late)
                watch.stored(late)
        return finished

    def _store(self, pending: IngestResult, report: Report, watch: IngestObserver) -> IngestResult:
        try:
            stored = self._storer.store(report)
            result = IngestResult(pending.request, report.report_id, stored, reused=pending.reused)
        except SpApiLakeError as exc:
            result = IngestResult(pending.request, report.report_id, error=str(exc))
        watch.stored(result)
        return result
