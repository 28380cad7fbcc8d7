"""Realistic report documents, deterministic per report: Cp1252, UTF-8 and Shift_JIS TSV, JSON."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator

from sandbox import catalog
from sandbox.reports import SimReport
from sandbox.sales_traffic import sales_and_traffic
from sandbox.times import iso, utc

JP = "A1VC38T7YXB528"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = (
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
)
SALES_AND_TRAFFIC = "GET_SALES_AND_TRAFFIC_REPORT"
JSON_CONTENT = "application/json; charset=UTF-8"

LISTING_COLUMNS = (  # noqa: SIM905 - reads like the header line it is
    "item-name item-description listing-id seller-sku price quantity open-date image-url "
    "item-is-marketplace product-id-type zshop-shipping-fee item-note item-condition "
    "zshop-category1 zshop-browse-path zshop-storefront-feature asin1 asin2 asin3 "
    "will-ship-internationally expedited-shipping zshop-boldface product-id "
    "bid-for-featured-placement add-delete pending-quantity fulfillment-channel "
    "merchant-shipping-group status"
).split()
ORDER_COLUMNS = (  # noqa: SIM905 - reads like the header line it is
    "amazon-order-id merchant-order-id purchase-date last-updated-date order-status "
    "fulfillment-channel sales-channel order-channel url ship-service-level product-name "
    "sku asin item-status quantity currency item-price item-tax shipping-price shipping-tax "
    "gift-wrap-price gift-wrap-tax item-promotion-discount ship-promotion-discount "
    "ship-city ship-state ship-postal-code ship-country promotion-ids is-business-order "
    "purchase-order-number price-designation signature-confirmation-recommended"
).split()
GENERIC_COLUMNS = (  # noqa: SIM905 - reads like the header line it is
    "snapshot-date marketplace-id seller-sku asin product-name quantity price currency"
).split()

Row = dict[str, str]


def _rng(report: SimReport) -> random.Random:
    return random.Random(f"{report.seller_id}/{report.report_id}/{report.report_type}")


def _products(report: SimReport) -> tuple[tuple[str, str], ...]:
    return catalog.PRODUCTS_JP if JP in report.marketplace_ids else catalog.PRODUCTS


def _listing(report: SimReport, rng: random.Random, index: int, market: str) -> Row:
    # Cycling (not sampling) puts every product, so every accent, in any document of ten rows.
    products = _products(report)
    name, description = products[index % len(products)]
    listed = report.created - rng.uniform(1, 900) * 86400
    item = catalog.asin(rng)
    return {
        "item-name": name,
        "item-description": description if rng.random() < 0.7 else "",
        "listing-id": "0" + catalog.token(rng, 10),
        "seller-sku": f"{catalog.country(market)}-SKU-{index:05d}",
        "price": catalog.money(catalog.price(rng, market), market),
        "quantity": str(rng.randrange(0, 250)),
        "open-date": utc(listed).strftime("%Y-%m-%d %H:%M:%S ") + catalog.locale(market)[2],
        "item-is-marketplace": "y",
        "product-id-type": "1",
        "item-condition": "11",
        "asin1": item,
        "product-id": item,
        "pending-quantity": "0",
        "fulfillment-channel": rng.choice(("DEFAULT", f"AMAZON_{catalog.region(market)}")),
        "merchant-shipping-group": "Migrated Template",
        "status": rng.choice(("Active", "Active", "Active", "Inactive")),
    }


def _order(report: SimReport, rng: random.Random, index: int, market: str) -> Row:
    name, _ = rng.choice(_products(report))
    currency, channel, _ = catalog.locale(market)
    # Without a data window Amazon reports the last day or so; spread orders over it.
    start = report.data_start if report.data_end > report.data_start else report.data_end - 86400
    bought = rng.uniform(start, report.data_end)
    status = rng.choice(("Shipped", "Shipped", "Shipped", "Pending", "Unshipped", "Cancelled"))
    quantity = rng.randrange(1, 4)
    item_price = catalog.price(rng, market) * quantity
    city, state, postal, ship_country = catalog.address(rng, market)
    business = rng.random() < 0.1
    return {
        "amazon-order-id": catalog.order_id(rng, market),
        "purchase-date": iso(bought),
        "last-updated-date": iso(bought + rng.uniform(0, 36) * 3600),
        "order-status": status,
        "fulfillment-channel": rng.choice(("Amazon", "Merchant")),
        "sales-channel": channel,
        "ship-service-level": rng.choice(("Standard", "Expedited")),
        "product-name": name,
        "sku": f"{catalog.country(market)}-SKU-{index % 97:05d}",
        "asin": catalog.asin(rng),
        "item-status": status if status in ("Shipped", "Cancelled") else "Unshipped",
        "quantity": str(quantity),
        "currency": currency,
        "item-price": catalog.money(item_price, market),
        "item-tax": catalog.money(item_price * 0.19, market),
        "shipping-price": catalog.money(rng.choice((0.0, 3.99, 4.99)), market),
        "shipping-tax": catalog.money(0, market),
        "ship-city": city,
        "ship-state": state,
        "ship-postal-code": postal,
        "ship-country": ship_country,
        "is-business-order": "true" if business else "false",
        "price-designation": "BusinessPrice" if business else "",
        "signature-confirmation-recommended": "false",
    }


def _generic(report: SimReport, rng: random.Random, index: int, market: str) -> Row:
    name, _ = rng.choice(_products(report))
    return {
        "snapshot-date": iso(report.data_end),
        "marketplace-id": market,
        "seller-sku": f"{catalog.country(market)}-SKU-{index:05d}",
        "asin": catalog.asin(rng),
        "product-name": name,
        "quantity": str(rng.randrange(0, 500)),
        "price": catalog.money(catalog.price(rng, market), market),
        "currency": catalog.locale(market)[0],
    }


def _tsv(
    report: SimReport, columns: list[str], make: Callable[..., Row], rows: int
) -> Iterator[str]:
    rng = _rng(report)
    yield "\t".join(columns) + "\n"
    for index in range(rows):
        market = report.marketplace_ids[index % len(report.marketplace_ids)]
        row = make(report, rng, index, market)
        yield "\t".join(row.get(column, "") for column in columns) + "\n"


def render(report: SimReport, rows: int) -> tuple[bytes, str]:
    """The uncompressed document of a DONE report, and its Content-Type."""
    if report.report_type == SALES_AND_TRAFFIC:
        body = sales_and_traffic(report, _rng(report), rows)
        return json.dumps(body, ensure_ascii=False).encode("utf-8"), JSON_CONTENT
    if report.report_type == LISTINGS:
        columns, make, charset = LISTING_COLUMNS, _listing, "Cp1252"
    elif report.report_type in ORDERS:
        columns, make, charset = ORDER_COLUMNS, _order, "UTF-8"
    else:
        columns, make, charset = GENERIC_COLUMNS, _generic, "UTF-8"
    if JP in report.marketplace_ids:
        charset = "Shift_JIS"
    codec = {"Cp1252": "cp1252", "Shift_JIS": "shift_jis"}.get(charset, "utf-8")
    text = "".join(_tsv(report, columns, make, rows))
    return text.encode(codec), f"text/plain; charset={charset}"


def is_json(report_type: str) -> bool:
    return report_type.startswith(("GET_SALES_AND_TRAFFIC", "GET_BRAND_ANALYTICS")) or (
        report_type.endswith("_JSON")
    )


def error_document(report: SimReport) -> tuple[bytes, str]:
    """What a FATAL report's document says: JSON for JSON report types, else plain text."""
    reason = (
        f"Report {report.report_id} ({report.report_type}) could not be generated: "
        "an internal error occurred while processing the request. Please try again later."
    )
    if is_json(report.report_type):
        return json.dumps({"errorDetails": reason}).encode("utf-8"), JSON_CONTENT
    return (reason + "\n").encode("utf-8"), "text/plain; charset=UTF-8"
