"""Reports of every seller and their lifecycle: IN_QUEUE, IN_PROGRESS, then a terminal state."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from domain.marketplaces import MARKETPLACES
from sandbox.times import iso
from sandbox.wsgi import ApiError, invalid_input, not_found

TERMINAL = ("DONE", "CANCELLED", "FATAL")
_DOC_NAMESPACE = uuid.UUID("7d1f3c52-8a43-4c8e-9a55-2b1f0f6f4e11")


@dataclass
class SimReport:
    seller_id: str
    report_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    data_start: float
    data_end: float
    created: float
    outcome: str  # the terminal status it will reach, chosen at creation from the faults
    with_document: bool = True  # FATAL reports may come without an error document
    options: dict[str, str] = field(default_factory=dict)
    vendor: bool = False  # made on behalf of a vendor group (seller_id holds its amzn1.vg. id)
    # What the document's reportSpecification says, for types Amazon's JSON Schemas describe.
    specification: dict[str, Any] | None = None
    error_details: str | None = None  # why a FATAL report failed, for its error document
    status: str = "IN_QUEUE"
    processing_start: float | None = None
    processing_end: float | None = None
    document_id: str | None = None
    schedule_id: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def region(self) -> str:
        return MARKETPLACES[self.marketplace_ids[0]].region.name.lower()

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "dataStartTime": iso(self.data_start),
            "dataEndTime": iso(self.data_end),
            "createdTime": iso(self.created),
            "processingStatus": self.status,
        }
        optional = {
            "processingStartTime": self.processing_start,
            "processingEndTime": self.processing_end,
        }
        body.update({k: iso(v) for k, v in optional.items() if v is not None})
        if self.document_id:
            body["reportDocumentId"] = self.document_id
        if self.schedule_id:
            body["reportScheduleId"] = self.schedule_id
        return body


def check_marketplaces(ids: list[str]) -> tuple[str, ...]:
    """Known ids of one region, in order; Amazon answers 400 otherwise."""
    unknown = [mid for mid in ids if mid not in MARKETPLACES]
    if unknown:
        raise invalid_input(f"Invalid marketplaceIds: {', '.join(unknown)}")
    regions = {MARKETPLACES[mid].region.name for mid in ids}
    if len(regions) > 1:
        raise invalid_input(f"marketplaceIds span regions {', '.join(sorted(regions))}: use one")
    return tuple(dict.fromkeys(ids))


class ReportStore:
    """Every report, advanced lazily from the clock; thread-safe."""

    def __init__(self, processing_seconds: float) -> None:
        self._processing = max(0.0, processing_seconds)
        self._reports: dict[tuple[str, str], SimReport] = {}
        self._documents: dict[tuple[str, str], SimReport] = {}
        self._open: dict[tuple[str, str], SimReport] = {}  # not yet terminal
        self._next_id = 10**10 + secrets.randbelow(8 * 10**10)
        self.lock = threading.RLock()

    def create(self, report: SimReport) -> SimReport:
        with self.lock:
            report.report_id = str(self._next_id)
            self._next_id += 1
            self._reports[(report.seller_id, report.report_id)] = report
            self._open[(report.seller_id, report.report_id)] = report
        return report

    def get(self, seller_id: str, report_id: str) -> SimReport:
        with self.lock:
            report = self._reports.get((seller_id, report_id))
        if report is None:
            raise not_found(f"Report {report_id} not found")
        return report

    def by_document(self, seller_id: str, document_id: str) -> SimReport | None:
        with self.lock:
            return self._documents.get((seller_id, document_id))

    def of_seller(self, seller_id: str) -> list[SimReport]:
        with self.lock:
            return [r for (seller, _), r in self._reports.items() if seller == seller_id]

    def pending(self) -> bool:
        with self.lock:
            return bool(self._open)

    def advance(self, now: float) -> list[SimReport]:
        """Move reports along; returns those that just reached a terminal state."""
        finished = []
        half = self._processing / 2
        with self.lock:
            for key, report in list(self._open.items()):
                if report.terminal:  # cancelled by request
                    del self._open[key]
                elif now >= report.created + self._processing:
                    self._finish(report)
                    del self._open[key]
                    finished.append(report)
                elif now >= report.created + half and report.status == "IN_QUEUE":
                    report.status = "IN_PROGRESS"
                    report.processing_start = report.created + half
        return finished

    def _finish(self, report: SimReport) -> None:
        report.processing_start = report.created + self._processing / 2
        report.processing_end = report.created + self._processing
        report.status = report.outcome
        if report.outcome == "DONE" or (report.outcome == "FATAL" and report.with_document):
            report.document_id = _document_id(report)
            self._documents[(report.seller_id, report.document_id)] = report

    def cancel(self, seller_id: str, report_id: str) -> SimReport:
        with self.lock:
            report = self.get(seller_id, report_id)
            if report.status != "IN_QUEUE":
                raise ApiError(
                    400,
                    "InvalidInput",
                    f"Report {report_id} cannot be cancelled: its processingStatus is "
                    f"{report.status}; only IN_QUEUE reports can be cancelled",
                )
            report.status = "CANCELLED"
        return report


def _document_id(report: SimReport) -> str:
    unique = uuid.uuid5(_DOC_NAMESPACE, f"{report.seller_id}/{report.report_id}")
    tail = unique.hex[:13].upper()
    return f"amzn1.spdoc.1.4.{report.region}.{unique}.T{tail}.{int(report.report_id) % 100000}"
