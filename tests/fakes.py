"""In-memory fakes of every domain port; tests assert on their state."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.datakiosk.notifications import FinishedQuery
from domain.errors import (
    AwsServiceError,
    ConfigError,
    ConflictError,
    DocumentUrlExpiredError,
    InvalidGrantError,
    RateLimitedError,
    SealError,
)
from domain.model import (
    FinishedReport,
    Report,
    ReportDocument,
    ReportRequest,
    ReportStatus,
    Start,
)
from domain.pacing import Ticket
from domain.ports import AppCredentials, Curated, CurateJob, Destination, QueueMessage, Subscription


class FakeClock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)


@dataclass
class FakeRateLimits:
    """A shared limit per operation: `free` calls at once, then one more each `interval` s.

    A call beyond the free ones raises RateLimitedError with its slot reserved, as the DynamoDB
    limiter does; a held ticket is used instead of a new slot.
    """

    clock: FakeClock
    free: dict[str, int] = field(default_factory=dict)
    interval: float = 60.0
    held: list[Ticket] = field(default_factory=list)
    honoured: list[Ticket] = field(default_factory=list)
    reserved: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def holding(self, ticket: Ticket | None) -> Iterator[None]:
        if ticket is not None:
            self.held.append(ticket)
        try:
            yield
        finally:
            if ticket is not None and ticket in self.held:
                self.held.remove(ticket)

    def gate(self, operation: str, key: str) -> None:
        for ticket in self.held:
            if (ticket.operation, ticket.key) == (operation, key):
                self.held.remove(ticket)
                self.honoured.append(ticket)
                return
        if operation not in self.free:
            return
        taken = self.reserved[operation] = self.reserved.get(operation, 0) + 1
        beyond = taken - self.free[operation]
        if beyond > 0:
            not_before = self.clock.now().timestamp() + beyond * self.interval
            raise RateLimitedError(operation, key, not_before, waited_for=f"{beyond} slots")


@dataclass
class FakeReportsApi:
    """Reports held in a dict; reports finish after `polls_until_done` getReport calls."""

    clock: FakeClock = field(default_factory=FakeClock)
    final_status: dict[str, ReportStatus] = field(default_factory=dict)
    polls_until_done: int = 1
    reports: dict[tuple[str, str], Report] = field(default_factory=dict)
    created: list[ReportRequest] = field(default_factory=list)
    documents: dict[str, str] = field(default_factory=dict)
    document_calls: int = 0
    get_report_calls: int = 0
    get_reports_calls: int = 0
    limits: FakeRateLimits | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(50000000001))
    _polls: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, report: Report) -> Report:
        self.reports[(report.seller_id, report.report_id)] = report
        if report.document_id:
            self.documents.setdefault(report.document_id, f"https://docs.test/{report.document_id}")
        return report

    def _gate(self, operation: str, seller_id: str) -> None:
        if self.limits is not None:
            self.limits.gate(operation, seller_id)

    def create_report(self, request: ReportRequest) -> str:
        self._gate("createReport", request.seller_id)
        self.created.append(request)
        report_id = str(next(self._ids))
        self.add(
            Report(
                seller_id=request.seller_id,
                report_id=report_id,
                report_type=request.report_type,
                status=ReportStatus.IN_QUEUE,
                created_time=self.clock.now(),
                marketplace_ids=request.marketplace_ids,
                data_start=request.data_start,
                data_end=request.data_end,
            )
        )
        return report_id

    def get_report(self, seller_id: str, report_id: str) -> Report:
        self._gate("getReport", seller_id)
        self.get_report_calls += 1
        key = (seller_id, report_id)
        report = self.reports[key]
        if report.status.terminal:
            return report
        self._polls[key] = self._polls.get(key, 0) + 1
        if self._polls[key] >= self.polls_until_done:
            status = self.final_status.get(report.report_type, ReportStatus.DONE)
            has_document = status is ReportStatus.DONE or (
                status is ReportStatus.FATAL and report.report_type in self.final_status
            )
            document_id = f"amzn1.spdoc.1.4.na.{report_id}" if has_document else None
            report = self.add(
                replace(
                    report,
                    status=status,
                    document_id=document_id,
                    processing_end=self.clock.now(),
                )
            )
        else:
            report = self.add(replace(report, status=ReportStatus.IN_PROGRESS))
        return report

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
        self._gate("getReports", seller_id)
        self.get_reports_calls += 1
        found = [
            r
            for (seller, _), r in self.reports.items()
            if seller == seller_id
            and r.report_type in report_types
            and (not statuses or r.status in statuses)
            and (not marketplace_ids or set(r.marketplace_ids) & set(marketplace_ids))
            and (created_since is None or r.created_time >= created_since)
            and (created_until is None or r.created_time <= created_until)
        ]
        yield from sorted(found, key=lambda r: r.created_time, reverse=True)

    def cancel_report(self, seller_id: str, report_id: str) -> None:
        key = (seller_id, report_id)
        self.reports[key] = replace(self.reports[key], status=ReportStatus.CANCELLED)

    def get_report_document(self, seller_id: str, document_id: str) -> ReportDocument:
        self._gate("getReportDocument", seller_id)
        self.document_calls += 1
        return ReportDocument(document_id, self.documents[document_id], "GZIP")


@dataclass
class FakeStream:
    content_type: str | None
    body: list[bytes]
    error: Exception | None = None
    content_encoding: str | None = None

    def chunks(self) -> Iterator[bytes]:
        yield from self.body
        if self.error is not None:
            raise self.error


@dataclass
class FakeDocumentSource:
    """Serves bodies by URL; `expired` URLs raise DocumentUrlExpiredError like a 403."""

    bodies: dict[str, FakeStream] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)
    opened: list[str] = field(default_factory=list)

    @contextmanager
    def open(self, url: str) -> Iterator[FakeStream]:
        self.opened.append(url)
        if url in self.expired:
            raise DocumentUrlExpiredError("the document URL has expired")
        yield self.bodies[url]


@dataclass
class FakeLake:
    """A dict of keys to bytes; a failing put leaves nothing behind, like the real lakes."""

    objects: dict[str, bytes] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        data = b"".join(chunks)
        self.objects[key] = data
        self.content_types[key] = content_type
        return len(data)

    def exists(self, key: str) -> bool:
        return key in self.objects or key in self.manifests

    def put_manifest(self, key: str, body: dict[str, Any]) -> None:
        self.manifests[key] = body

    def get_manifest(self, key: str) -> dict[str, Any] | None:
        return self.manifests.get(key)

    def uri(self, key: str) -> str:
        return f"memory://{key}"

    def fetch_to(self, key: str, path: Path) -> int:
        if key not in self.objects:
            raise FileNotFoundError(f"no object at {self.uri(key)}")
        return path.write_bytes(self.objects[key])

    def put_file(self, key: str, path: Path, content_type: str) -> int:
        return self.put(key, [path.read_bytes()], content_type)

    def list_manifests(
        self, report_type: str | None = None, *, queries: bool = False
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        prefix = "manifests/" if report_type is None else f"manifests/report_type={report_type}/"
        prefix += "query=" if queries else ""
        for key in sorted(k for k in self.manifests if k.startswith(prefix)):
            yield key, self.manifests[key]


@dataclass
class FakeCredentials:
    client_id: str = "amzn1.application-oa2-client.test"
    client_secret: str = "amzn1.oa2-cs.v1.test-secret"
    refresh_tokens: dict[str, str] = field(default_factory=dict)

    def app(self) -> AppCredentials:
        return AppCredentials(self.client_id, self.client_secret)

    def refresh_token(self, seller_id: str) -> str:
        return self.refresh_tokens[seller_id]


@dataclass
class FakeNotificationsApi:
    destinations: list[Destination] = field(default_factory=list)
    subscriptions: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def get_destinations(self) -> list[Destination]:
        self.calls.append("getDestinations")
        return list(self.destinations)

    def create_destination(self, name: str, sqs_arn: str) -> Destination:
        self.calls.append("createDestination")
        if any(d.sqs_arn == sqs_arn for d in self.destinations):
            raise ConflictError("createDestination", "destination exists", status=409)
        created = Destination(f"dest-{len(self.destinations) + 1}", name, sqs_arn)
        self.destinations.append(created)
        return created

    def get_subscription(self, seller_id: str, notification_type: str) -> Subscription | None:
        self.calls.append("getSubscription")
        return self.subscriptions.get((seller_id, notification_type))

    def create_subscription(
        self, seller_id: str, notification_type: str, destination_id: str
    ) -> Subscription:
        self.calls.append("createSubscription")
        key = (seller_id, notification_type)
        if key in self.subscriptions:
            raise ConflictError("createSubscription", "subscription exists", status=409)
        self.subscriptions[key] = Subscription(f"sub-{seller_id}", destination_id, "1.0")
        return self.subscriptions[key]


@dataclass
class ExpiringDocumentSource(FakeDocumentSource):
    """Answers the first `expire_first` opens, and the opens numbered (from 1) in
    `expire_opens`, with a 403, as if those URLs had expired."""

    expire_first: int = 0
    expire_opens: set[int] = field(default_factory=set)

    @contextmanager
    def open(self, url: str) -> Iterator[FakeStream]:
        number = len(self.opened) + 1
        if number <= self.expire_first or number in self.expire_opens:
            self.opened.append(url)
            raise DocumentUrlExpiredError("the document URL has expired")
        with super().open(url) as stream:
            yield stream


@dataclass
class StreamingLake(FakeLake):
    """A FakeLake that also records the largest chunk any put received, to check that
    documents flow through in bounded pieces."""

    largest_chunk: int = 0
    chunks_seen: int = 0

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        def watched() -> Iterator[bytes]:
            for chunk in chunks:
                self.largest_chunk = max(self.largest_chunk, len(chunk))
                self.chunks_seen += 1
                yield chunk

        return super().put(key, watched(), content_type)


@dataclass
class FlakyStream(FakeStream):
    """A body whose first `failures` reads break off halfway with `error`, then read whole."""

    failures: int = 1

    def chunks(self) -> Iterator[bytes]:
        if self.failures > 0 and self.error is not None:
            self.failures -= 1
            yield from self.body[: len(self.body) // 2]
            raise self.error
        yield from self.body


@dataclass
class FakeMessageQueue:
    """An SQS-like queue on a FakeClock: a received message is hidden for `visibility`
    seconds, and an empty long poll sleeps for its whole wait."""

    clock: FakeClock = field(default_factory=FakeClock)
    visibility: float = 30.0
    messages: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    receives: int = 0
    _hidden_until: dict[str, datetime] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, body: str | dict[str, Any]) -> str:
        message_id = f"msg-{next(self._ids)}"
        self.messages[message_id] = body if isinstance(body, str) else json.dumps(body)
        return message_id

    def receive(self, wait_seconds: int = 20, max_messages: int = 10) -> list[QueueMessage]:
        self.receives += 1
        now = self.clock.now()
        visible = [m for m in self.messages if self._hidden_until.get(m, now) <= now][:max_messages]
        if not visible:
            self.clock.sleep(wait_seconds)
            return []
        for message_id in visible:
            self._hidden_until[message_id] = now + timedelta(seconds=self.visibility)
        return [
            QueueMessage(self.messages[m], receipt=f"receipt-{m}", message_id=m) for m in visible
        ]

    def delete(self, message: QueueMessage) -> None:
        if self.messages.pop(message.message_id, None) is not None:
            self.deleted.append(message.message_id)


@dataclass
class FakeSealer:
    """Seals into opaque handles that hold no trace of the plaintext; unseal checks the purpose,
    as KMS checks the encryption context."""

    sealed: dict[str, tuple[str, str]] = field(default_factory=dict)
    unsealed: list[str] = field(default_factory=list)

    def seal(self, plaintext: str, purpose: str) -> str:
        handle = f"sealed:{purpose}:{len(self.sealed) + 1}"
        self.sealed[handle] = (plaintext, purpose)
        return handle

    def unseal(self, sealed: str, purpose: str) -> str:
        found = self.sealed.get(sealed)
        if found is None or found[1] != purpose:
            raise SealError(f"cannot unseal a value as {purpose}")
        self.unsealed.append(purpose)
        return found[0]


@dataclass
class FakeWorkflow:
    """Starts each (owner, reportId) and (owner, queryId) once, like execution names; `failing`
    report (query) ids raise."""

    started: list[FinishedReport] = field(default_factory=list)
    started_queries: list[FinishedQuery] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    # (owner, reportId) whose last execution FAILED: the next start is a new attempt.
    failed_executions: set[tuple[str, str]] = field(default_factory=set)
    calls: int = 0

    def start_ingest(self, finished: FinishedReport) -> Start:
        self.calls += 1
        if finished.report_id in self.failing:
            raise AwsServiceError("Step Functions StartExecution failed: ThrottlingException")
        key = (finished.owner, finished.report_id)
        if key in self.failed_executions:
            self.failed_executions.discard(key)
            self.started.append(finished)
            return Start.RESTARTED
        if any((s.owner, s.report_id) == key for s in self.started):
            return Start.EXISTS
        self.started.append(finished)
        return Start.STARTED

    def start_query_ingest(self, finished: FinishedQuery) -> Start:
        """Each (owner, queryId) once; `failing` query ids raise, as for reports."""
        self.calls += 1
        if finished.query_id in self.failing:
            raise AwsServiceError("Step Functions StartExecution failed: ThrottlingException")
        key = (finished.owner, finished.query_id)
        if any((s.owner, s.query_id) == key for s in self.started_queries):
            return Start.EXISTS
        self.started_queries.append(finished)
        return Start.STARTED


@dataclass
class FakeSettings:
    """Named settings, as under one SSM path."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        if name not in self.values:
            raise ConfigError(f"SSM parameter {name} is missing")
        return self.values[name]

    def get_all(self) -> dict[str, str]:
        return dict(self.values)


@dataclass
class FakeAccessTokens:
    """LWA as a dict of seller tokens; an unknown seller's refresh token is refused."""

    tokens: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def for_seller(self, seller_id: str) -> str:
        self.calls.append(seller_id)
        if seller_id not in self.tokens:
            raise InvalidGrantError(f"LWA rejected the refresh token for seller {seller_id}")
        return self.tokens[seller_id]

    def grantless(self, scope: str) -> str:
        self.calls.append(scope)
        return "Atza|grantless-test-token"


@dataclass
class FakeCurateTrigger:
    """Records the manifests sent to be curated; `refuse` makes the next call fail like a
    refused Lambda invoke."""

    requested: list[str] = field(default_factory=list)
    refuse: bool = False

    def curate(self, manifest_key: str) -> None:
        if self.refuse:
            raise AwsServiceError("Lambda Invoke curate_report failed: ServiceException")
        self.requested.append(manifest_key)


@dataclass
class FakeCurateEngine:
    """Writes a small stand-in file per job and counts rows the simple way: data lines of a
    delimited document, records of a JSON one. `failures` are reported per table name;
    `error` is raised instead of curating."""

    failures: dict[str, dict[str, int]] = field(default_factory=dict)
    error: Exception | None = None
    jobs: list[CurateJob] = field(default_factory=list)

    def record_fields(self, source: Path, record_path: str) -> tuple[str, ...]:
        fields: dict[str, None] = {}
        for record in json.loads(source.read_text(encoding="utf-8")).get(record_path, []):
            fields.update(dict.fromkeys(_flattened(record, "")))
        return tuple(fields)

    def curate(self, job: CurateJob) -> Curated:
        self.jobs.append(job)
        if self.error is not None:
            raise self.error
        text = job.source.read_text(encoding="utf-8")
        if job.table.format == "json":
            rows = len(json.loads(text).get(job.table.record_path or "", []))
        else:
            rows = len([line for line in text.splitlines()[1:] if line])
        job.target.write_bytes(f"PAR1 {job.table.name} {rows} rows PAR1".encode())
        return Curated(rows, dict(self.failures.get(job.table.name, {})))


def _flattened(record: dict[str, Any], prefix: str) -> list[str]:
    paths: list[str] = []
    for key, value in record.items():
        if isinstance(value, dict):
            paths += _flattened(value, f"{prefix}{key}.")
        else:
            paths.append(f"{prefix}{key}")
    return paths
