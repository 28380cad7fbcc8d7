"""Ports: what the domain needs from the outside world, as small typing.Protocols."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from domain.datakiosk.notifications import FinishedQuery
from domain.model import (
    FinishedReport,
    Report,
    ReportDocument,
    ReportRequest,
    ReportStatus,
    Start,
)
from domain.registry.model import HeaderMapping, Table


class ReportsApi(Protocol):
    """Reports API 2021-06-30 for any seller. Raises ThrottledError and SpApiServerError (retry
    later), InvalidGrantError/InvalidClientError (never retry), other SpApiError subclasses."""

    def create_report(self, request: ReportRequest) -> str:
        """Start a report; returns its reportId."""
        ...

    def get_report(self, seller_id: str, report_id: str) -> Report: ...

    def get_reports(
        self,
        seller_id: str,
        *,
        report_types: Sequence[str],
        statuses: Sequence[ReportStatus] = (),
        marketplace_ids: Sequence[str] = (),
        created_since: datetime | None = None,
        created_until: datetime | None = None,
    ) -> Iterator[Report]:
        """Every matching report, newest first, following nextToken across pages."""
        ...

    def cancel_report(self, seller_id: str, report_id: str) -> None: ...

    def get_report_document(self, seller_id: str, document_id: str) -> ReportDocument: ...


@dataclass(frozen=True)
class Destination:
    destination_id: str
    name: str
    sqs_arn: str | None


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    destination_id: str
    payload_version: str


class NotificationsApi(Protocol):
    """Notifications API v1. createDestination/createSubscription raise ConflictError on 409."""

    def get_destinations(self) -> list[Destination]: ...

    def create_destination(self, name: str, sqs_arn: str) -> Destination: ...

    def get_subscription(self, seller_id: str, notification_type: str) -> Subscription | None: ...

    def create_subscription(
        self, seller_id: str, notification_type: str, destination_id: str
    ) -> Subscription: ...


@dataclass(frozen=True)
class AppCredentials:
    """The LWA client of the SP-API application. The secret never reaches a repr or a log."""

    client_id: str
    client_secret: str = field(repr=False)


class Credentials(Protocol):
    """Where LWA credentials live (env vars locally, Secrets Manager in the cloud)."""

    def app(self) -> AppCredentials: ...

    def refresh_token(self, seller_id: str) -> str: ...


class AccessTokens(Protocol):
    """LWA access tokens, cached until shortly before expiry. Raises InvalidGrantError,
    InvalidClientError (never retry) and SpApiServerError (retry later)."""

    def for_seller(self, seller_id: str) -> str: ...

    def grantless(self, scope: str) -> str: ...


class DocumentStream(Protocol):
    """An open download: its declared content type, and its body in chunks."""

    @property
    def content_type(self) -> str | None: ...

    @property
    def content_encoding(self) -> str | None:
        """The Content-Encoding header: `gzip` for Data Kiosk's compressed documents."""
        ...

    def chunks(self) -> Iterator[bytes]:
        """Raises DocumentDownloadError when the body ends early or the connection fails."""
        ...


class DocumentSource(Protocol):
    """Streams the bytes behind a pre-signed URL. Raises DocumentUrlExpiredError on 403."""

    def open(self, url: str) -> AbstractContextManager[DocumentStream]: ...


class Lake(Protocol):
    """Object storage laid out per design.md section 5."""

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        """Store all chunks at key atomically; returns bytes written. If `chunks` raises,
        nothing is left at key and the error propagates."""
        ...

    def exists(self, key: str) -> bool: ...

    def put_manifest(self, key: str, body: dict[str, Any]) -> None: ...

    def get_manifest(self, key: str) -> dict[str, Any] | None: ...

    def uri(self, key: str) -> str: ...

    def fetch_to(self, key: str, path: Path) -> int:
        """Download the object at key into the local file `path`, streamed; returns its bytes.
        Raises FileNotFoundError when no object is at key."""
        ...

    def put_file(self, key: str, path: Path, content_type: str) -> int:
        """Store the local file `path` at key, atomically as `put` does; returns bytes written."""
        ...

    def list_manifests(
        self, report_type: str | None = None, *, queries: bool = False
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every readable manifest (of one report type, or all), as (key, body), in key order.
        `queries`: the manifests of every Data Kiosk query page instead (manifests/query=…)."""
        ...


class Decompressor(Protocol):
    """The incremental interface of zlib.decompressobj (isal's matches it)."""

    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    @property
    def unconsumed_tail(self) -> bytes: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class Sealer(Protocol):
    """Seals short-lived secrets (access tokens, document URLs) so they cross state boundaries
    only as ciphertext. `purpose` goes into the encryption context; unseal checks it."""

    def seal(self, plaintext: str, purpose: str) -> str: ...

    def unseal(self, sealed: str, purpose: str) -> str: ...


class Workflow(Protocol):
    """Starts an ingest for a finished report or Data Kiosk query. Idempotent: while one
    execution for the partner and reportId (queryId) is running or has succeeded, another start
    is a no-op (Start.EXISTS). After a failed one, it starts the next attempt (Start.RESTARTED),
    up to a maximum number of attempts. Raises ConfigError, AwsServiceError (retry)."""

    def start_ingest(self, finished: FinishedReport) -> Start: ...

    def start_query_ingest(self, finished: FinishedQuery) -> Start:
        """One `ingest-query` execution per partner and queryId, whatever the terminal status."""
        ...


class Settings(Protocol):
    """Named configuration values (SSM Parameter Store in the cloud)."""

    def get(self, name: str) -> str: ...

    def get_all(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class QueueMessage:
    """One message received from a queue; `receipt` deletes it once handled."""

    body: str
    receipt: str
    message_id: str


class MessageQueue(Protocol):
    """A notification queue the CLI can wait on (`--queue-url`)."""

    def receive(self, wait_seconds: int = 20, max_messages: int = 10) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...


@dataclass(frozen=True)
class Lineage:
    """Where the rows of a curated file come from; stored as its last columns. A report's rows
    name its report; a Data Kiosk page's its query (and no window: each record has its own)."""

    seller_id: str
    marketplace_id: str | None
    report_id: str | None
    report_type: str | None
    data_start_time: datetime | None  # naive UTC, like every curated timestamp
    data_end_time: datetime | None
    ingested_at: datetime | None
    dt: date
    query_id: str | None = None
    query_name: str | None = None


@dataclass(frozen=True)
class CurateJob:
    """One table out of one local raw document.

    `fields` are the document's columns: the header texts of a delimited file, or the dotted
    paths of a JSON report's records; `mapping` positions index into them. `comma` says the
    marketplace writes decimal commas."""

    table: Table
    mapping: HeaderMapping
    fields: tuple[str, ...]
    source: Path
    target: Path
    lineage: Lineage
    comma: bool = False


@dataclass(frozen=True)
class Curated:
    """What a curate run wrote: rows, and per column the non-blank values that did not parse
    (stored as NULL). Columns without failures are left out."""

    rows: int
    parse_failures: Mapping[str, int]


class CurateEngine(Protocol):
    """Turns a local UTF-8 raw document into a typed local Parquet file, in bounded memory.
    Raises CurateError (domain.curating) when the engine fails; nothing is left at target."""

    def record_fields(self, source: Path, record_path: str) -> tuple[str, ...]:
        """The dotted leaf paths found in the records of a JSON document's `record_path`
        array, in first-seen order (empty when the array is absent or empty). An empty
        `record_path` means a JSONL document (Data Kiosk): every line is a record."""
        ...

    def curate(self, job: CurateJob) -> Curated: ...
