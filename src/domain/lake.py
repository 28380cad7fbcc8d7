"""The lake layout (a contract users query): keys and manifests, per design.md section 5."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.model import Download, Outcome, Report, ReportStatus

PIPELINE_VERSION = "0.1.0"

RAW, ERRORS, MANIFESTS, CURATED = "raw", "errors", "manifests", "curated"
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"

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


def curated_key(table_name: str, report: Report) -> str:
    """One Parquet file per table and report: re-curating overwrites it (design.md section 5)."""
    return _curated(table_name, report.seller_id, partition_date(report), report.report_id)


def curated_page_key(table_name: str, partner_id: str, dt: date, query_id: str) -> str:
    """One Parquet file per table and Data Kiosk page, laid out as a report's: the query's
    partition date, the page's query id."""
    return _curated(table_name, partner_id, f"{dt:%Y-%m-%d}", query_id)


def _curated(table_name: str, partner_id: str, dt: str, file_id: str) -> str:
    return f"{CURATED}/{table_name}/seller_id={partner_id}/dt={dt}/{file_id}.parquet"


def format_iso(moment: datetime | None) -> str | None:
    """A manifest's time: ISO 8601 in UTC with `Z`, or None; `parse_iso` reads it back."""
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
        "dataStartTime": format_iso(report.data_start),
        "dataEndTime": format_iso(report.data_end),
        "createdTime": format_iso(report.created_time),
        "processingStartTime": format_iso(report.processing_start),
        "processingEndTime": format_iso(report.processing_end),
        "processingStatus": report.status.value,
        "outcome": outcome.value,
        "key": stored_key,
        "ingestedAt": format_iso(ingested_at),
        "pipelineVersion": PIPELINE_VERSION,
    }
    return {**body, **download_fields(download)}


def download_fields(download: Download | None) -> dict[str, Any]:
    """What a manifest records of a stored document's copy (domain.copying.download_of reads
    it back); nothing when no document was stored."""
    if download is None:
        return {}
    return {
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


def parse_iso(text: object) -> datetime | None:
    """A manifest time (`2026-11-27T12:00:00Z`) as an aware datetime; None when absent."""
    if not isinstance(text, str) or not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def report_of(body: dict[str, Any]) -> Report:
    """The report a manifest describes, enough to rebuild its keys; raises KeyError/ValueError
    when the manifest lacks its identity."""
    created = parse_iso(body["createdTime"])
    if created is None:
        raise ValueError("the manifest has no createdTime")
    return Report(
        seller_id=str(body["sellerId"]),
        report_id=str(body["reportId"]),
        report_type=str(body["reportType"]),
        status=ReportStatus(body.get("processingStatus", "DONE")),
        created_time=created,
        marketplace_ids=tuple(body.get("marketplaceIds") or ()),
        data_start=parse_iso(body.get("dataStartTime")),
        data_end=parse_iso(body.get("dataEndTime")),
        processing_start=parse_iso(body.get("processingStartTime")),
        processing_end=parse_iso(body.get("processingEndTime")),
        document_id=body.get("reportDocumentId"),
    )


def curated_table(
    table_name: str, key: str, rows: int, parse_failures: dict[str, int], header_mapping: str
) -> dict[str, Any]:
    """One table's entry of a manifest's `curated` section."""
    return {
        "table": table_name,
        "key": key,
        "rows": rows,
        "parseFailures": dict(parse_failures),
        "headerMapping": header_mapping,
    }


def refused_table(table_name: str, why: str) -> dict[str, Any]:
    """The entry of a table that could not be curated; the raw document stays as it is."""
    return {"table": table_name, "key": None, "rows": 0, "refused": why}


def curated_section(curated_at: datetime, tables: list[dict[str, Any]]) -> dict[str, Any]:
    """The `curated` section a manifest gains once its report is curated."""
    return {"curatedAt": format_iso(curated_at), "tables": tables}
