"""Rows of the V2 settlement flat file: a summary row, then transaction components summing to it."""

from __future__ import annotations

import random
from collections.abc import Iterator

from sandbox import catalog
from sandbox.formats import amount, minor_units, settlement_day, settlement_time
from sandbox.reports import SimReport

Row = dict[str, str]

_DAY = 86400
_FIRST_EVENTS = {1: 0.0, 2: 0.05, 3: 0.1}


def _minor(value: float, market: str) -> int:
    return round(value * (100 if minor_units(market) == 2 else 1))


def _fee(dollars: float, market: str) -> int:
    """A fixed fee in minor units: yen fees are about a hundred times the dollar figure."""
    return _minor(dollars * (100 if minor_units(market) == 0 else 1), market)


def _order(rng: random.Random, market: str, refund: bool) -> Iterator[tuple[str, str, str, int]]:
    """(transaction-type, amount-type, amount-description, minor units) of one order or refund."""
    price = catalog.price(rng, market)
    sign = -1 if refund else 1
    kind = "Refund" if refund else "Order"
    yield kind, "ItemPrice", "Principal", sign * _minor(price, market)
    yield kind, "ItemPrice", "Tax", sign * _minor(price * 0.19, market)
    if rng.random() < 0.4:
        yield kind, "ItemPrice", "Shipping", sign * _fee(4.99, market)
    yield kind, "ItemFees", "Commission", -sign * _minor(price * 0.15, market)
    if refund:
        yield kind, "ItemFees", "RefundCommission", -_minor(price * 0.03, market)
    elif rng.random() < 0.6:
        yield kind, "ItemFees", "FBAPerUnitFulfillmentFee", -_fee(3.22, market)


def _other(
    rng: random.Random, shared: Row, market: str, *, fba_fee: bool
) -> Iterator[tuple[str, str, str, int]]:
    """A line that is no order item: its order-id holds an FBA shipment id (FBAFees) or is
    empty (gh:amzn/selling-partner-api-models#5353). Blanks the order columns in `shared`."""
    blank = ("shipment-id", "order-item-code", "sku", "fulfillment-id", "quantity-purchased")
    shared.update(dict.fromkeys(blank, ""))
    if fba_fee:
        shared["order-id"] = "FBA" + catalog.token(rng, 9)
        yield "other-transaction", "FBAFees", "FBAInboundTransportationFee", -_fee(25, market)
    else:
        shared["order-id"] = ""
        yield "other-transaction", "other-transaction", "Subscription Fee", -_fee(39, market)


def _seeded(report: SimReport) -> tuple[random.Random, str]:
    """The report's numbers, after drawing its settlement-id."""
    rng = catalog.rng_for(report)
    return rng, str(rng.randrange(10**10, 10**11))


def _components(report: SimReport, count: int) -> Iterator[tuple[Row, int]]:
    """`count` transaction rows with their amounts in minor units; the same on every call."""
    rng, settlement_id = _seeded(report)
    start, end = _window(report)
    emitted = event = 0
    while emitted < count:
        market = report.marketplace_ids[emitted % len(report.marketplace_ids)]
        posted = rng.uniform(start, end)
        shared = {
            "settlement-id": settlement_id,
            "order-id": catalog.order_id(rng, market),
            "merchant-order-id": "",
            "shipment-id": "D" + catalog.token(rng, 8),
            "marketplace-name": catalog.locale(market)[1],
            "fulfillment-id": rng.choice(("AFN", "MFN")),
            "posted-date": settlement_day(posted, report.marketplace_ids[0]),
            "posted-date-time": settlement_time(posted, report.marketplace_ids[0]),
            "order-item-code": str(rng.randrange(10**13, 10**14)),
            "sku": catalog.sku(market, rng.randrange(97)),
            "quantity-purchased": str(rng.randrange(1, 4)),
        }
        # Below 0.03 an FBA fee, 0.08 a subscription fee, 0.18 a refund, else an order; the
        # first events are one of each, so that short documents have every kind too.
        roll = _FIRST_EVENTS.get(event, rng.random())
        event += 1
        if roll < 0.08:
            parts = _other(rng, shared, market, fba_fee=roll < 0.03)
        else:
            refund = roll < 0.18
            if refund:
                shared["adjustment-id"] = str(rng.randrange(10**13, 10**14))
            parts = _order(rng, market, refund)
        for kind, amount_type, description, minor in parts:
            if emitted == count:
                return
            row = {
                **shared,
                "transaction-type": kind,
                "amount-type": amount_type,
                "amount-description": description,
            }
            yield row, minor
            emitted += 1


def _window(report: SimReport) -> tuple[float, float]:
    if report.data_end > report.data_start:
        return report.data_start, report.data_end
    return report.data_end - 14 * _DAY, report.data_end


def settlement(report: SimReport, rows: int) -> Iterator[Row]:
    """GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 (summary first, per ab:settlement_fixture and
    sumhound:settlement). The components are generated twice, to total them without keeping
    them: memory stays flat however many rows."""
    if rows <= 0:
        return
    market = report.marketplace_ids[0]
    total = sum(minor for _, minor in _components(report, rows - 1))
    start, end = _window(report)
    yield {
        "settlement-id": _seeded(report)[1],
        "settlement-start-date": settlement_time(start, market),
        "settlement-end-date": settlement_time(end, market),
        "deposit-date": settlement_time(end + 2 * _DAY, market),
        "total-amount": amount(total, market),
        "currency": catalog.locale(market)[0],
    }
    for row, minor in _components(report, rows - 1):
        yield {**row, "amount": amount(minor, market)}
