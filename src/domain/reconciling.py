"""Reconciling: ingest DONE reports whose notification never came; curate those never curated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain import registry
from domain.errors import AuthError, ConfigError, SpApiError
from domain.lake import manifest_key, parse_iso
from domain.model import FinishedReport, Outcome, Report, ReportStatus, Start
from domain.planning import ReportConfig, Seller, applies
from domain.ports import Clock, Lake, ReportsApi, Workflow

MAX_TYPES_PER_CALL = 10  # getReports takes 1-10 report types
# Amazon keeps reports for 90 days: looking further back finds nothing more.
MAX_LOOKBACK = timedelta(days=90)
# A report stored more recently may still be curating in its own execution (CurateReport runs
# up to 15 minutes, retried once): curating it again would only repeat that work.
CURATE_GRACE = timedelta(hours=1)


class CurateTrigger(Protocol):
    """Starts curating a stored report in the background (in the cloud, the curate function
    invoked asynchronously). Raises AwsServiceError (retry later) or ConfigError."""

    def curate(self, manifest_key: str) -> None: ...


def curatable(report_type: str, outcome: str, stored_key: str | None) -> bool:
    """Whether a stored report feeds curated tables: its document is in the lake (not an error
    document, not nothing) and the registry knows its type."""
    stored = outcome == Outcome.STORE_DOCUMENT.value and bool(stored_key)
    return stored and bool(registry.tables_for(report_type))


def needs_curating(report_type: str, manifest: Mapping[str, Any], now: datetime) -> bool:
    """A curatable report whose manifest has no `curated` section, stored long enough ago that
    its own execution has finished curating it or has given up."""
    outcome, key = str(manifest.get("outcome")), manifest.get("key")
    if "curated" in manifest or not curatable(report_type, outcome, key):
        return False
    try:
        ingested = parse_iso(manifest.get("ingestedAt"))
    except ValueError:
        ingested = None  # no usable time: not one the workflow is curating right now
    return ingested is None or now - ingested >= CURATE_GRACE


def sweeps(
    partners: Sequence[Seller], reports: Sequence[ReportConfig]
) -> dict[str, tuple[str, ...]]:
    """The report types to look for, per partner id: those of `reports` that apply to the
    partner (its kind's audience, the config's `partners`), as request-reports plans them. A
    vendor is never asked for a seller type, nor a seller for a vendor one (Amazon answers such
    requests with 400 InvalidInput); a partner with no type left is not swept at all."""
    found: dict[str, tuple[str, ...]] = {}
    for partner in partners:
        types = tuple(dict.fromkeys(r.report_type for r in reports if applies(r, partner)))
        if types:
            found[partner.seller_id] = types
    return found


@dataclass(frozen=True)
class Reconciled:
    """What one sweep found, and the partners (sellers, vendors) whose reports could not be
    listed."""

    checked: int
    started: int
    in_lake: int
    already_started: int
    restarted: int = 0  # of `started`: new attempts after a failed execution
    curating: int = 0  # of `in_lake`: stored reports sent to be curated again
    failures: tuple[tuple[str, SpApiError | AuthError], ...] = ()


class Reconciler:
    """Starts an ingest for each DONE report created in the last `hours` whose manifest is
    missing from the lake: a lost notification, or an ingest that failed (the Workflow port
    starts its next attempt).

    DONE only: CANCELLED and document-less FATAL reports are recorded straight from their
    notification, under a date the notification gives, so getReports cannot predict their
    manifest key and a second ingest would write a second manifest. Idempotent: the Workflow
    port refuses a second ingest of the same report.

    With a CurateTrigger, a stored report the registry knows whose manifest lacks `curated`
    (its CurateReport step failed, or it was stored before curation existed) is curated again;
    curating overwrites the same keys, so a repeat is harmless.
    """

    def __init__(
        self,
        reports: ReportsApi,
        lake: Lake,
        workflow: Workflow,
        clock: Clock,
        curate: CurateTrigger | None = None,
    ) -> None:
        self._reports = reports
        self._lake = lake
        self._workflow = workflow
        self._clock = clock
        self._curate = curate

    def run(
        self, seller_ids: Sequence[str], report_types: Sequence[str], hours: float
    ) -> Reconciled:
        """Every partner in `seller_ids` swept for every type in `report_types`."""
        return self.run_each({seller_id: report_types for seller_id in seller_ids}, hours)

    def run_each(self, types_by_partner: Mapping[str, Sequence[str]], hours: float) -> Reconciled:
        """Each partner (seller id or vendor account id) swept for its own types (`sweeps`).
        One partner's SP-API or LWA failure (InvalidGrantError, ThrottledError, ...) is kept in
        `failures` and the sweep goes on with the next partner; Lake, Workflow and CurateTrigger
        errors (AwsServiceError, ConfigError) propagate."""
        if hours <= 0:
            raise ConfigError(f"reconcile hours must be positive, got {hours}")
        since = self._clock.now() - min(timedelta(hours=hours), MAX_LOOKBACK)
        counts: Counter[str] = Counter()
        failures: list[tuple[str, SpApiError | AuthError]] = []
        for seller_id, report_types in types_by_partner.items():
            types = sorted(set(report_types))
            try:
                for i in range(0, len(types), MAX_TYPES_PER_CALL):
                    self._sweep(seller_id, types[i : i + MAX_TYPES_PER_CALL], since, counts)
            except (SpApiError, AuthError) as exc:
                failures.append((seller_id, exc))
        return Reconciled(
            checked=counts["checked"],
            started=counts["started"],
            in_lake=counts["in_lake"],
            already_started=counts["already_started"],
            restarted=counts["restarted"],
            curating=counts["curating"],
            failures=tuple(failures),
        )

    def _sweep(
        self, seller_id: str, types: list[str], since: datetime, counts: Counter[str]
    ) -> None:
        found = self._reports.get_reports(
            seller_id, report_types=types, statuses=[ReportStatus.DONE], created_since=since
        )
        now = self._clock.now()
        for report in found:
            counts["checked"] += 1
            key = manifest_key(report)
            manifest = self._lake.get_manifest(key)
            if manifest is None:
                start = self._workflow.start_ingest(finished(report))
                counts["started" if start.began else "already_started"] += 1
                counts["restarted"] += start is Start.RESTARTED
                continue
            counts["in_lake"] += 1
            if self._curate is not None and needs_curating(report.report_type, manifest, now):
                self._curate.curate(key)
                counts["curating"] += 1


def finished(report: Report) -> FinishedReport:
    """The notification this report would have sent; for a vendor, `seller_id` holds its
    account id, so the ingest is named (and deduplicated) as its notification's would be."""
    return FinishedReport(
        report_id=report.report_id,
        report_type=report.report_type,
        status=report.status,
        seller_id=report.seller_id,
        document_id=report.document_id,
    )
