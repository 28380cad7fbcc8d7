"""What a person sees while `spapi-lake` works: live progress, then a summary table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from domain.datakiosk.model import QueryOutcome
from domain.datakiosk.storing import StoredPage
from domain.ingesting import IngestResult
from domain.marketplaces import MARKETPLACES
from domain.model import Outcome, Report
from domain.ports import DocumentSource, DocumentStream, Lake
from domain.requesting import RequestedReport

_LABELS = {
    Outcome.STORE_DOCUMENT: "[green]DONE[/]",
    Outcome.NO_DATA: "[yellow]CANCELLED (no data)[/]",
    Outcome.STORE_ERROR_DOCUMENT: "[red]FATAL (error document kept)[/]",
    Outcome.FAILED_WITHOUT_DOCUMENT: "[red]FATAL[/]",
}

_PAGE_LABELS = {
    QueryOutcome.DATA: "[green]DONE[/]",
    QueryOutcome.NO_DATA: "[yellow]DONE (no data)[/]",
    QueryOutcome.FATAL: "[red]FATAL (error document kept)[/]",
    QueryOutcome.FATAL_WITHOUT_DOCUMENT: "[red]FATAL[/]",
    QueryOutcome.CANCELLED: "[yellow]CANCELLED[/]",
}


class ProgressObserver:
    """An IngestObserver that drives a rich Progress display."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._waiting = progress.add_task("waiting for reports", total=0)
        self._finished = 0

    def requested(self, requested: RequestedReport) -> None:
        request = requested.request
        where = ",".join(_country(m) for m in request.marketplace_ids)
        if requested.report_id is None:
            self._progress.console.print(
                f"[red]✗[/] {request.report_type} {where}: {requested.error}"
            )
            return
        verb = "reusing" if requested.reused else "requested"
        self._progress.console.print(
            f"[cyan]→[/] {verb} {request.report_type} {where} (report {requested.report_id})"
        )
        self._progress.update(self._waiting, total=(self._progress.tasks[0].total or 0) + 1)

    def polled(self, report: Report) -> None:
        self._progress.update(
            self._waiting,
            description=f"waiting: report {report.report_id} is {report.status.value}",
        )

    def stored(self, result: IngestResult) -> None:
        self._finished += 1
        self._progress.update(self._waiting, completed=self._finished)
        mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
        detail = result.error or (result.stored.outcome.value if result.stored else "")
        self._progress.console.print(f"{mark} {result.request.report_type}: {detail}")


class _CountingStream:
    def __init__(self, inner: DocumentStream, progress: Progress, task: object) -> None:
        self._inner, self._progress, self._task = inner, progress, task

    @property
    def content_type(self) -> str | None:
        return self._inner.content_type

    @property
    def content_encoding(self) -> str | None:
        return self._inner.content_encoding

    def chunks(self) -> Iterator[bytes]:
        for chunk in self._inner.chunks():
            self._progress.update(self._task, advance=len(chunk))  # type: ignore[arg-type]
            yield chunk


class ProgressDocumentSource:
    """Wraps a DocumentSource so each download shows a transfer bar (compressed bytes)."""

    def __init__(self, inner: DocumentSource, progress: Progress) -> None:
        self._inner, self._progress = inner, progress

    @contextmanager
    def _open(self, url: str) -> Iterator[DocumentStream]:
        task = self._progress.add_task("downloading", total=None)
        try:
            with self._inner.open(url) as stream:
                yield _CountingStream(stream, self._progress, task)
        finally:
            self._progress.remove_task(task)

    def open(self, url: str) -> AbstractContextManager[DocumentStream]:
        return self._open(url)


def live_progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _country(marketplace_id: str) -> str:
    found = MARKETPLACES.get(marketplace_id)
    return found.country if found else marketplace_id


def summary_table(results: Sequence[IngestResult], lake: Lake) -> Table:
    table = Table(title="spapi-lake: ingested reports", title_justify="left")
    for column, justify in [("report", "left"), ("status", "left"), ("rows", "right")]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("bytes", justify="right")
    table.add_column("path", overflow="fold")
    for result in results:
        request = result.request
        name = f"{request.report_type} ({','.join(_country(m) for m in request.marketplace_ids)})"
        stored, download = result.stored, result.stored.download if result.stored else None
        status = _LABELS[stored.outcome] if stored else f"[red]failed[/]: {result.error}"
        key = stored.data_key or stored.manifest_key if stored else None
        table.add_row(
            name,
            status,
            "" if download is None or download.rows is None else f"{download.rows:,}",
            "" if download is None else f"{download.bytes:,}",
            _short(lake.uri(key)) if key else "",
        )
    return table


def page_line(page: StoredPage, lake: Lake) -> str:
    """One Data Kiosk page: its number, queryId, outcome, rows and where it landed."""
    mark = "[green]✓[/]" if page.outcome.ok else "[red]✗[/]"
    rows = "" if page.rows is None else f", {page.rows:,} rows"
    again = " (already in the lake)" if page.reused else ""
    where = _short(lake.uri(page.data_key or page.manifest_key))
    return (
        f"{mark} {page.context.where.name} page {page.context.link.number}: "
        f"query {page.query.query_id} {_PAGE_LABELS[page.outcome]}{rows}{again} → {where}"
    )


def _short(uri: str) -> str:
    """Local paths relative to the working directory, so the table stays readable."""
    if not uri.startswith("file://"):
        return uri
    path = Path(unquote(urlparse(uri).path))
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
