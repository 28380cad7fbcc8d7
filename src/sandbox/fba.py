"""Rows of the FBA reports: manage-inventory (MYI), AFN inventory, customer returns."""

from __future__ import annotations

import random
from collections.abc import Iterator

from sandbox import catalog
from sandbox.reports import SimReport
from sandbox.times import iso

Row = dict[str, str]

_CONDITIONS = (("NewItem", "New"), ("UsedLikeNew", "Used - Like New"), ("UsedGood", "Used - Good"))
_DISPOSITIONS = ("SELLABLE", "SELLABLE", "CUSTOMER_DAMAGED", "DEFECTIVE", "CARRIER_DAMAGED")
_REASONS = ("UNWANTED_ITEM", "NOT_AS_DESCRIBED", "DEFECTIVE", "SWITCHEROO", "ORDERED_WRONG_ITEM")
_COMMENTS = ("", "", "Zu groß – passt nicht", "Ne correspond pas à la description", "Arrived late")
_COMMENTS_JP = ("", "", "サイズが合わない", "イメージと違う")
_CENTRES = {"NA": ("PHX7", "ONT8", "YYZ4"), "EU": ("LEJ1", "MUC3", "BHX4"), "FE": ("NRT5", "KIX2")}


def _market(report: SimReport, index: int) -> str:
    return report.marketplace_ids[index % len(report.marketplace_ids)]


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _myi(rng: random.Random, name: str, index: int, market: str) -> Row:
    fulfillable, unsellable, reserved = (rng.randrange(0, n) for n in (400, 6, 30))
    inbound = [rng.choice((0, 0, rng.randrange(1, 200))) for _ in range(3)]
    warehouse = fulfillable + unsellable + reserved
    mfn = rng.random() < 0.2
    return {
        "sku": catalog.sku(market, index),
        "fnsku": catalog.fnsku(rng),
        "asin": catalog.asin(rng),
        "product-name": name,
        "condition": rng.choice(_CONDITIONS)[1] if rng.random() < 0.1 else "New",
        "your-price": catalog.money(catalog.price(rng, market), market),
        "mfn-listing-exists": _yes(mfn),
        "mfn-fulfillable-quantity": str(rng.randrange(0, 50)) if mfn else "",
        "afn-listing-exists": "Yes",
        "afn-warehouse-quantity": str(warehouse),
        "afn-fulfillable-quantity": str(fulfillable),
        "afn-unsellable-quantity": str(unsellable),
        "afn-reserved-quantity": str(reserved),
        "afn-total-quantity": str(warehouse + sum(inbound)),
        "per-unit-volume": f"{rng.uniform(0.01, 2.5):.2f}",
        "afn-inbound-working-quantity": str(inbound[0]),
        "afn-inbound-shipped-quantity": str(inbound[1]),
        "afn-inbound-receiving-quantity": str(inbound[2]),
        "afn-researching-quantity": str(rng.choice((0, 0, 0, 1))),
        "afn-reserved-future-supply": "0",
        "afn-future-supply-buyable": "0",
    }


def fba_inventory(report: SimReport, rows: int) -> Iterator[Row]:
    """GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA: warehouse = fulfillable + unsellable + reserved,
    total = warehouse + inbound (kancloud:myi)."""
    rng = catalog.rng_for(report)
    products = catalog.products(report)
    for index in range(rows):
        yield _myi(rng, products[index % len(products)][0], index, _market(report, index))


def afn_inventory(report: SimReport, rows: int) -> Iterator[Row]:
    """GET_AFN_INVENTORY_DATA: some SKUs have both a SELLABLE and an UNSELLABLE line."""
    rng = catalog.rng_for(report)
    index = sku_number = 0
    while index < rows:
        market = _market(report, sku_number)
        sku, fnsku, item = catalog.sku(market, sku_number), catalog.fnsku(rng), catalog.asin(rng)
        codes = ("SELLABLE", "UNSELLABLE") if rng.random() < 0.2 else ("SELLABLE",)
        for code in codes[: rows - index]:
            yield {
                "seller-sku": sku,
                "fulfillment-channel-sku": fnsku,
                "asin": item,
                "condition-type": rng.choice(_CONDITIONS)[0] if rng.random() < 0.1 else "NewItem",
                "Warehouse-Condition-code": code,
                "Quantity Available": str(rng.randrange(0, 300 if code == "SELLABLE" else 5)),
            }
            index += 1
        sku_number += 1


def customer_returns(report: SimReport, rows: int) -> Iterator[Row]:
    """GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA: one line per returned unit (license plate)."""
    rng = catalog.rng_for(report)
    products = catalog.products(report)
    start = report.data_start if report.data_end > report.data_start else report.data_end - 86400
    for index in range(rows):
        market = _market(report, index)
        disposition = rng.choice(_DISPOSITIONS)
        comments = _COMMENTS_JP if catalog.country(market) == "JP" else _COMMENTS
        yield {
            # The exact pattern is not confirmed by a stored sample (REPORT-SCHEMAS.md §4).
            "return-date": iso(rng.uniform(start, report.data_end)),
            "order-id": catalog.order_id(rng, market),
            "sku": catalog.sku(market, index % 97),
            "asin": catalog.asin(rng),
            "fnsku": catalog.fnsku(rng),
            "product-name": products[index % len(products)][0],
            "quantity": "1",
            "fulfillment-center-id": rng.choice(_CENTRES[catalog.region(market)]),
            "detailed-disposition": disposition,
            "reason": rng.choice(_REASONS),
            "status": "Unit returned to inventory" if disposition == "SELLABLE" else "Reimbursed",
            "license-plate-number": f"LPNR{rng.randrange(10**9, 10**10)}",
            "customer-comments": rng.choice(comments),
        }
