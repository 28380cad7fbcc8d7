"""Reusing a Data Kiosk query already in the lake: an identical query created recently whose
pages are all stored, instead of running it again (as reports reuse a recent report)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.datakiosk.model import QueryStatus
from domain.datakiosk.ports import KioskApi
from domain.datakiosk.running import PlannedQuery, following
from domain.datakiosk.storing import PageContext, PageStorer, QueryLedger, StoredPage
from domain.ports import Lake

# As for reports (domain.requesting): an identical query this recent, in the lake, is reused.
REUSE_WITHIN = timedelta(hours=1)


def stored_pages(
    planned: PlannedQuery,
    api: KioskApi,
    ledger: QueryLedger,
    storer: PageStorer,
    lake: Lake,
    now: datetime,
) -> list[StoredPage] | None:
    """Every page of an identical query (partner, name, dt, text) created within REUSE_WITHIN
    and completely, successfully in the lake; None when there is none."""
    recent = api.get_queries(
        planned.partner_id, statuses=(QueryStatus.DONE,), created_since=now - REUSE_WITHIN
    )
    for query in sorted(recent, key=lambda q: q.created_time):
        if query.query.split() != planned.text.split():
            continue
        context = ledger.context(planned.partner_id, query.query_id)
        if context is not None and context.where == planned.context.where:
            pages = _chain(context, query.query_id, storer, lake)
            if context.link.number == 1 and pages:
                return pages
    return None


def _chain(
    context: PageContext, query_id: str, storer: PageStorer, lake: Lake
) -> list[StoredPage] | None:
    """The pages from `query_id` on, following each manifest's nextQueryId to the last."""
    pages: list[StoredPage] = []
    while (page := storer.existing(context, query_id)) is not None and page.outcome.ok:
        pages.append(page)
        pagination = (lake.get_manifest(page.manifest_key) or {}).get("pagination") or {}
        if not pagination.get("hasNextPage"):
            return pages
        if not pagination.get("nextQueryId"):
            return None  # a later page was never created
        context, query_id = following(context, query_id), str(pagination["nextQueryId"])
    return None
