"""Domain types to and from the JSON dicts that travel in Step Functions state (Amazon's names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from adapters.sealed_tokens import SealedAccessTokens
from domain.authenticating import DOCUMENT_URL
from domain.errors import SpApiLakeError
from domain.model import Report, ReportDocument, ReportRequest, ReportStatus, StoredReport
from domain.pacing import Pace, Ticket
from domain.placing import Placement, Unplaced
from domain.planning import Seller
from domain.ports import Sealer
from domain.reconciling import curatable
from domain.requesting import RequestedReport
from domain.subscribing import SubscriptionState

Json = dict[str, Any]
T = TypeVar("T")


class PayloadError(SpApiLakeError):
    """The event does not match the function's contract (infra/state_machines.py). Never retried."""


def text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, str) or not value:
        raise PayloadError(f"event field {key} is missing or not a non-empty string")
    return value


def one_of(data: Mapping[str, Any], key: str, choices: Mapping[str, T]) -> T:
    """The choice the event's `key` names; PayloadError listing the choices otherwise."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, str) or value not in choices:
        raise PayloadError(f"{key} must be one of {', '.join(choices)}, not {value!r}")
    return choices[value]


def accepted(event: Mapping[str, Any], tokens: SealedAccessTokens) -> str:
    """The event's partner, its sealed access token accepted for the calls to come."""
    seller_id = text(event, "sellerId")
    tokens.accept(seller_id, text(event, "sealedToken"))
    return seller_id


def optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key) if isinstance(data, Mapping) else None
    return None if value is None else text(data, key)


def texts(data: Mapping[str, Any], key: str) -> list[str] | None:
    """An optional list of strings (e.g. sellerIds); None when absent."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PayloadError(f"event field {key} must be a list of strings")
    return value


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    value = optional_text(data, key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"event field {key} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def request_to_json(request: ReportRequest) -> Json:
    return {
        "sellerId": request.seller_id,
        "reportType": request.report_type,
        "marketplaceIds": list(request.marketplace_ids),
        "dataStartTime": iso(request.data_start),
        "dataEndTime": iso(request.data_end),
        "reportOptions": request.options_dict,
    }


def request_from_json(data: Any) -> ReportRequest:
    if not isinstance(data, Mapping):
        raise PayloadError("event field request must be an object")
    options = data.get("reportOptions") or {}
    if not isinstance(options, Mapping):
        raise PayloadError("event field reportOptions must be an object")
    return ReportRequest(
        seller_id=text(data, "sellerId"),
        report_type=text(data, "reportType"),
        marketplace_ids=tuple(texts(data, "marketplaceIds") or ()),
        data_start=_time(data, "dataStartTime"),
        data_end=_time(data, "dataEndTime"),
        options=tuple(sorted((str(k), str(v)) for k, v in options.items())),
    )


def report_to_json(report: Report) -> Json:
    return {
        "sellerId": report.seller_id,
        "reportId": report.report_id,
        "reportType": report.report_type,
        "processingStatus": report.status.value,
        "createdTime": iso(report.created_time),
        "marketplaceIds": list(report.marketplace_ids),
        "dataStartTime": iso(report.data_start),
        "dataEndTime": iso(report.data_end),
        "processingStartTime": iso(report.processing_start),
        "processingEndTime": iso(report.processing_end),
        "reportDocumentId": report.document_id,
        "reportScheduleId": report.report_schedule_id,
    }


def optional_report(data: Any) -> Report | None:
    return None if data is None else report_from_json(data)


def report_from_json(data: Any) -> Report:
    if not isinstance(data, Mapping):
        raise PayloadError("event field report must be an object")
    try:
        status = ReportStatus(text(data, "processingStatus"))
    except ValueError:
        raise PayloadError(f"unknown processingStatus {data.get('processingStatus')!r}") from None
    created = _time(data, "createdTime")
    if created is None:
        raise PayloadError("event field createdTime is missing")
    return Report(
        seller_id=text(data, "sellerId"),
        report_id=text(data, "reportId"),
        report_type=text(data, "reportType"),
        status=status,
        created_time=created,
        marketplace_ids=tuple(texts(data, "marketplaceIds") or ()),
        data_start=_time(data, "dataStartTime"),
        data_end=_time(data, "dataEndTime"),
        processing_start=_time(data, "processingStartTime"),
        processing_end=_time(data, "processingEndTime"),
        document_id=optional_text(data, "reportDocumentId"),
        report_schedule_id=optional_text(data, "reportScheduleId"),
    )


def document_to_json(document: ReportDocument | None, sealer: Sealer) -> Json | None:
    """The URL is a bearer secret: it leaves the function sealed (rule 20)."""
    if document is None:
        return None
    return {
        "documentId": document.document_id,
        "sealedUrl": sealer.seal(document.url, DOCUMENT_URL),
        "compression": document.compression,
    }


def document_from_json(data: Any, sealer: Sealer) -> ReportDocument | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise PayloadError("event field document must be an object or null")
    url = sealer.unseal(text(data, "sealedUrl"), DOCUMENT_URL)
    compression = optional_text(data, "compression")
    return ReportDocument(text(data, "documentId"), url, compression)


def stored_to_json(stored: StoredReport) -> Json:
    """`curate` tells ingest-report's MayCurate choice whether CurateReport has work to do."""
    download = stored.download
    return {
        "outcome": stored.outcome.value,
        "manifestKey": stored.manifest_key,
        "dataKey": stored.data_key,
        "bytes": download.bytes if download else None,
        "rows": download.rows if download else None,
        "curate": curatable(stored.report.report_type, stored.outcome.value, stored.data_key),
    }


def number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise PayloadError(f"event field {key} must be a positive number")
    return float(value)


def pace_to_json(pace: Pace) -> Json:
    """What a Choice and a Wait state read (`waiting`, `waitSeconds`), and the next attempt's."""
    ticket = pace.ticket
    return {
        "waiting": pace.waiting,
        "waitSeconds": pace.wait_seconds,
        "authenticate": pace.authenticate,
        "deadline": iso(pace.deadline),
        "waits": pace.waits,
        "since": iso(pace.since),
        "ticket": None
        if ticket is None
        else {"operation": ticket.operation, "key": ticket.key, "notBefore": ticket.not_before},
    }


def pace_from_json(data: Any) -> Pace | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise PayloadError("event field pace must be an object or null")
    deadline = _time(data, "deadline")
    if deadline is None:
        raise PayloadError("event field deadline is missing")
    waits = data.get("waits") or 0
    if not isinstance(waits, int) or isinstance(waits, bool) or waits < 0:
        raise PayloadError("event field waits must be a whole number")
    ticket = data.get("ticket")
    held = None
    if ticket is not None:
        if not isinstance(ticket, Mapping):
            raise PayloadError("event field ticket must be an object or null")
        not_before = ticket.get("notBefore")
        if isinstance(not_before, bool) or not isinstance(not_before, int | float):
            raise PayloadError("event field notBefore must be a number")
        held = Ticket(text(ticket, "operation"), str(ticket.get("key") or ""), float(not_before))
    # Amazon never saw the call that needed a new token: its ticket is still good.
    return Pace(deadline=deadline, waits=waits, since=_time(data, "since"), ticket=held)


def placement_to_json(placement: Placement) -> Json:
    return {
        "pending": [request_to_json(r) for r in placement.pending],
        "placed": [
            {"reportId": p.report_id, "reused": p.reused, "request": request_to_json(p.request)}
            for p in placement.placed
        ],
        "failed": [
            {"request": request_to_json(f.request), "error": f.error, "cause": f.cause}
            for f in placement.failed
        ],
        "checked": placement.checked,
    }


def placement_from_json(data: Any) -> Placement:
    if not isinstance(data, Mapping):
        raise PayloadError("event field placement must be an object")
    return Placement(
        pending=tuple(request_from_json(r) for r in _list(data, "pending")),
        placed=tuple(
            RequestedReport(
                request_from_json(p.get("request") if isinstance(p, Mapping) else None),
                text(p, "reportId"),
                reused=bool(p.get("reused")),
            )
            for p in _list(data, "placed")
        ),
        failed=tuple(
            Unplaced(
                request_from_json(f.get("request") if isinstance(f, Mapping) else None),
                text(f, "error"),
                str(f.get("cause") or ""),
            )
            for f in _list(data, "failed")
        ),
        checked=bool(data.get("checked")),
    )


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"event field {key} must be a list")
    return value


def summary_of(results: Any) -> Json:
    """request-reports' outcome from its groups' results: every report placed, and every request
    not placed with why (a group that failed as a whole lists each of its pending requests)."""
    if not isinstance(results, list):
        raise PayloadError("event field results must be a list")
    reports: list[Any] = []
    failures: list[Any] = []
    for group in results:
        if not isinstance(group, Mapping):
            raise PayloadError("every group result must be an object")
        reports.extend(_list(group, "placed"))
        failures.extend(_list(group, "failed"))
        error = group.get("error")
        if isinstance(error, Mapping):
            failures.extend(
                {"request": request, "error": error.get("error"), "cause": error.get("cause")}
                for request in _list(error, "pending")
            )
    return {"reports": reports, "failures": failures, "unplaced": len(failures)}


def subscriptions_by_partner(
    partners: Sequence[Seller], states: Sequence[SubscriptionState]
) -> list[dict[str, Any]]:
    """One entry per partner: {sellerId, kind, notificationTypes: {type: {subscriptionId,
    created}}}, so a partner counts once however many types it is subscribed to."""
    return [
        {
            "sellerId": partner.seller_id,
            "kind": partner.kind.value,
            "notificationTypes": {
                s.notification_type: {"subscriptionId": s.subscription_id, "created": s.created}
                for s in states
                if s.seller_id == partner.seller_id
            },
        }
        for partner in partners
    ]
