"""Rows of the listings reports: all listings (merchant and FBA) and open listings with tiers."""

from __future__ import annotations

import random
from collections.abc import Iterator

from sandbox import catalog
from sandbox.formats import listing_date
from sandbox.reports import SimReport

Row = dict[str, str]

_DAY = 86400
_NOTES = ("", "", "", "Neu & OVP", "Comme neuf – boîte d’origine", "Like new, original box")


def _market(report: SimReport, index: int) -> str:
    return report.marketplace_ids[index % len(report.marketplace_ids)]


def merchant_listings(report: SimReport, rows: int) -> Iterator[Row]:
    """GET_MERCHANT_LISTINGS_ALL_DATA: FBA listings leave quantity and pending-quantity empty."""
    rng = catalog.rng_for(report)
    products = catalog.products(report)
    for index in range(rows):
        market = _market(report, index)
        # Cycling (not sampling) puts every product, so every accent, in any ten-row document.
        name, description = products[index % len(products)]
        item = catalog.asin(rng)
        fba = rng.random() < 0.35
        note = rng.choice(_NOTES) if catalog.country(market) != "JP" else ""
        yield {
            "item-name": name,
            "item-description": description if rng.random() < 0.7 else "",
            "listing-id": f"{rng.randrange(1, 10):02d}{rng.randrange(10**8, 10**9)}",
            "seller-sku": catalog.sku(market, index),
            "price": catalog.money(catalog.price(rng, market), market),
            "quantity": "" if fba else str(rng.randrange(0, 250)),
            "open-date": listing_date(report.created - rng.uniform(1, 900) * _DAY, market),
            "image-url": f"https://m.media-amazon.com/images/I/{catalog.token(rng, 11)}.jpg",
            "item-is-marketplace": "n" if rng.random() < 0.1 else "y",
            "product-id-type": "1",
            "item-note": note,
            "item-condition": "11" if not note else "1",
            "asin1": item,
            "will-ship-internationally": rng.choice(("", "", "1", "2")),
            "expedited-shipping": rng.choice(("", "N", "Y")),
            "product-id": item,
            "pending-quantity": "" if fba else str(rng.choice((0, 0, 0, 1, 2))),
            "fulfillment-channel": f"AMAZON_{catalog.region(market)}" if fba else "DEFAULT",
            "merchant-shipping-group": "" if fba else "Migrated Template",
            "status": rng.choice(("Active", "Active", "Active", "Inactive")),
        }


def _tiers(rng: random.Random, price: float, kind: str, count: int, market: str) -> Row:
    row, bound, cut = {f"{kind} Price Type": "fixed"}, 1, 1.0
    for tier in range(1, count + 1):
        bound, cut = bound + rng.randrange(2, 10), cut - rng.uniform(0.02, 0.08)
        row[f"{kind} Lower Bound {tier}"] = str(bound)
        row[f"{kind} Price {tier}"] = catalog.money(price * cut, market)
    return row


def open_listings(report: SimReport, rows: int) -> Iterator[Row]:
    """GET_FLAT_FILE_OPEN_LISTINGS_DATA: one marketplace (the first); business tiers on some."""
    rng = catalog.rng_for(report)
    market = report.marketplace_ids[0]
    for index in range(rows):
        price = catalog.price(rng, market)
        fba = rng.random() < 0.35
        row = {
            "sku": catalog.sku(market, index),
            "asin": catalog.asin(rng),
            "price": catalog.money(price, market),
            "quantity": "" if fba else str(rng.randrange(0, 250)),
        }
        if rng.random() < 0.3:  # a B2B offer: a business price, sometimes quantity discounts
            row["Business Price"] = catalog.money(price * 0.95, market)
            if rng.random() < 0.5:
                row.update(_tiers(rng, price * 0.95, "Quantity", rng.randrange(1, 6), market))
            elif rng.random() < 0.3:
                row.update(_tiers(rng, price * 0.95, "Progressive", rng.randrange(1, 4), market))
        yield row
