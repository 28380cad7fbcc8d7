"""Placing a group of report requests (one seller, one report type) as a paced workflow step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from domain.errors import (
    AccessTokenExpiredError,
    RateLimitedError,
    SpApiError,
    SpApiServerError,
    ThrottleDeadlineError,
    ThrottledError,
)
from domain.model import Report, ReportRequest
from domain.pacing import Pace, Pacer
from domain.requesting import ReportRequester, RequestedReport, matches

# After a fault, a group that made progress comes back this soon, its progress kept.
FAULT_PAUSE_SECONDS = 5
_FAULTS = (SpApiServerError, ThrottledError)


class _Interrupted(Exception):
    """A fault after this attempt placed something: keep what was placed."""


@dataclass(frozen=True)
class Unplaced:
    """A request that got no report, and why (one line)."""

    request: ReportRequest
    error: str
    cause: str


@dataclass(frozen=True)
class Placement:
    """A group's progress, carried by the workflow from one attempt to the next."""

    pending: tuple[ReportRequest, ...]
    placed: tuple[RequestedReport, ...] = ()
    failed: tuple[Unplaced, ...] = ()
    checked: bool = False  # the reuse check has run

    @property
    def complete(self) -> bool:
        return not self.pending


@dataclass
class _Progress:
    pending: list[ReportRequest]
    placed: list[RequestedReport]
    failed: list[Unplaced]
    checked: bool
    known: list[Report] = field(default_factory=list)

    def freeze(self) -> Placement:
        return Placement(tuple(self.pending), tuple(self.placed), tuple(self.failed), self.checked)


class ReportPlacer:
    """Reuses what one getReports finds, then creates the rest as tokens allow.

    Throttling only waits: a long wait returns the pace to the workflow. Requests still pending at
    the deadline become failures, so the execution can fail visibly with the list.
    """

    def __init__(self, requester: ReportRequester, pacer: Pacer) -> None:
        self._requester = requester
        self._pacer = pacer

    def place(self, placement: Placement, pace: Pace | None) -> tuple[Placement, Pace]:
        """Raises InvalidGrantError and InvalidClientError (every request would fail alike)."""
        pace = self._pacer.start(pace)
        progress = _Progress(
            list(placement.pending), list(placement.placed), list(placement.failed),
            placement.checked,
            # What earlier attempts created answers identical requests still pending.
            [
                self._requester.pending(p.request, p.report_id)
                for p in placement.placed
                if p.report_id is not None
            ],
        )  # fmt: skip
        if self._pacer.overdue(pace):
            return _give_up(progress, "deadline passed"), self._pacer.done(pace)
        try:
            with self._pacer.attempt(pace):
                self._run(progress)
        except _Interrupted:
            return progress.freeze(), self._pacer.pause(pace, FAULT_PAUSE_SECONDS)
        except AccessTokenExpiredError:
            # The loop back goes through Authenticate: a fresh token, and nothing lost.
            return progress.freeze(), self._pacer.reauthenticate(pace)
        except RateLimitedError as limited:
            try:
                return progress.freeze(), self._pacer.wait(pace, limited)
            except ThrottleDeadlineError as exc:
                return _give_up(progress, str(exc)), self._pacer.done(pace)
        return progress.freeze(), self._pacer.done(pace)

    def _run(self, progress: _Progress) -> None:
        """A fault (5xx, a 429 that outlasted the function's waits) with nothing placed yet in
        this attempt is raised for the workflow's retry; after progress, it interrupts."""
        if not progress.checked and progress.pending:
            self._reuse(progress)
        placed_before = len(progress.placed) + len(progress.failed)
        while progress.pending:
            request = progress.pending[0]
            found = _answer(request, progress.known)
            if found is not None:
                progress.placed.append(RequestedReport(request, found.report_id, reused=True))
                progress.pending.pop(0)
                continue
            try:
                report_id = self._requester.create(request)
            except (RateLimitedError, AccessTokenExpiredError):
                raise
            except _FAULTS as fault:
                if len(progress.placed) + len(progress.failed) > placed_before:
                    raise _Interrupted from fault
                raise
            except SpApiError as exc:
                progress.failed.append(Unplaced(request, type(exc).__name__, str(exc)))
            else:
                progress.placed.append(RequestedReport(request, report_id))
                progress.known.append(self._requester.pending(request, report_id))
            progress.pending.pop(0)

    def _reuse(self, progress: _Progress) -> None:
        # Settled at once: later attempts carry the requests, not the candidates.
        first = progress.pending[0]
        progress.known += self._requester.candidates(first.seller_id, first.report_type)
        still: list[ReportRequest] = []
        for request in progress.pending:
            found = _answer(request, progress.known)
            if found is None:
                still.append(request)
            else:
                progress.placed.append(RequestedReport(request, found.report_id, reused=True))
        progress.pending[:] = still
        progress.checked = True


def _answer(request: ReportRequest, known: Sequence[Report]) -> Report | None:
    return next((r for r in known if matches(request, r)), None)


def _give_up(progress: _Progress, reason: str) -> Placement:
    for request in progress.pending:
        progress.failed.append(
            Unplaced(request, "ThrottleDeadlineError", f"not placed before the deadline: {reason}")
        )
    progress.pending.clear()
    return replace(progress.freeze(), checked=True)


def groups(requests: Sequence[ReportRequest]) -> list[Placement]:
    """One placement per seller and report type, so that one getReports serves each group."""
    grouped: dict[tuple[str, str], list[ReportRequest]] = {}
    for request in requests:
        grouped.setdefault((request.seller_id, request.report_type), []).append(request)
    return [Placement(pending=tuple(members)) for members in grouped.values()]
