"""The lake layout (a contract users query): keys and manifests, per design.md section 5."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.model import Download, Outcome, Report

PIPELINE_VERSION = "0.1.0"

RAW, ERRORS, MANIFESTS = "raw", "errors", "manifests"

# Report types whose documents are not tab-separated flat files.
_JSON_PREFIXES = ("GET_SALES_AND_TRAFFIC_REPORT", "GET_BRAND_ANALYTICS_", "GET_VENDOR_")
_JSON_TYPES = frozenset(
    {
        "GET_SELLER_FEEDBACK_DATA_JSON",
        "GET_LEDGER_SUMMARY_VIEW_DATA",
        "GET_FBA_INVENTORY_PLANNING_DATA_JSON",
        "GET_B2B_PRODUCT_OPPORTUNITIES_RECOMMENDED_FOR_YOU",
        "GET_B2B_PRODUCT_OPPORTUNITIES_NOT_YET_ON_AMAZON",
        "GET_EPR_MONTHLY_REPORTS",
        "GET_EPR_QUARTERLY_REPORTS",
        "GET_EPR_ANNUAL_REPORTS",
        "GET_PROMOTION_PERFORMANCE_REPORT",
        "GET_COUPON_PERFORMANCE_REPORT",
    }
)
_CSV_TYPES = frozenset(
    {
        "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_INVOICING",
        "GET_FLAT_FILE_VAT_INVOICE_DATA_REPORT",
        "GET_SC_VAT_TAX_REPORT",
        "GET_VAT_TRANSACTION_DATA",
        "GET_GST_MTR_B2B_CUSTOM",
        "GET_GST_MTR_B2C_CUSTOM",
    }
)


def extension(report_type: str) -> str:
    """The file extension a document of this report type gets in the lake."""
    if report_type in _JSON_TYPES or report_type.startswith(_JSON_PREFIXES):
        return "json"
    if "_XML" in report_type:
        return "xml"
    if report_type in _CSV_TYPES:
        return "csv"
    return "tsv"


def is_delimited(report_type: str) -> bool:
    return extension(report_type) in ("tsv", "csv")


def partition_date(report: Report) -> str:
    moment = report.data_start or report.created_time
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _key(area: str, report: Report, suffix: str) -> str:
    return (
        f"{area}/report_type={report.report_type}/seller_id={report.seller_id}/"
        f"dt={partition_date(report)}/{report.report_id}.{suffix}"
    )


def data_key(report: Report) -> str:
    return _key(RAW, report, extension(report.report_type))


def error_key(report: Report) -> str:
    # FATAL documents explain the failure; their format is free text or JSON, not the report's.
    return _key(ERRORS, report, "txt")


def manifest_key(report: Report) -> str:
    """Written last: its presence means the report is completely in the lake."""
    return _key(MANIFESTS, report, "json")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def manifest(
    report: Report,
    outcome: Outcome,
    *,
    stored_key: str | None,
    download: Download | None,
    ingested_at: datetime,
) -> dict[str, Any]:
    """The manifest document for one report, as JSON-ready data."""
    body: dict[str, Any] = {
        "reportId": report.report_id,
        "reportDocumentId": report.document_id,
        "reportType": report.report_type,
        "sellerId": report.seller_id,
        "marketplaceIds": list(report.marketplace_ids),
        "dataStartTime": _iso(report.data_start),
        "dataEndTime": _iso(report.data_end),
        "createdTime": _iso(report.created_time),
        "processingStartTime": _iso(report.processing_start),
        "processingEndTime": _iso(report.processing_end),
        "processingStatus": report.status.value,
        "outcome": outcome.value,
        "key": stored_key,
        "ingestedAt": _iso(ingested_at),
        "pipelineVersion": PIPELINE_VERSION,
    }
    if download is not None:
        body.update(
            {
                "contentType": download.content_type,
                "charset": download.charset,
                "storedEncoding": download.stored_encoding,
                "transcoded": download.transcoded,
                "undecodable": download.undecodable,
                "compression": download.compression,
                "compressedBytes": download.compressed_bytes,
                "bytes": download.bytes,
                "rows": download.rows,
                "sha256": download.sha256,
            }
        )
    return body
