"""Vendor retail analytics documents by reportPeriod: sales, traffic, inventory, net PPM, forecast.

Each ASIN's numbers for a period are seeded by the vendor, the report type, its options, the
ASIN and the period, then nudged by a seed that includes `lastUpdatedDate`: the same period
requested on a later day comes back restated (slightly different numbers, a newer date), while
two requests on the same day agree.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from sandbox import periods
from sandbox.reports import SimReport
from sandbox.vendor_data import (
    Product,
    amount,
    catalog_of,
    currency,
    document,
    options_key,
    seeded,
)

Row = dict[str, Any]
_FORECAST_WEEKS = 27  # as many weekly rows per ASIN as the schema's example has


def _restated(report: SimReport, *parts: object) -> tuple[random.Random, float]:
    """The base numbers of a row, and the factor its latest restatement applies."""
    assert report.specification is not None
    base = seeded(report.seller_id, report.report_type, options_key(report), *parts)
    version = seeded(base.random(), report.specification["lastUpdatedDate"])
    return base, 1 + version.uniform(-0.03, 0.03)


def _volume(report: SimReport, product: Product, days: int, rng: random.Random) -> float:
    program = {"BUSINESS": 0.08, "FRESH": 0.3}.get(report.options.get("sellingProgram", ""), 1.0)
    view = 0.8 if report.options.get("distributorView") == "SOURCING" else 1.0
    return product.daily_units * days * rng.uniform(0.6, 1.4) * program * view


def _sales(report: SimReport, product: Product, first: date, last: date) -> Row:
    rng, factor = _restated(report, product.asin, first)
    code = currency(report)
    ordered = round(_volume(report, product, (last - first).days + 1, rng) * factor)
    shipped = max(0, round(ordered * rng.uniform(0.85, 1.02)))
    returns = round(shipped * rng.uniform(0, 0.06))
    row: Row = {"startDate": str(first), "endDate": str(last), "asin": product.asin}
    # Conditional fields, as the schema describes them.
    if report.options.get("sellingProgram") in ("RETAIL", "BUSINESS"):
        row["customerReturns"] = returns
    if report.options.get("distributorView") == "MANUFACTURING":
        row["orderedRevenue"] = amount(ordered * product.price, code)
        row["orderedUnits"] = ordered
    net = max(0, shipped - returns)  # "adjustments are made for returns"
    row["shippedCogs"] = amount(net * product.cost, code)
    row["shippedRevenue"] = amount(net * product.price, code)
    row["shippedUnits"] = shipped
    return row


def _traffic(report: SimReport, product: Product, first: date, last: date) -> Row:
    rng, factor = _restated(report, product.asin, first)
    views = _volume(report, product, (last - first).days + 1, rng) * rng.uniform(8, 25)
    row: Row = {"startDate": str(first), "endDate": str(last), "asin": product.asin}
    return {**row, "glanceViews": round(views * factor)}


def _sometimes_negative(rng: random.Random, value: int, chance: float, low: int) -> int:
    # Returns to the vendor, over-shipments and backorders make these go below zero.
    return -rng.randint(1, low) if rng.random() < chance else value


def _inventory(report: SimReport, product: Product, first: date, last: date) -> Row:
    rng, factor = _restated(report, product.asin, first)
    code, days = currency(report), (last - first).days + 1
    received = _sometimes_negative(
        rng, round(_volume(report, product, days, rng) * factor), 0.05, 30
    )
    sellable = _sometimes_negative(rng, round(product.daily_units * rng.uniform(20, 60)), 0.02, 20)
    unsellable = round(abs(sellable) * rng.uniform(0, 0.05))
    aged = round(max(0, sellable) * rng.uniform(0, 0.3))
    row: Row = {
        "startDate": str(first),
        "endDate": str(last),
        "asin": product.asin,
        "vendorConfirmationRate": round(rng.uniform(0.7, 1.05), 4),
        "netReceivedInventoryCost": amount(received * product.cost, code),
        "netReceivedInventoryUnits": received,
        "openPurchaseOrderUnits": _sometimes_negative(
            rng, round(product.daily_units * rng.uniform(0, 30)), 0.03, 10
        ),
        "averageVendorLeadTimeDays": round(rng.uniform(2, 21), 1),
        "sellThroughRate": round(rng.uniform(-0.05, 1.1), 4),
        "unfilledCustomerOrderedUnits": round(product.daily_units * rng.uniform(0, 2)),
        "sellableOnHandInventoryCost": amount(sellable * product.cost, code),
        "sellableOnHandInventoryUnits": sellable,
        "unsellableOnHandInventoryCost": amount(unsellable * product.cost, code),
        "unsellableOnHandInventoryUnits": unsellable,
        "aged90PlusDaysSellableInventoryCost": amount(aged * product.cost, code),
        "aged90PlusDaysSellableInventoryUnits": aged,
    }
    # Not computed at daily granularity (amzn/selling-partner-api-models#4809).
    if report.options.get("reportPeriod") != "DAY":
        unhealthy = round(max(0, sellable) * rng.uniform(0, 0.2))
        row["unhealthyInventoryCost"] = amount(unhealthy * product.cost, code)
        row["unhealthyInventoryUnits"] = unhealthy
    return row


def _margin(report: SimReport, product: Product, first: date, last: date) -> Row:
    rng, factor = _restated(report, product.asin, first)
    margin = min(1.0, max(0.0, rng.uniform(0.05, 0.45) * factor))
    row: Row = {"startDate": str(first), "endDate": str(last), "asin": product.asin}
    return {**row, "netPureProductMargin": round(margin, 4)}


def _total(rows: list[Row], key: str) -> Any:
    values = [row[key] for row in rows if key in row]
    if not values:
        return None
    if isinstance(values[0], dict):
        return amount(sum(v["amount"] for v in values), values[0]["currencyCode"])
    return sum(values)


def _mean(rows: list[Row], key: str, digits: int) -> float:
    return round(float(sum(row[key] for row in rows)) / len(rows), digits)


def _aggregate(
    report: SimReport, rows: list[Row], products: tuple[Product, ...], first: date, last: date
) -> Row:
    """One period across every ASIN: sums of units and amounts, averages of rates."""
    row: Row = {"startDate": str(first), "endDate": str(last)}
    rates = {"vendorConfirmationRate": 4, "averageVendorLeadTimeDays": 1, "sellThroughRate": 4}
    for key in rows[0]:
        if key in ("startDate", "endDate", "asin"):
            continue
        if key in rates:
            row[key] = _mean(rows, key, rates[key])
        elif key == "netPureProductMargin":  # weighted by what each ASIN sells
            weights = [p.daily_units * p.price for p in products]
            weighted = sum(r[key] * w for r, w in zip(rows, weights, strict=True))
            row[key] = round(weighted / sum(weights), 4)
        else:
            row[key] = _total(rows, key)
    if report.report_type == "GET_VENDOR_INVENTORY_REPORT":  # measured only in aggregate
        rng, _ = _restated(report, "aggregate", first)
        row["procurableProductOutOfStockRate"] = round(rng.uniform(0, 0.15), 4)
        row["uft"] = round(rng.uniform(0.8, 1.0), 4)
        row["receiveFillRate"] = round(rng.uniform(0.7, 1.0), 4)
    return row


Maker = Callable[[SimReport, Product, date, date], Row]
# report type -> (aggregate section, by-ASIN section, row maker)
_SECTIONS: dict[str, tuple[str, str, Maker]] = {
    "GET_VENDOR_SALES_REPORT": ("salesAggregate", "salesByAsin", _sales),
    "GET_VENDOR_TRAFFIC_REPORT": ("trafficAggregate", "trafficByAsin", _traffic),
    "GET_VENDOR_INVENTORY_REPORT": ("inventoryAggregate", "inventoryByAsin", _inventory),
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": (
        "netPureProductMarginAggregate",
        "netPureProductMarginByAsin",
        _margin,
    ),
}


def by_period(report: SimReport, rows: int) -> Iterator[str]:
    """Aggregates (one per period), then one row per period per ASIN, periods in order."""
    assert report.specification is not None
    spec = report.specification
    aggregate_name, asin_name, make = _SECTIONS[report.report_type]
    start, end = date.fromisoformat(spec["dataStartTime"]), date.fromisoformat(spec["dataEndTime"])
    spans = periods.split(report.options["reportPeriod"], start, end)
    products = catalog_of(report, rows)

    def aggregates() -> Iterator[Row]:
        for first, last in spans:
            found = [make(report, p, first, last) for p in products]
            yield _aggregate(report, found, products, first, last)

    def by_asin() -> Iterator[Row]:
        # Generated again rather than kept: every row is a pure function of its seed.
        for first, last in spans:
            yield from (make(report, p, first, last) for p in products)

    return document(spec, ((aggregate_name, aggregates()), (asin_name, by_asin())))


def forecast(report: SimReport, rows: int) -> Iterator[str]:
    """Weekly forecasts for each ASIN, from the Sunday the forecast was generated."""
    assert report.specification is not None
    spec = report.specification
    generated = periods.first_day("WEEK", date.fromisoformat(spec["lastUpdatedDate"]))

    def weeks() -> Iterator[Row]:
        for product in catalog_of(report, rows):
            for week in range(_FORECAST_WEEKS):
                first = generated + timedelta(weeks=week)
                rng = seeded(report.seller_id, options_key(report), product.asin, first, generated)
                mean = product.daily_units * 7 * rng.uniform(0.7, 1.3)
                p70 = mean * rng.uniform(1.05, 1.25)
                p80 = p70 * rng.uniform(1.05, 1.2)
                p90 = p80 * rng.uniform(1.05, 1.3)
                yield {
                    "forecastGenerationDate": str(generated),
                    "asin": product.asin,
                    "startDate": str(first),
                    "endDate": str(first + timedelta(days=6)),
                    "meanForecastUnits": round(mean, 1),
                    "p70ForecastUnits": round(p70, 1),
                    "p80ForecastUnits": round(p80, 1),
                    "p90ForecastUnits": round(p90, 1),
                }

    return document(spec, (("forecastByAsin", weeks()),))
