"""Promotion and coupon performance documents: deals and coupons that started in the range."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from sandbox import catalog
from sandbox.periods import utc_z
from sandbox.reports import SimReport
from sandbox.times import parse
from sandbox.vendor_data import Product, catalog_of, currency, document

Row = dict[str, Any]
_DAY = 86400.0
# Promotion types the report supports for vendors ("Best Deal, Lightning Deal, and Price
# Discount"), with how long each runs, in hours.
_DEALS = {"BEST_DEAL": (24, 14 * 24), "LIGHTNING_DEAL": (4, 12), "PRICE_DISCOUNT": (24, 30 * 24)}
_CAMPAIGNS = ("Spring Savings", "Prime Day Prep", "Back to School", "Holiday Coupons", "Clearance")


def vendor_code(account: str, index: int = 0) -> str:
    """One of the vendor codes of a vendor group (a group usually has a few)."""
    return catalog.token(random.Random(f"{account}/vendor-code/{index % 2}"), 5)


def _starts(report: SimReport, rng: random.Random, names: tuple[str, str]) -> list[float]:
    """Start times inside the requested range that have already come, oldest first."""
    first, last = (parse(report.options[n]) for n in names)
    last = min(last, report.created)
    if last < first:
        return []
    count = rng.randint(1, min(12, 2 + int((last - first) // (10 * _DAY))))
    return sorted(rng.uniform(first, last) // 60 * 60 for _ in range(count))


def _product(rng: random.Random, product: Product, code: str, vendor: bool) -> Row:
    units = round(product.daily_units * rng.uniform(1, 6))
    row: Row = {
        "asin": product.asin,
        "productName": product.name,
        "productGlanceViews": units * rng.randint(8, 30),
        "productUnitsSold": units,
    }
    if vendor:  # funding is a vendor's affair
        row["productAmountSpent"] = round(units * product.cost * rng.uniform(0.05, 0.2), 2)
        row["productAmountSpentCurrencyCode"] = code
    row["productRevenue"] = round(units * product.price * rng.uniform(0.7, 0.9), 2)
    row["productRevenueCurrencyCode"] = code
    return row


def _promotion(report: SimReport, rng: random.Random, start: float, rows: int) -> Row:
    code, market = currency(report), report.marketplace_ids[0]
    kind = rng.choice(tuple(_DEALS))
    end = start + rng.randint(*_DEALS[kind]) * 3600
    chosen = rng.sample(catalog_of(report, rows), k=min(rows, rng.randint(1, 5)))
    products = [_product(rng, p, code, report.vendor) for p in chosen]
    created = start - rng.uniform(3, 30) * _DAY
    row: Row = {"promotionId": str(rng.randrange(10**10, 10**11))}
    row["promotionName"] = f"Save on {chosen[0].name}"
    row |= {"vendorCode": vendor_code(report.seller_id)} if report.vendor else {}
    row |= {} if report.vendor else {"merchantId": report.seller_id}
    row["unitsSold"] = sum(p["productUnitsSold"] for p in products)
    if report.vendor:
        row["amountSpent"] = round(sum(p["productAmountSpent"] for p in products), 2)
        row["amountSpentCurrencyCode"] = code
    row |= {
        "revenue": round(sum(p["productRevenue"] for p in products), 2),
        "revenueCurrencyCode": code,
        "startDateTime": utc_z(start),
        "endDateTime": utc_z(end),
        "type": kind,
        "status": "CANCELED" if rng.random() < 0.05 else "APPROVED",
        "creationChannel": rng.choice(("SELF-SERVICE", "FULL-SERVICE", "AUTOMATED")),
        "marketplaceId": market,
    }
    if report.vendor:
        row["fundingAgreementId"] = str(rng.randrange(10**7, 10**8))
    row["glanceViews"] = sum(p["productGlanceViews"] for p in products)
    row["createdDateTime"] = utc_z(created)
    row["lastUpdatedDateTime"] = utc_z(max(created, min(report.created, end + _DAY)))
    row["includedProducts"] = products
    return row


def promotions(report: SimReport, rows: int) -> Iterator[str]:
    assert report.specification is not None
    rng = catalog.rng_for(report)
    names = ("promotionStartDateFrom", "promotionStartDateTo")
    found = (_promotion(report, rng, start, rows) for start in _starts(report, rng, names))
    return document(report.specification, (("promotions", found),))


def _coupon(rng: random.Random, start: float, products: list[Product]) -> Row:
    clips = rng.randint(0, 4000)
    redemptions = round(clips * rng.uniform(0, 0.3))
    asins: list[Row] = []
    discount = 0.0
    for product in products:
        if rng.random() < 0.5:
            percent = rng.choice((5, 10, 15, 20, 25, 30))
            kind, value, saved = (
                "PERCENT_OFF_LIST_PRICE",
                float(percent),
                product.price * percent / 100,
            )
        else:
            off = round(min(product.price * 0.5, rng.uniform(1, 20)), 2)
            kind, value, saved = "AMOUNT_OFF_LIST_PRICE", off, off
        asins.append({"asin": product.asin, "discountType": kind, "discountAmount": value})
        discount += saved
    total = round(redemptions * discount / len(products), 2)
    return {
        "couponId": catalog.token(rng, 14),
        "name": f"{products[0].name[:40]} – save",
        "websiteMessage": "Save with this coupon",
        "startDateTime": utc_z(start),
        "endDateTime": utc_z(start + rng.randint(3, 30) * _DAY),
        "isOncePerCustomer": rng.random() < 0.8,
        "customerSegment": rng.choice(("All (Default)", "Prime members", "Amazon Family")),
        "clips": clips,
        "redemptions": redemptions,
        "totalDiscount": total,
        # Clip and redemption fees on top of the discounts customers got.
        "budgetSpent": round(total + redemptions * 0.6, 2),
        "asins": asins,
    }


def _budget(coupon: Row, budget: float) -> None:
    coupon["budgetPercentageUsed"] = round(min(100.0, coupon["budgetSpent"] / budget * 100), 2)


def _campaign(report: SimReport, rng: random.Random, starts: list[float], rows: int) -> Row:
    shared = rng.random() < 0.4
    coupons = [
        _coupon(rng, start, rng.sample(catalog_of(report, rows), k=min(rows, rng.randint(1, 3))))
        for start in starts
    ]
    created = starts[0] - rng.uniform(2, 20) * _DAY
    spent = round(sum(c["budgetSpent"] for c in coupons), 2)
    campaign: Row = {
        "campaignId": "AMZ" + catalog.token(rng, 10),
        "campaignName": f"{rng.choice(_CAMPAIGNS)} {utc_z(starts[0])[:4]}",
        "vendorCode": vendor_code(report.seller_id, rng.randrange(2)),
        "marketplaceId": report.marketplace_ids[0],
        "creationDateTime": utc_z(created),
        # "May be up to 24 hours before the current date-time."
        "lastUpdatedDateTime": utc_z(max(created, report.created - rng.uniform(0, _DAY))),
        "isSubscribeAndSave": rng.random() < 0.2,
        "budgetType": "SHARED_BUDGET" if shared else "PER_INDIVIDUAL_COUPON",
        "totalClips": sum(c["clips"] for c in coupons),
        "totalRedemptions": sum(c["redemptions"] for c in coupons),
        "currencyCode": currency(report),
    }
    if shared:
        budget = round(max(spent, rng.uniform(1000, 50000)), 2)
        campaign["totalBudget"] = budget
        campaign["totalBudgetSpent"] = spent
        campaign["totalBudgetRemaining"] = round(budget - spent, 2)
    for coupon in coupons:
        if shared:
            _budget(coupon, campaign["totalBudget"])
            continue
        coupon["budget"] = round(max(coupon["budgetSpent"], rng.uniform(500, 20000)), 2)
        coupon["budgetRemaining"] = round(coupon["budget"] - coupon["budgetSpent"], 2)
        _budget(coupon, coupon["budget"])
    campaign["coupons"] = coupons
    return campaign


def coupons(report: SimReport, rows: int) -> Iterator[str]:
    assert report.specification is not None
    rng = catalog.rng_for(report)
    starts = _starts(report, rng, ("campaignStartDateFrom", "campaignStartDateTo"))
    groups = [starts[i : i + 3] for i in range(0, len(starts), 3)]  # up to 3 coupons each
    found = (_campaign(report, rng, group, rows) for group in groups)
    return document(report.specification, (("campaigns", found),))
