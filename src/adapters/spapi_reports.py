"""The ReportsApi port over SP-API Reports 2021-06-30."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from adapters.spapi_client import SpApiClient
from domain.errors import InvalidRequestError, SpApiError
from domain.model import Report, ReportDocument, ReportRequest, ReportStatus

BASE = "/reports/2021-06-30"
MAX_FILTER_VALUES = 10  # reportTypes and marketplaceIds: 1-10 values each


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_report(seller_id: str, body: Any, operation: str) -> Report:
    """A Report from Amazon's JSON; extra fields are ignored, optional ones may be missing."""
    try:
        return Report(
            seller_id=seller_id,
            report_id=str(body["reportId"]),
            report_type=body["reportType"],
            status=ReportStatus(body["processingStatus"]),
            created_time=_required_time(body["createdTime"]),
            marketplace_ids=tuple(body.get("marketplaceIds") or ()),
            data_start=parse_time(body.get("dataStartTime")),
            data_end=parse_time(body.get("dataEndTime")),
            processing_start=parse_time(body.get("processingStartTime")),
            processing_end=parse_time(body.get("processingEndTime")),
            document_id=body.get("reportDocumentId") or None,
            report_schedule_id=body.get("reportScheduleId") or None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SpApiError(operation, f"unexpected report in response ({exc!r})") from None


def _required_time(value: Any) -> datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError("createdTime missing")
    return parsed


def _csv(name: str, values: Sequence[str]) -> str:
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidRequestError(
            "getReports", f"{name} takes at most {MAX_FILTER_VALUES} values, got {len(values)}"
        )
    return ",".join(values)


class SpApiReportsApi:
    """Reports API calls for any seller; the seller picks the access token and the rate bucket."""

    def __init__(self, client: SpApiClient, *, page_size: int = 100) -> None:
        self._client = client
        self._page_size = page_size

    def create_report(self, request: ReportRequest) -> str:
        body: dict[str, Any] = {
            "reportType": request.report_type,
            "marketplaceIds": list(request.marketplace_ids),
        }
        if request.data_start is not None:
            body["dataStartTime"] = iso(request.data_start)
        if request.data_end is not None:
            body["dataEndTime"] = iso(request.data_end)
        if request.options:
            body["reportOptions"] = request.options_dict
        answer = self._client.call(
            "createReport", "POST", f"{BASE}/reports", seller_id=request.seller_id, body=body
        )
        try:
            return str(answer["reportId"])
        except (KeyError, TypeError):
            raise SpApiError("createReport", "response has no reportId") from None

    def get_report(self, seller_id: str, report_id: str) -> Report:
        path = f"{BASE}/reports/{quote(report_id, safe='')}"
        answer = self._client.call("getReport", "GET", path, seller_id=seller_id)
        return parse_report(seller_id, answer, "getReport")

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
        if not report_types:
            raise InvalidRequestError("getReports", "name at least one report type")
        params = {"reportTypes": _csv("reportTypes", report_types)}
        params["pageSize"] = str(self._page_size)
        if statuses:
            params["processingStatuses"] = ",".join(s.value for s in statuses)
        if marketplace_ids:
            params["marketplaceIds"] = _csv("marketplaceIds", marketplace_ids)
        if created_since is not None:
            params["createdSince"] = iso(created_since)
        if created_until is not None:
            params["createdUntil"] = iso(created_until)
        return self._pages(seller_id, params)

    def _pages(self, seller_id: str, params: dict[str, str]) -> Iterator[Report]:
        while True:
            answer = self._client.call(
                "getReports", "GET", f"{BASE}/reports", seller_id=seller_id, params=params
            )
            if not isinstance(answer, dict):
                raise SpApiError("getReports", "response is not a JSON object")
            for item in answer.get("reports") or ():
                yield parse_report(seller_id, item, "getReports")
            next_token = answer.get("nextToken")
            if not next_token:
                return
            # The model: "include this token as the only parameter"; anything else fails.
            params = {"nextToken": next_token}

    def cancel_report(self, seller_id: str, report_id: str) -> None:
        path = f"{BASE}/reports/{quote(report_id, safe='')}"
        self._client.call("cancelReport", "DELETE", path, seller_id=seller_id)

    def get_report_document(self, seller_id: str, document_id: str) -> ReportDocument:
        path = f"{BASE}/documents/{quote(document_id, safe='')}"
        answer = self._client.call("getReportDocument", "GET", path, seller_id=seller_id)
        try:
            return ReportDocument(
                document_id=answer["reportDocumentId"],
                url=answer["url"],
                compression=answer.get("compressionAlgorithm") or None,
            )
        except (KeyError, TypeError):
            # Never echo the body: it holds a pre-signed URL.
            raise SpApiError("getReportDocument", "no reportDocumentId or url") from None
