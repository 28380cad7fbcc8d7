"""Vendor real-time documents: sales, traffic and inventory per ASIN per full UTC hour.

Each hour's numbers are seeded by the vendor, the report type and the hour alone, so reports
whose windows overlap agree on the hours they share.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from sandbox import periods
from sandbox.reports import SimReport
from sandbox.times import parse
from sandbox.vendor_data import Product, catalog_of, document, seeded

Row = dict[str, Any]


def _sales(rng: random.Random, product: Product) -> Row | None:
    chance = min(0.9, product.daily_units / 24 * 2)
    if rng.random() >= chance:
        return None
    # Cancellations can outnumber orders within an hour.
    units = -1 if rng.random() < 0.03 else rng.choices((0, 1, 2, 3), (2, 10, 3, 1))[0]
    return {"orderedUnits": units, "orderedRevenue": round(units * product.price, 2)}


def _traffic(rng: random.Random, product: Product) -> Row | None:
    views = round(rng.expovariate(1 / max(0.1, product.daily_units * 12 / 24)))
    return {"glanceViews": views} if views else None


def _inventory(rng: random.Random, product: Product) -> Row | None:
    return {"highlyAvailableInventory": max(0, round(product.daily_units * rng.uniform(5, 40)))}


_METRICS = {
    "GET_VENDOR_REAL_TIME_SALES_REPORT": _sales,
    "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT": _traffic,
    "GET_VENDOR_REAL_TIME_INVENTORY_REPORT": _inventory,
}


def hourly(report: SimReport, rows: int) -> Iterator[str]:
    """`reportData`: for every full hour of the window that has passed, the ASINs with data."""
    assert report.specification is not None
    spec = report.specification
    metric = _METRICS[report.report_type]
    products = catalog_of(report, rows)
    start, end = parse(spec["dataStartTime"]), parse(spec["dataEndTime"])

    def data() -> Iterator[Row]:
        for first, last in periods.full_hours(start, end, until=report.created):
            rng = seeded(report.seller_id, report.report_type, int(first))
            bounds = {"startTime": periods.utc_z(first), "endTime": periods.utc_z(last)}
            for product in products:
                found = metric(rng, product)
                if found is not None:
                    yield {**bounds, "asin": product.asin, **found}

    return document(spec, (("reportData", data()),))
