"""The Reports API 2021-06-30 operations on top of the report store."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox import vendor_rules
from sandbox.documents import Documents
from sandbox.reports import ReportStore, SimReport, check_marketplaces
from sandbox.settings import Faults
from sandbox.times import parse
from sandbox.wsgi import Call, Response, invalid_input, json_response, not_found

RETENTION = 90 * 86400
_GRACE = 300  # clients compute "90 days ago" a moment before we check it
_MAX_PAGES = 10_000


@dataclass(frozen=True)
class _Filter:
    types: frozenset[str]
    statuses: frozenset[str]
    marketplaces: frozenset[str]
    since: float
    until: float
    page_size: int

    def accepts(self, report: SimReport) -> bool:
        return (
            report.report_type in self.types
            and (not self.statuses or report.status in self.statuses)
            and (not self.marketplaces or bool(self.marketplaces & set(report.marketplace_ids)))
            # Compare what clients see: createdTime has whole seconds.
            and self.since <= int(report.created) <= self.until
        )


def _order_key(report: SimReport) -> tuple[float, int]:
    return (report.created, int(report.report_id))


class ReportsApi:
    def __init__(
        self,
        store: ReportStore,
        documents: Documents,
        faults: Faults,
        *,
        created: Callable[[], None],
        finished: Callable[[SimReport], None],
        vendors: dict[str, str] | None = None,
    ) -> None:
        self._vendors = vendors or {}  # vendor group id -> its one marketplace
        self._store = store
        self._documents = documents
        self._faults = faults
        self._created = created
        self._finished = finished
        self._pages: dict[str, tuple[str, _Filter, tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def handlers(self) -> dict[str, Callable[[Call], Response]]:
        return {
            "createReport": self.create_report,
            "getReport": self.get_report,
            "getReports": self.get_reports,
            "cancelReport": self.cancel_report,
            "getReportDocument": self.get_report_document,
        }

    def _outcome(self, report_type: str) -> tuple[str, bool]:
        if report_type in self._faults.cancelled:
            return "CANCELLED", False
        if report_type in self._faults.fatal_without_document:
            return "FATAL", False
        if report_type in self._faults.fatal:
            return "FATAL", True
        return "DONE", True

    def create_report(self, call: Call) -> Response:
        body: dict[str, Any] = call.body
        report_type = body["reportType"]
        marketplaces = check_marketplaces(body["marketplaceIds"])
        vendor_marketplace = self._vendors.get(call.seller)
        vendor_rules.admit(report_type, vendor_marketplace, marketplaces)
        start = parse(body["dataStartTime"]) if "dataStartTime" in body else None
        end = parse(body["dataEndTime"]) if "dataEndTime" in body else call.now
        start = min(call.now, end) if start is None else start
        if start > end:
            raise invalid_input("dataStartTime must not be later than dataEndTime")
        options = dict(body.get("reportOptions") or {})
        outcome, with_document = self._outcome(report_type)
        problem, specification = None, None
        if vendor_rules.modelled(report_type, vendor_marketplace is not None):
            request = vendor_rules.Request(
                report_type,
                options,
                marketplaces,
                body.get("dataStartTime"),
                body.get("dataEndTime"),
                data_start=start,
                data_end=end,
                now=call.now,
            )
            problem, specification = vendor_rules.review(request)
        if problem and outcome == "DONE":
            outcome, with_document = "FATAL", True
        report = self._store.create(
            SimReport(
                seller_id=call.seller,
                report_id="",
                report_type=report_type,
                marketplace_ids=marketplaces,
                data_start=start,
                data_end=end,
                created=call.now,
                outcome=outcome,
                with_document=with_document,
                options=options,
                vendor=vendor_marketplace is not None,
                specification=specification,
                error_details=problem,
            )
        )
        self._created()
        return json_response(202, {"reportId": report.report_id})

    def get_report(self, call: Call) -> Response:
        report = self._store.get(call.seller, call.params["reportId"])
        with self._store.lock:
            return json_response(200, report.as_json())

    def cancel_report(self, call: Call) -> Response:
        report = self._store.cancel(call.seller, call.params["reportId"])
        self._finished(report)
        return json_response(200, None)

    def get_report_document(self, call: Call) -> Response:
        document_id = call.params["reportDocumentId"]
        report = self._store.by_document(call.seller, document_id)
        if report is None:
            raise not_found(f"Report document {document_id} not found")
        gzip_header = bool(call.params.get("enableContentEncodingUrlHeader", False))
        url = self._documents.presign(report, call.base_url, call.now, gzip_header=gzip_header)
        payload = {"reportDocumentId": document_id, "url": url, "compressionAlgorithm": "GZIP"}
        return json_response(200, payload)

    def _filter(self, call: Call) -> _Filter:
        params = call.params
        oldest = call.now - RETENTION
        since = parse(params["createdSince"]) if "createdSince" in params else oldest
        until = parse(params["createdUntil"]) if "createdUntil" in params else call.now
        if since < oldest - _GRACE:
            raise invalid_input("createdSince must be within the last 90 days")
        if until < since:
            raise invalid_input("createdUntil must not be earlier than createdSince")
        return _Filter(
            types=frozenset(params["reportTypes"]),
            statuses=frozenset(params.get("processingStatuses", ())),
            marketplaces=frozenset(params.get("marketplaceIds", ())),
            since=max(since, oldest),
            until=until,
            page_size=params.get("pageSize", 10),
        )

    def get_reports(self, call: Call) -> Response:
        """Newest first; a nextToken resumes after the last report of the previous page."""
        token = call.params.get("nextToken")
        if token is not None:
            with self._lock:
                page = self._pages.get(token)
            if page is None or page[0] != call.seller:
                raise invalid_input("Invalid nextToken")
            _, where, cursor = page
        else:
            where, cursor = self._filter(call), (float("inf"), 0)
        with self._store.lock:
            matching = sorted(
                (r for r in self._store.of_seller(call.seller) if where.accepts(r)),
                key=_order_key,
                reverse=True,
            )
            remaining = [r for r in matching if _order_key(r) < cursor]
            shown = remaining[: where.page_size]
            payload: dict[str, Any] = {"reports": [r.as_json() for r in shown]}
        if len(remaining) > len(shown):
            next_token = secrets.token_urlsafe(32)
            with self._lock:
                if len(self._pages) >= _MAX_PAGES:  # forget the oldest, as tokens do expire
                    del self._pages[next(iter(self._pages))]
                self._pages[next_token] = (call.seller, where, _order_key(shown[-1]))
            payload["nextToken"] = next_token
        return json_response(200, payload)
