"""The REPORT_PROCESSING_FINISHED message body, as SP-API writes it to the SQS queue."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.reports import SimReport
from sandbox.times import iso_millis

REPORT_FINISHED = "REPORT_PROCESSING_FINISHED"


def report_finished(
    report: SimReport, *, subscription_id: str, application_id: str, now: float
) -> dict[str, Any]:
    """camelCase, with notificationMetadata, per ReportProcessingFinishedNotification.json."""
    # A vendor group has no seller id: its message carries only accountId, its amzn1.vg. id.
    account: dict[str, Any] = (
        {"accountId": report.seller_id}
        if report.vendor
        else {"sellerId": report.seller_id, "accountId": f"amzn1.merchant.o.{report.seller_id}"}
    )
    finished: dict[str, Any] = {
        **account,
        "reportId": report.report_id,
        "reportType": report.report_type,
        "processingStatus": report.status,
    }
    if report.document_id:
        finished["reportDocumentId"] = report.document_id
    moment = report.processing_end or now
    return {
        "notificationVersion": "2020-09-04",
        "notificationType": REPORT_FINISHED,
        "payloadVersion": "2020-09-04",
        "eventTime": iso_millis(moment),
        "payload": {"reportProcessingFinishedNotification": finished},
        "notificationMetadata": {
            "applicationId": application_id,
            "subscriptionId": subscription_id,
            "publishTime": iso_millis(max(now, moment)),
            "notificationId": str(uuid.uuid4()),
        },
    }
