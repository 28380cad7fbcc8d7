"""Rows of the all-orders flat files: one line per order item, with no order-item id."""

from __future__ import annotations

import random
from collections.abc import Iterator

from sandbox import catalog
from sandbox.reports import SimReport
from sandbox.times import iso

Row = dict[str, str]

_STATUSES = ("Shipped", "Shipped", "Shipped", "Pending", "Unshipped", "Cancelled")


def _head(report: SimReport, rng: random.Random, market: str) -> Row:
    """What every line of one order shares."""
    currency, channel, _ = catalog.locale(market)
    # Without a data window Amazon reports the last day or so; spread orders over it.
    start = report.data_start if report.data_end > report.data_start else report.data_end - 86400
    bought = rng.uniform(start, report.data_end)
    status = rng.choice(_STATUSES)
    city, state, postal, ship_country = catalog.address(rng, market)
    business = rng.random() < 0.1
    return {
        "amazon-order-id": catalog.order_id(rng, market),
        "merchant-order-id": "" if rng.random() < 0.8 else f"M-{rng.randrange(10**5, 10**6)}",
        "purchase-date": iso(bought),
        "last-updated-date": iso(bought + rng.uniform(0, 36) * 3600),
        "order-status": status,
        "fulfillment-channel": rng.choice(("Amazon", "Merchant")),
        "sales-channel": channel,
        "ship-service-level": rng.choice(("Standard", "Expedited")),
        "currency": currency,
        "ship-city": city,
        "ship-state": state,
        "ship-postal-code": postal,
        "ship-country": ship_country,
        "is-business-order": "true" if business else "false",
        "purchase-order-number": f"PO-{rng.randrange(1000, 9999)}" if business else "",
        "price-designation": "BusinessPrice" if business else "",
        "signature-confirmation-recommended": "true" if rng.random() < 0.05 else "false",
    }


def _line(rng: random.Random, head: Row, name: str, index: int, market: str) -> Row:
    status = head["order-status"]
    line = {
        "product-name": name,
        "sku": catalog.sku(market, index % 97),
        "asin": catalog.asin(rng),
        "item-status": status if status in ("Shipped", "Cancelled") else "Unshipped",
    }
    if status == "Cancelled":  # observed: quantity 0 and empty amounts
        return {**line, "quantity": "0"}
    quantity = rng.randrange(1, 4)
    price = catalog.price(rng, market) * quantity
    shipping = rng.choice((0.0, 0.0, 3.99, 4.99))
    promoted = shipping > 0 and rng.random() < 0.3
    line.update(
        {
            "quantity": str(quantity),
            "item-price": catalog.money(price, market),
            "item-tax": catalog.money(price * 0.19, market),
            "shipping-price": catalog.money(shipping, market),
            "shipping-tax": catalog.money(shipping * 0.19, market),
            "item-promotion-discount": catalog.money(0, market),
            "ship-promotion-discount": catalog.money(-shipping if promoted else 0, market),
            "promotion-ids": "Free Shipping 2024-11-01 1234" if promoted else "",
        }
    )
    return line


def orders(report: SimReport, rows: int) -> Iterator[Row]:
    """`rows` lines: orders of one to three lines; the second order is one item shipped in two
    identical lines, as Amazon sends it (gh:amzn/selling-partner-api-models#442)."""
    rng = catalog.rng_for(report)
    products = catalog.products(report)
    emitted = number = 0
    while emitted < rows:
        market = report.marketplace_ids[number % len(report.marketplace_ids)]
        head = _head(report, rng, market)
        count = 1 if number == 0 else rng.choice((1, 1, 1, 2, 3))
        lines: list[Row] = []
        for _ in range(min(count, rows - emitted)):
            name = products[(emitted + len(lines)) % len(products)][0]
            lines.append(_line(rng, head, name, emitted + len(lines), market))
        if number == 1 and rows - emitted >= 2:
            lines = [lines[0], lines[0]]
        for line in lines:
            yield {**head, **line}
        emitted += len(lines)
        number += 1
