"""`spapi-lake run`: plan from flags or a stack file, then ingest with live progress."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dependency_injector import providers
from rich.console import Console

from adapters.env_credentials import EnvCredentials
from domain.ingesting import IngestResult
from domain.marketplaces import LWA_ENDPOINT
from domain.model import ReportRequest
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
    marketplaces: Sequence[str] = field(default_factory=list)
    reports: Sequence[str] = field(default_factory=list)
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
) -> LocalContainer:
    """A directory or s3:// lake; polling getReport, or reading `queue_url` when given; the
    in-process rate limiter, or a deployment's shared buckets in `rate_limit_table`."""
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
        }
    )
    return container


def ingest_with_progress(
    container: LocalContainer, requests: list[ReportRequest], console: Console
) -> bool:
    """Run the ingest showing progress, print the summary table; True when every report is ok."""
    progress = live_progress(console)
    inner = container.document_source()
    container.document_source.override(providers.Object(ProgressDocumentSource(inner, progress)))
    from handlers.cli_progress import ProgressObserver

    with progress:
        results: list[IngestResult] = container.ingest().run(requests, ProgressObserver(progress))
    console.print(summary_table(results, container.lake()))
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
    )
    container = local_container(
        args.lake,
        args.endpoint or plan.region.endpoint,
        args.lwa_endpoint or LWA_ENDPOINT,
        args.max_decompressed_bytes,
        kms_key_id=args.kms_key_id,
        queue_url=args.queue_url,
        rate_limit_table=args.rate_limit_table or plan.rate_limit_table,
    )
    credentials = EnvCredentials(environ)
    credentials.app()  # fail fast, before any call, when a variable is missing
    credentials.refresh_token(plan.requests[0].seller_id)
    container.credentials.override(providers.Object(credentials))
    if tune is not None:
        tune(container)
    return ingest_with_progress(container, plan.requests, console)
