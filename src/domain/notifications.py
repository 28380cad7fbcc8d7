"""Parsing REPORT_PROCESSING_FINISHED messages tolerantly, with a clear error when unusable."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.errors import MalformedNotificationError
from domain.model import FinishedReport, ReportStatus

NOTIFICATION_TYPE = "REPORT_PROCESSING_FINISHED"
_TERMINAL = {s.value: s for s in (ReportStatus.DONE, ReportStatus.CANCELLED, ReportStatus.FATAL)}


def _camel(value: Any) -> Any:
    """Older generic docs show PascalCase keys: fold every key to camelCase."""
    if isinstance(value, Mapping):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): _camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def decode(body: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """One SQS body as a JSON object with camelCase keys; MalformedNotificationError otherwise."""
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise MalformedNotificationError(f"notification is not JSON ({exc})") from None
    if not isinstance(body, Mapping):
        raise MalformedNotificationError("notification is not a JSON object")
    return dict(_camel(body))


def text_field(
    data: Mapping[str, Any], key: str, *, required: bool, kind: str = NOTIFICATION_TYPE
) -> str | None:
    """A string (or number) field; None when absent or empty, unless `required`."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MalformedNotificationError(
                f"notification has no {key}: it is not a usable {kind} message"
            )
        return None
    if not isinstance(value, str | int):
        raise MalformedNotificationError(f"notification field {key} is not a string: {value!r}")
    return str(value)


def event_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # eventTime is informative only; a bad one must not lose the report


def notification_id(message: Mapping[str, Any]) -> str | None:
    metadata = message.get("notificationMetadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return text_field(metadata, "notificationId", required=False)


def parse_notification(body: str | bytes | Mapping[str, Any]) -> FinishedReport:
    """Normalise one SQS body; raises MalformedNotificationError naming what is wrong.

    Any payloadVersion is accepted: routing is on notificationType, as Amazon advises. A
    seller's message has sellerId (and an accountId amzn1.merchant.o.…); a vendor group's has
    only accountId (amzn1.vg.…), its sellerId absent or null: FinishedReport.owner is then the
    account id, the id its partner is configured under.
    """
    message = decode(body)
    kind = message.get("notificationType")
    if kind != NOTIFICATION_TYPE:
        raise MalformedNotificationError(
            f"notificationType is {kind!r}, expected {NOTIFICATION_TYPE}: check the subscription"
        )
    payload = message.get("payload")
    details = None
    if isinstance(payload, Mapping):
        details = payload.get("reportProcessingFinishedNotification")
    if not isinstance(details, Mapping):
        raise MalformedNotificationError(
            "notification has no payload.reportProcessingFinishedNotification object"
        )
    status_text = text_field(details, "processingStatus", required=True)
    status = _TERMINAL.get(str(status_text).upper())
    if status is None:
        raise MalformedNotificationError(
            f"processingStatus {status_text!r} is not one of DONE, CANCELLED, FATAL"
        )
    seller_id = text_field(details, "sellerId", required=False)
    account_id = text_field(details, "accountId", required=False)
    if seller_id is None and account_id is None:
        raise MalformedNotificationError("notification names neither a sellerId nor an accountId")
    return FinishedReport(
        report_id=str(text_field(details, "reportId", required=True)),
        report_type=str(text_field(details, "reportType", required=True)),
        status=status,
        seller_id=seller_id,
        account_id=account_id,
        document_id=text_field(details, "reportDocumentId", required=False),
        notification_id=notification_id(message),
        event_time=event_time(text_field(message, "eventTime", required=False)),
    )
