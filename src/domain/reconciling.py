"""Reconciling: ingest finished reports whose notification never came (lost, vendor, settlement)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import AuthError, ConfigError, SpApiError
from domain.lake import manifest_key
from domain.model import FinishedReport, Report, ReportStatus, Start
from domain.ports import Clock, Lake, ReportsApi, Workflow

MAX_TYPES_PER_CALL = 10  # getReports takes 1-10 report types
# Amazon keeps reports for 90 days: looking further back finds nothing more.
MAX_LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class Reconciled:
    """What one sweep found, and the sellers whose reports could not be listed."""

    checked: int
    started: int
    in_lake: int
    already_started: int
    restarted: int = 0  # of `started`: new attempts after a failed execution
    failures: tuple[tuple[str, SpApiError | AuthError], ...] = ()


class Reconciler:
    """Starts an ingest for each DONE report created in the last `hours` whose manifest is
    missing from the lake: a lost notification, or an ingest that failed (the Workflow port
    starts its next attempt).

    DONE only: CANCELLED and document-less FATAL reports are recorded straight from their
    notification, under a date the notification gives, so getReports cannot predict their
    manifest key and a second ingest would write a second manifest. Idempotent: the Workflow
    port refuses a second ingest of the same report.
    """

    def __init__(self, reports: ReportsApi, lake: Lake, workflow: Workflow, clock: Clock) -> None:
        self._reports = reports
        self._lake = lake
        self._workflow = workflow
        self._clock = clock

    def run(
        self, seller_ids: Sequence[str], report_types: Sequence[str], hours: float
    ) -> Reconciled:
        """One seller's SP-API or LWA failure (InvalidGrantError, ThrottledError, ...) is kept in
        `failures` and the sweep goes on with the next seller; Lake and Workflow errors
        (AwsServiceError, ConfigError) propagate."""
        if hours <= 0:
            raise ConfigError(f"reconcile hours must be positive, got {hours}")
        since = self._clock.now() - min(timedelta(hours=hours), MAX_LOOKBACK)
        types = sorted(set(report_types))
        batches = [
            types[i : i + MAX_TYPES_PER_CALL] for i in range(0, len(types), MAX_TYPES_PER_CALL)
        ]
        counts: Counter[str] = Counter()
        failures: list[tuple[str, SpApiError | AuthError]] = []
        for seller_id in dict.fromkeys(seller_ids):
            try:
                for batch in batches:
                    self._sweep(seller_id, batch, since, counts)
            except (SpApiError, AuthError) as exc:
                failures.append((seller_id, exc))
        return Reconciled(
            checked=counts["checked"],
            started=counts["started"],
            in_lake=counts["in_lake"],
            already_started=counts["already_started"],
            restarted=counts["restarted"],
            failures=tuple(failures),
        )

    def _sweep(
        self, seller_id: str, types: list[str], since: datetime, counts: Counter[str]
    ) -> None:
        found = self._reports.get_reports(
            seller_id, report_types=types, statuses=[ReportStatus.DONE], created_since=since
        )
        for report in found:
            counts["checked"] += 1
            if self._lake.exists(manifest_key(report)):
                counts["in_lake"] += 1
            else:
                start = self._workflow.start_ingest(finished(report))
                counts["started" if start.began else "already_started"] += 1
                counts["restarted"] += start is Start.RESTARTED


def finished(report: Report) -> FinishedReport:
    """The notification this report would have sent."""
    return FinishedReport(
        report_id=report.report_id,
        report_type=report.report_type,
        status=report.status,
        seller_id=report.seller_id,
        document_id=report.document_id,
    )
