"""What vendor documents draw on: a vendor group's catalog, seeded numbers, JSON in pieces."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sandbox import catalog
from sandbox.reports import SimReport


@dataclass(frozen=True)
class Product:
    """One ASIN a vendor sells to Amazon: Amazon's price, the vendor's cost, units per day."""

    asin: str
    name: str
    price: float
    cost: float
    daily_units: float


@lru_cache(maxsize=64)
def products(account: str, marketplace_id: str, count: int) -> tuple[Product, ...]:
    """The vendor group's catalog: the same ASINs and prices in every report it gets."""
    rng = random.Random(f"{account}/{marketplace_id}/catalog")
    names = catalog.PRODUCTS_JP if marketplace_id == catalog.JP else catalog.PRODUCTS
    found: dict[str, Product] = {}
    while len(found) < max(1, count):
        asin = catalog.asin(rng)
        price = catalog.price(rng, marketplace_id)
        found[asin] = Product(
            asin=asin,
            name=names[len(found) % len(names)][0],
            price=price,
            cost=round(price * rng.uniform(0.45, 0.7), 2),
            # A few best sellers and a long tail, as a real catalog has.
            daily_units=min(80.0, max(0.05, rng.lognormvariate(0.3, 1.1))),
        )
    return tuple(found.values())


def catalog_of(report: SimReport, rows: int) -> tuple[Product, ...]:
    return products(report.seller_id, report.marketplace_ids[0], rows)


def currency(report: SimReport) -> str:
    return catalog.locale(report.marketplace_ids[0])[0]


def seeded(*parts: object) -> random.Random:
    """Numbers that depend only on `parts`: the same inputs give the same row in any report."""
    return random.Random("/".join(str(p) for p in parts))


def amount(value: float, code: str) -> dict[str, Any]:
    return {"amount": round(value, 2), "currencyCode": code}


def options_key(report: SimReport) -> str:
    """The report's options in a stable order, for seeding."""
    return ",".join(f"{k}={v}" for k, v in sorted(report.options.items()))


def document(spec: dict[str, Any], sections: Iterable[tuple[str, Iterable[Any]]]) -> Iterator[str]:
    """A report document as JSON text in pieces, one per row, so memory stays flat."""
    yield '{"reportSpecification": ' + json.dumps(spec, ensure_ascii=False)
    for name, rows in sections:
        yield f', "{name}": ['
        for index, row in enumerate(rows):
            yield (", " if index else "") + json.dumps(row, ensure_ascii=False)
        yield "]"
    yield "}"
