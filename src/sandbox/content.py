"""Realistic report documents, deterministic per report: Cp1252, UTF-8 and Shift_JIS TSV, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from sandbox import catalog, headers, promotions, report_schemas, vendor_realtime, vendor_reports
from sandbox.fba import afn_inventory, customer_returns, fba_inventory
from sandbox.listings import merchant_listings, open_listings
from sandbox.orders import orders
from sandbox.reports import SimReport
from sandbox.sales_traffic import sales_and_traffic
from sandbox.settlement import settlement
from sandbox.times import iso

JP = catalog.JP
LISTINGS = headers.LISTINGS
ORDERS = (
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
)
SALES_AND_TRAFFIC = "GET_SALES_AND_TRAFFIC_REPORT"
JSON_CONTENT = "application/json; charset=UTF-8"
GENERIC_COLUMNS = (  # noqa: SIM905 - reads like the header line it is
    "snapshot-date marketplace-id seller-sku asin product-name quantity price currency"
).split()
_LINES_PER_CHUNK = 2000

Row = dict[str, str]
Rows = Callable[[SimReport, int], Iterator[Row]]

# Every registry flat file: its rows, keyed by English header text; the header comes from the
# registry, so a column the row leaves out is an empty cell.
ROWS: dict[str, Rows] = {
    LISTINGS: merchant_listings,
    "GET_FLAT_FILE_OPEN_LISTINGS_DATA": open_listings,
    **dict.fromkeys(ORDERS, orders),
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": fba_inventory,
    "GET_AFN_INVENTORY_DATA": afn_inventory,
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": customer_returns,
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2": settlement,
}
# Listings reports come as Cp1252 (Latin-1 plus € and typographic quotes); the rest as UTF-8;
# anything for Japan as Shift_JIS.
_LATIN = frozenset({LISTINGS, "GET_FLAT_FILE_OPEN_LISTINGS_DATA"})
# JSON documents described by Amazon's report schemas (sandbox/models/report-schemas).
SCHEMA_DOCUMENTS: dict[str, Callable[[SimReport, int], Iterator[str]]] = {
    "GET_VENDOR_SALES_REPORT": vendor_reports.by_period,
    "GET_VENDOR_TRAFFIC_REPORT": vendor_reports.by_period,
    "GET_VENDOR_INVENTORY_REPORT": vendor_reports.by_period,
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": vendor_reports.by_period,
    "GET_VENDOR_FORECASTING_REPORT": vendor_reports.forecast,
    "GET_VENDOR_REAL_TIME_SALES_REPORT": vendor_realtime.hourly,
    "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT": vendor_realtime.hourly,
    "GET_VENDOR_REAL_TIME_INVENTORY_REPORT": vendor_realtime.hourly,
    "GET_PROMOTION_PERFORMANCE_REPORT": promotions.promotions,
    "GET_COUPON_PERFORMANCE_REPORT": promotions.coupons,
}
_CODECS = {"Cp1252": "cp1252", "Shift_JIS": "shift_jis", "UTF-8": "utf-8"}


def _generic(report: SimReport, rows: int) -> Iterator[Row]:
    rng = catalog.rng_for(report)
    products = catalog.products(report)
    for index in range(rows):
        market = report.marketplace_ids[index % len(report.marketplace_ids)]
        yield {
            "snapshot-date": iso(report.data_end),
            "marketplace-id": market,
            "seller-sku": catalog.sku(market, index),
            "asin": catalog.asin(rng),
            "product-name": rng.choice(products)[0],
            "quantity": str(rng.randrange(0, 500)),
            "price": catalog.money(catalog.price(rng, market), market),
            "currency": catalog.locale(market)[0],
        }


def _tsv(printed: Iterable[str], names: tuple[str, ...], rows: Iterator[Row]) -> Iterator[str]:
    """The header line, then one line per row: no quoting, as Amazon writes flat files."""
    yield "\t".join(printed) + "\n"
    for row in rows:
        yield "\t".join(row.get(name, "") for name in names) + "\n"


def _encoded(pieces: Iterable[str], codec: str) -> Iterator[bytes]:
    """Text pieces joined into chunks of a few thousand lines, encoded one chunk at a time."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) == _LINES_PER_CHUNK:
            yield "".join(batch).encode(codec)
            batch.clear()
    if batch:
        yield "".join(batch).encode(codec)


def render(report: SimReport, rows: int) -> tuple[Iterator[bytes], str]:
    """The uncompressed document of a DONE report, in chunks, and its Content-Type.

    Delimited documents have a header line and exactly `rows` data lines (no value holds a tab
    or a line break), so a manifest's row count is `rows`.
    """
    if report.report_type == SALES_AND_TRAFFIC:
        pieces = sales_and_traffic(report, catalog.rng_for(report), rows)
        return _encoded(pieces, "utf-8"), JSON_CONTENT
    schema_document = SCHEMA_DOCUMENTS.get(report.report_type)
    if schema_document is not None and report.specification is not None:
        return _encoded(schema_document(report, rows), "utf-8"), JSON_CONTENT
    japanese = JP in report.marketplace_ids
    names = headers.columns(report.report_type)
    make = ROWS.get(report.report_type) if names else None
    if make is None:
        names, make = tuple(GENERIC_COLUMNS), _generic
    charset = "Cp1252" if report.report_type in _LATIN else "UTF-8"
    if japanese:
        charset = "Shift_JIS"
    printed = headers.header(report.report_type, names, japanese)
    lines = _tsv(printed, names, make(report, rows))
    return _encoded(lines, _CODECS[charset]), f"text/plain; charset={charset}"


def is_json(report_type: str) -> bool:
    return (
        report_type.startswith(("GET_SALES_AND_TRAFFIC", "GET_BRAND_ANALYTICS"))
        or report_type.endswith("_JSON")
        or report_type in report_schemas.SCHEMAS
    )


def error_document(report: SimReport) -> tuple[bytes, str]:
    """What a FATAL report's document says: JSON for JSON report types, else plain text."""
    if report.error_details:
        # Amazon's spacing: `{"errorDetails" : "This report type requires ..."}`.
        body = json.dumps({"errorDetails": report.error_details}, separators=(",", " : "))
        return body.encode("utf-8"), JSON_CONTENT
    reason = (
        f"Report {report.report_id} ({report.report_type}) could not be generated: "
        "an internal error occurred while processing the request. Please try again later."
    )
    if is_json(report.report_type):
        return json.dumps({"errorDetails": reason}).encode("utf-8"), JSON_CONTENT
    return (reason + "\n").encode("utf-8"), "text/plain; charset=UTF-8"
