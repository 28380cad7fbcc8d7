"""Value objects of the report lifecycle: requests, reports, documents, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum


class PartnerKind(StrEnum):
    """Who authorised the app: a seller (Seller Central) or a vendor group (Vendor Central)."""

    SELLER = "seller"
    VENDOR = "vendor"


class ReportStatus(Enum):
    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"
    FATAL = "FATAL"

    @property
    def terminal(self) -> bool:
        return self in (ReportStatus.DONE, ReportStatus.CANCELLED, ReportStatus.FATAL)


@dataclass(frozen=True)
class ReportRequest:
    """One createReport call: a seller, a report type, its marketplaces and its data window."""

    seller_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    data_start: datetime | None = None
    data_end: datetime | None = None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def options_dict(self) -> dict[str, str]:
        return dict(self.options)


@dataclass(frozen=True)
class Report:
    """What getReport returns, plus the seller it belongs to (report ids are unique per seller)."""

    seller_id: str
    report_id: str
    report_type: str
    status: ReportStatus
    created_time: datetime
    marketplace_ids: tuple[str, ...] = ()
    data_start: datetime | None = None
    data_end: datetime | None = None
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    document_id: str | None = None
    report_schedule_id: str | None = None
    # getReport and getReports do not return reportOptions, so None means "not known"; only a
    # report this process created (or an earlier attempt of the same step) knows its options.
    options: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class ReportDocument:
    """Where a document can be downloaded. The URL is a bearer secret: never log or repr it."""

    document_id: str
    url: str = field(repr=False)
    compression: str | None = None

    @property
    def gzipped(self) -> bool:
        return (self.compression or "").upper() == "GZIP"


@dataclass(frozen=True)
class FinishedReport:
    """A REPORT_PROCESSING_FINISHED notification, normalised."""

    report_id: str
    report_type: str
    status: ReportStatus
    seller_id: str | None = None
    account_id: str | None = None
    document_id: str | None = None
    notification_id: str | None = None
    event_time: datetime | None = None

    @property
    def owner(self) -> str:
        """The seller id, or the account id for vendor messages that have no seller id."""
        return self.seller_id or self.account_id or "unknown"


@dataclass(frozen=True)
class Download:
    """The facts of a stored document that go into its manifest."""

    content_type: str | None
    charset: str | None
    stored_encoding: str | None
    transcoded: bool
    undecodable: bool
    compression: str | None
    compressed_bytes: int
    bytes: int
    rows: int | None
    sha256: str


class Start(Enum):
    """What asking for an ingest of a report did."""

    STARTED = "started"  # its first execution
    RESTARTED = "restarted"  # a new attempt after one that FAILED, TIMED_OUT or was ABORTED
    EXISTS = "exists"  # one is running or succeeded, or the attempts are used up

    @property
    def began(self) -> bool:
        return self is not Start.EXISTS


class Outcome(Enum):
    """What a terminal report means for the lake."""

    STORE_DOCUMENT = "stored"
    STORE_ERROR_DOCUMENT = "fatal-with-document"
    FAILED_WITHOUT_DOCUMENT = "fatal"
    NO_DATA = "no-data"


@dataclass(frozen=True)
class StoredReport:
    """The result of ingesting one report: where it landed and what it held."""

    report: Report
    outcome: Outcome
    manifest_key: str
    data_key: str | None = None
    download: Download | None = None
    reused: bool = False
