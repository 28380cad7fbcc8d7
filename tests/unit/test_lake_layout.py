"""The lake layout is a contract: keys and manifest fields exactly as design.md §5."""

from datetime import UTC, datetime, timedelta, timezone

from domain.lake import data_key, error_key, extension, manifest, manifest_key
from domain.model import Download, Outcome, Report, ReportStatus

CREATED = datetime(2026, 11, 27, 23, 30, tzinfo=timezone(timedelta(hours=-5)))


def _report(report_type="GET_MERCHANT_LISTINGS_ALL_DATA", data_start=None):
    return Report(
        seller_id="A3TH9S8BH6GOGM",
        report_id="54517018502",
        report_type=report_type,
        status=ReportStatus.DONE,
        created_time=CREATED,
        marketplace_ids=("ATVPDKIKX0DER",),
        data_start=data_start,
        document_id="amzn1.spdoc.1",
    )


def test_keys_follow_the_contract_and_dt_is_the_utc_created_date():
    report = _report()
    assert data_key(report) == (
        "raw/report_type=GET_MERCHANT_LISTINGS_ALL_DATA/seller_id=A3TH9S8BH6GOGM/"
        "dt=2026-11-28/54517018502.tsv"
    )
    assert error_key(report).startswith("errors/report_type=GET_MERCHANT_LISTINGS_ALL_DATA/")
    assert manifest_key(report).endswith("dt=2026-11-28/54517018502.json")
    assert manifest_key(report).startswith("manifests/")


def test_dt_comes_from_the_data_start_when_there_is_one():
    report = _report(data_start=datetime(2026, 10, 1, tzinfo=UTC))
    assert "/dt=2026-10-01/" in data_key(report)


def test_extensions_follow_the_report_format():
    assert extension("GET_SALES_AND_TRAFFIC_REPORT") == "json"
    assert extension("GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL") == "xml"
    assert extension("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2") == "tsv"
    assert extension("GET_VAT_TRANSACTION_DATA") == "csv"


def test_the_manifest_records_every_field_of_the_contract():
    download = Download(
        "text/plain; charset=Cp1252", "Cp1252", "utf-8", True, False, "GZIP", 10, 20, 3, "ab"
    )
    body = manifest(
        _report(),
        Outcome.STORE_DOCUMENT,
        stored_key="k",
        download=download,
        ingested_at=datetime(2026, 11, 28, tzinfo=UTC),
    )
    required = {
        "reportId", "reportDocumentId", "reportType", "sellerId", "marketplaceIds",
        "dataStartTime", "dataEndTime", "createdTime", "processingStartTime",
        "processingEndTime", "processingStatus", "contentType", "charset", "compression",
        "bytes", "rows", "sha256", "ingestedAt", "pipelineVersion",
    }  # fmt: skip
    assert required <= set(body)
    assert body["createdTime"] == "2026-11-28T04:30:00Z"
    assert body["rows"] == 3
