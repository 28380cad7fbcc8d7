"""Storing one terminal Data Kiosk page: its document streamed into the lake, then its manifest.

Shares the report side's copier (download → gunzip by Content-Encoding → ceiling → UTF-8 →
tallies → lake) and its retry loop; only the keys, the outcome and the manifest differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.copying import GIB, DocumentCopier, Progress, copy_with_retries, download_of, zlib_gzip
from domain.datakiosk.lake import (
    PageKey,
    PageLink,
    ledger_key,
    manifest,
    manifest_key,
    query_of,
    stored_key,
)
from domain.datakiosk.lifecycle import interpret
from domain.datakiosk.model import KioskDocument, KioskQuery, QueryOutcome, QueryStatus
from domain.datakiosk.ports import KioskApi
from domain.model import Download, ReportDocument
from domain.ports import Clock, Decompressor, DocumentSource, Lake


@dataclass(frozen=True)
class PageContext:
    """What getQuery does not tell about a page: the query's name and partition (where its
    pages land), what it selects (which curated table it feeds), its place among its pages."""

    where: PageKey
    selection: str
    link: PageLink = field(default_factory=PageLink)

    def as_json(self) -> dict[str, Any]:
        return {
            "queryName": self.where.name,
            "sellerId": self.where.partner_id,
            "dt": f"{self.where.dt:%Y-%m-%d}",
            "selection": self.selection,
            "page": self.link.number,
            "firstQueryId": self.link.first_query_id,
            "previousQueryId": self.link.previous_query_id,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PageContext:
        """Raises KeyError/ValueError/TypeError for a body that is not a context."""
        where = PageKey(
            str(body["queryName"]), str(body["sellerId"]), date.fromisoformat(body["dt"])
        )
        link = PageLink(int(body["page"]), body.get("firstQueryId"), body.get("previousQueryId"))
        return cls(where, str(body["selection"]), link)


class QueryLedger:
    """Records each created query's PageContext in the lake, so that whoever finishes the query
    (a notification, reconcile, another process) knows where its page goes."""

    def __init__(self, lake: Lake) -> None:
        self._lake = lake

    def record(self, query_id: str, context: PageContext) -> None:
        self._lake.put_manifest(ledger_key(context.where.partner_id, query_id), context.as_json())

    def context(self, partner_id: str, query_id: str) -> PageContext | None:
        """The context recorded at creation; None for a query this pipeline did not create."""
        body = self._lake.get_manifest(ledger_key(partner_id, query_id))
        if body is None:
            return None
        try:
            return PageContext.from_json(body)
        except (KeyError, ValueError, TypeError):
            return None


@dataclass(frozen=True)
class StoredPage:
    """A page in the lake: its manifest (written last) and the document, if one was stored."""

    query: KioskQuery
    context: PageContext
    outcome: QueryOutcome
    manifest_key: str
    data_key: str | None
    download: Download | None
    reused: bool = False

    @property
    def has_next_page(self) -> bool:
        """Whether another page follows (a reused page's query has no token: its manifest says)."""
        return self.query.next_token is not None or self._announced

    _announced: bool = field(default=False, repr=False)

    @property
    def rows(self) -> int | None:
        return self.download.rows if self.download else None


class PageStorer:
    """Stores terminal query pages. Idempotent: once a page's manifest exists it is not fetched
    again (unless forced), and every key is a function of the page's context and query id."""

    def __init__(
        self,
        api: KioskApi,
        source: DocumentSource,
        lake: Lake,
        clock: Clock,
        decompressor: Callable[[], Decompressor] = zlib_gzip,
        max_decompressed_bytes: int = 8 * GIB,
        max_url_refreshes: int = 3,
        max_download_retries: int = 3,
    ) -> None:
        self._api = api
        self._lake = lake
        self._clock = clock
        self._copier = DocumentCopier(source, lake, decompressor, max_decompressed_bytes)
        self._budget = (max_url_refreshes, max_download_retries)

    def existing(self, context: PageContext, query_id: str) -> StoredPage | None:
        """The stored page, if its manifest (written last) is in the lake and readable."""
        key = manifest_key(context.where, query_id)
        body = self._lake.get_manifest(key)
        if body is None:
            return None
        try:
            outcome, query = QueryOutcome(body["outcome"]), query_of(body)
            download = download_of(body)
        except (KeyError, ValueError, TypeError):
            return None  # unreadable: storing again rewrites it
        announced = bool((body.get("pagination") or {}).get("hasNextPage"))
        return StoredPage(query, context, outcome, key, body.get("key"), download, True, announced)

    def store(
        self,
        query: KioskQuery,
        context: PageContext,
        *,
        document: KioskDocument | None = None,
        force: bool = False,
        on_progress: Progress | None = None,
    ) -> StoredPage:
        """Stores a terminal page: DONE's JSONL, FATAL's error document, or only a manifest (no
        data, CANCELLED, FATAL without a document). `document` is getDocument's answer when the
        caller already has it (a workflow step, which then retries itself: no fresh URL here).
        Raises QueryNotReadyError, the copier's errors (DocumentUrlExpiredError,
        DocumentDownloadError, CorruptDocumentError, DocumentTooLargeError) and SpApiError."""
        seen = interpret(query)
        if not force and (stored := self.existing(context, query.query_id)):
            return stored
        key = stored_key(context.where, query.query_id, seen.outcome)
        download = None
        if key is not None and seen.document_id is not None:
            download = self._copy(query, seen.document_id, key, document, on_progress)
        body = manifest(
            context.where,
            query,
            seen.outcome,
            selection=context.selection,
            link=context.link,
            download=download,
            ingested_at=self._clock.now(),
        )
        mkey = manifest_key(context.where, query.query_id)
        self._lake.put_manifest(mkey, body)
        return StoredPage(query, context, seen.outcome, mkey, key, download)

    def _copy(
        self,
        query: KioskQuery,
        document_id: str,
        key: str,
        given: KioskDocument | None,
        on_progress: Progress | None,
    ) -> Download:
        def fetch() -> ReportDocument:
            found = given or self._api.get_document(query.partner_id, document_id)
            # No compressionAlgorithm here: the copier reads gzip off Content-Encoding.
            return ReportDocument(found.document_id, found.url)

        budget = (0, 0) if given is not None else self._budget
        return copy_with_retries(
            self._copier,
            fetch,
            key,
            self._clock,
            budget=budget,
            lines=query.status is QueryStatus.DONE,  # JSONL: a record per line
            on_progress=on_progress,
        )
