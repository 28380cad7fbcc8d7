"""`spapi-lake run --query`: Data Kiosk queries run page by page, each page stored and curated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console

from adapters.system_clock import SystemClock
from domain.curating import CurateError, CurateService
from domain.datakiosk.model import QueryOutcome
from domain.datakiosk.reusing import stored_pages
from domain.datakiosk.storing import PageContext, StoredPage
from domain.marketplaces import LWA_ENDPOINT
from domain.ports import Lake
from handlers.cli_kiosk_plan import QueryJob, plan_queries
from handlers.cli_progress import page_line
from handlers.cli_run import RunArgs, curated_summary, local_container, use_env_credentials
from wiring.container import LocalContainer


def run_queries(
    args: RunArgs,
    console: Console,
    environ: Mapping[str, str],
    tune: Callable[[LocalContainer], None] | None = None,
) -> bool:
    """`run --query`; `tune` lets tests override providers (e.g. faster polling)."""
    clock = SystemClock()
    plan = plan_queries(args, clock.now().date())
    for note in plan.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    container = local_container(
        args.lake,
        args.endpoint or plan.region.endpoint,
        args.lwa_endpoint or LWA_ENDPOINT,
        args.max_decompressed_bytes,
        kms_key_id=args.kms_key_id,
        rate_limit_table=args.rate_limit_table or plan.rate_limit_table,
        query_concurrency=plan.concurrency,
    )
    use_env_credentials(container, environ, plan.jobs[0].planned.partner_id)
    if tune is not None:
        tune(container)
    return run_jobs(container, plan.jobs, console)


def run_jobs(container: LocalContainer, jobs: list[QueryJob], console: Console) -> bool:
    """Runs (or reuses) each job's pages, printing one line per page, curating each page with
    data, then the curated tables. False (exit 1) when a page ended FATAL or failed to curate."""
    lake, curate = container.lake(), _curator(container, console)
    runner, storer = container.query_runner(), container.page_storer()
    tables: list[tuple[str, dict[str, Any]]] = []
    failures: list[str] = []

    def on_page(page: StoredPage) -> None:
        console.print(page_line(page, lake), highlight=False, soft_wrap=True)
        if not page.outcome.ok:
            failures.append(_failure(page))
        try:
            tables.extend((page.query.query_id, t) for t in _curated(page, lake, curate))
        except CurateError as exc:
            failures.append(f"{_page_name(page)}: curating failed: {exc}")

    def on_created(query_id: str, context: PageContext) -> None:
        console.print(f"  created page {context.link.number}: query {query_id}", highlight=False)

    for job in jobs:
        planned = job.planned
        console.print(
            f"[cyan]→[/] {planned.name} for {planned.partner_id}, {job.start} to {job.end}",
            highlight=False,
        )
        now = container.clock().now()
        reused = stored_pages(
            planned, container.kiosk_api(), container.query_ledger(), storer, lake, now
        )
        for page in reused or ():
            on_page(page)
        if reused is None:
            runner.run(planned, on_created=on_created, on_page=on_page)
    if tables:
        console.print(curated_summary(tables, source="query"))
    for failure in failures:
        console.print(f"[red]{failure}[/]", highlight=False, soft_wrap=True)
    return not failures


def _page_name(page: StoredPage) -> str:
    return (
        f"{page.context.where.name} page {page.context.link.number} (query {page.query.query_id})"
    )


def _failure(page: StoredPage) -> str:
    if page.outcome is QueryOutcome.FATAL and page.data_key:
        return f"{_page_name(page)} ended FATAL: its error document is {page.data_key}"
    return f"{_page_name(page)} ended FATAL without an error document: see {page.manifest_key}"


def _curator(container: LocalContainer, console: Console) -> CurateService | None:
    try:
        return container.curate()
    except ImportError:
        console.print(
            "[yellow]note:[/] query pages are stored raw only: curating needs DuckDB "
            "(pip install 'spapi-lake[analytics]')"
        )
        return None


def _curated(page: StoredPage, lake: Lake, curate: CurateService | None) -> list[dict[str, Any]]:
    """The curated table entries of a page with data; a page curated by an earlier run keeps
    the section that run wrote. Raises CurateError."""
    if curate is None or page.outcome is not QueryOutcome.DATA:
        return []
    manifest = lake.get_manifest(page.manifest_key) or {}
    section = manifest.get("curated") or (curate.curate(manifest) if manifest else None)
    return list((section or {}).get("tables", []))
