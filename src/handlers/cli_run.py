"""`spapi-lake run`: plan from flags or a stack file, then ingest with live progress."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dependency_injector import providers
from rich.console import Console
from rich.table import Table

from adapters.env_credentials import EnvCredentials
from domain.curating import CurateService
from domain.datakiosk.lifecycle import DEFAULT_MAX_IN_FLIGHT
from domain.ingesting import IngestResult, Storer
from domain.marketplaces import LWA_ENDPOINT
from domain.model import Report, ReportRequest, StoredReport
from domain.ports import Lake
from handlers.cli_cloud import lake_settings, queue_settings
from handlers.cli_options import build_plan
from handlers.cli_progress import ProgressDocumentSource, live_progress, summary_table
from wiring.container import GIB, LocalContainer


@dataclass(frozen=True)
class RunArgs:
    lake: str
    endpoint: str | None = None
    lwa_endpoint: str | None = None
    region: str | None = None
    seller_id: str | None = None
    vendor: str | None = None  # a vendor group's account id (amzn1.vg.…), instead of seller_id
    marketplaces: Sequence[str] = field(default_factory=list)
    reports: Sequence[str] = field(default_factory=list)
    queries: Sequence[str] = field(default_factory=list)  # Data Kiosk: files or names
    since: str | None = None
    until: str | None = None
    options: Sequence[str] = field(default_factory=list)
    stack: str | None = None
    max_decompressed_bytes: int = 16 * GIB
    kms_key_id: str | None = None
    queue_url: str | None = None
    rate_limit_table: str | None = None


def local_container(
    lake: Path | str,
    endpoint: str,
    lwa_endpoint: str,
    max_bytes: int,
    *,
    kms_key_id: str | None = None,
    queue_url: str | None = None,
    rate_limit_table: str | None = None,
    query_concurrency: int = DEFAULT_MAX_IN_FLIGHT,
) -> LocalContainer:
    """A directory or s3:// lake; polling getReport, or reading `queue_url` when given; the
    in-process rate limiter, or a deployment's shared buckets in `rate_limit_table`; at most
    `query_concurrency` Data Kiosk queries in flight per partner."""
    container = LocalContainer()
    container.config.from_dict(
        {
            **lake_settings(lake, kms_key_id),
            **queue_settings(queue_url),
            "endpoint": endpoint.rstrip("/"),
            "lwa_endpoint": lwa_endpoint,
            "max_decompressed_bytes": max_bytes,
            "limiter_kind": "shared" if rate_limit_table else "local",
            "rate_limit_table": rate_limit_table or "",
            "query_concurrency": query_concurrency,
        }
    )
    return container


class CuratingStorer:
    """Stores a report, then curates it once its manifest is written: `run` and `demo` leave
    typed tables behind as they ingest. A curate failure fails that report (CurateError); its
    raw document and manifest stay, and `spapi-lake curate` tries again."""

    def __init__(self, inner: Storer, lake: Lake, curate: CurateService) -> None:
        self._inner, self._lake, self._curate = inner, lake, curate
        self.tables: list[tuple[str, dict[str, Any]]] = []  # (report id, curated table entry)

    def store(self, report: Report) -> StoredReport:
        stored = self._inner.store(report)
        manifest = self._lake.get_manifest(stored.manifest_key) or {}
        # A report stored by an earlier run keeps the section that run wrote.
        section = manifest.get("curated") or (self._curate.curate(manifest) if manifest else None)
        for entry in (section or {}).get("tables", []):
            self.tables.append((report.report_id, entry))
        return stored


def curating_storer(container: LocalContainer, console: Console) -> CuratingStorer | None:
    """Wraps the container's storer, or says once that curating needs the analytics extra."""
    try:
        curate = container.curate()
    except ImportError:
        console.print(
            "[yellow]note:[/] reports are stored raw only: curating needs DuckDB "
            "(pip install 'spapi-lake[analytics]')"
        )
        return None
    curating = CuratingStorer(container.storer(), container.lake(), curate)
    container.storer.override(providers.Object(curating))
    return curating


def curated_summary(tables: list[tuple[str, dict[str, Any]]], source: str = "report") -> Table:
    """One row per curated table entry; `source` heads the id column (report, or query)."""
    table = Table(title="spapi-lake: curated tables", title_justify="left")
    for column, justify in [("table", "left"), (source, "left"), ("rows", "right")]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("unparsed values", overflow="fold")
    for report_id, entry in tables:
        failures = entry.get("parseFailures") or {}
        note = ", ".join(f"{column} {count}" for column, count in failures.items())
        if entry.get("refused"):
            note = f"[red]refused[/]: {entry['refused']}"
        table.add_row(entry["table"], report_id, f"{entry['rows']:,}", note)
    return table


def curate_container(lake: Path | str, kms_key_id: str | None = None) -> LocalContainer:
    """Just enough of the container to curate: a lake, a clock and the DuckDB engine."""
    container = LocalContainer()
    container.config.from_dict(lake_settings(lake, kms_key_id))
    return container


def ingest_with_progress(
    container: LocalContainer, requests: list[ReportRequest], console: Console
) -> bool:
    """Ingest (and curate) showing progress, print the summaries; True when every report is ok."""
    progress = live_progress(console)
    inner = container.document_source()
    container.document_source.override(providers.Object(ProgressDocumentSource(inner, progress)))
    curating = curating_storer(container, console)
    from handlers.cli_progress import ProgressObserver

    with progress:
        results: list[IngestResult] = container.ingest().run(requests, ProgressObserver(progress))
    console.print(summary_table(results, container.lake()))
    if curating is not None and curating.tables:
        console.print(curated_summary(curating.tables))
    failed = [r for r in results if not r.ok]
    if failed:
        console.print(f"[red]{len(failed)} of {len(results)} reports did not end DONE or CANCELLED")
    return not failed


def run_reports(
    args: RunArgs,
    console: Console,
    environ: Mapping[str, str],
    tune: Callable[[LocalContainer], None] | None = None,
) -> bool:
    """The `run` command; `tune` lets tests override providers (e.g. faster retries)."""
    from adapters.system_clock import SystemClock

    plan = build_plan(
        stack=args.stack,
        region=args.region,
        seller_id=args.seller_id,
        marketplaces=args.marketplaces,
        reports=args.reports,
        since=args.since,
        until=args.until,
        options=args.options,
        now=SystemClock().now(),
        vendor=args.vendor,
    )
    for note in plan.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    container = local_container(
        args.lake,
        args.endpoint or plan.region.endpoint,
        args.lwa_endpoint or LWA_ENDPOINT,
        args.max_decompressed_bytes,
        kms_key_id=args.kms_key_id,
        queue_url=args.queue_url,
        rate_limit_table=args.rate_limit_table or plan.rate_limit_table,
    )
    use_env_credentials(container, environ, plan.requests[0].seller_id)
    if tune is not None:
        tune(container)
    return ingest_with_progress(container, plan.requests, console)


def use_env_credentials(
    container: LocalContainer, environ: Mapping[str, str], partner_id: str
) -> None:
    """Credentials from the environment, checked before any call: a missing variable fails
    fast, with its name."""
    credentials = EnvCredentials(environ)
    credentials.app()
    credentials.refresh_token(partner_id)
    container.credentials.override(providers.Object(credentials))
