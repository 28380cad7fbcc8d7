"""The GET_SALES_AND_TRAFFIC_REPORT JSON document, in the shape Amazon publishes."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from sandbox import catalog
from sandbox.reports import SimReport
from sandbox.times import utc

_DAY = 86400
_MAX_DAYS = 31
_DEFAULT_OPTIONS = {"dateGranularity": "DAY", "asinGranularity": "PARENT"}


def _money(amount: float, currency: str) -> dict[str, Any]:
    return {"amount": round(amount, 2), "currencyCode": currency}


def _sales_by_date(rng: random.Random, currency: str) -> dict[str, Any]:
    units = rng.randrange(0, 400)
    items = max(1, int(units * 0.9))
    sales = units * rng.uniform(8, 40)
    return {
        "orderedProductSales": _money(sales, currency),
        "orderedProductSalesB2B": _money(sales * 0.05, currency),
        "unitsOrdered": units,
        "unitsOrderedB2B": units // 20,
        "totalOrderItems": items,
        "totalOrderItemsB2B": items // 20,
        "averageSalesPerOrderItem": _money(sales / items, currency),
        "averageSalesPerOrderItemB2B": _money(sales / items, currency),
        "averageUnitsPerOrderItem": round(units / items, 2),
        "averageUnitsPerOrderItemB2B": round(units / items, 2),
        "averageSellingPrice": _money(sales / max(units, 1), currency),
        "averageSellingPriceB2B": _money(sales / max(units, 1), currency),
        "unitsRefunded": units // 40,
        "refundRate": round(rng.uniform(0, 5), 2),
        "claimsGranted": 0,
        "claimsAmount": _money(0, currency),
        "shippedProductSales": _money(sales * 0.95, currency),
        "unitsShipped": int(units * 0.95),
        "ordersShipped": int(items * 0.95),
    }


def _traffic(rng: random.Random) -> dict[str, Any]:
    browser, mobile = rng.randrange(0, 3000), rng.randrange(0, 5000)
    sessions_browser, sessions_mobile = browser * 2 // 3, mobile * 2 // 3
    return {
        "browserPageViews": browser,
        "browserPageViewsB2B": browser // 25,
        "mobileAppPageViews": mobile,
        "mobileAppPageViewsB2B": mobile // 25,
        "pageViews": browser + mobile,
        "pageViewsB2B": (browser + mobile) // 25,
        "browserSessions": sessions_browser,
        "browserSessionsB2B": sessions_browser // 25,
        "mobileAppSessions": sessions_mobile,
        "mobileAppSessionsB2B": sessions_mobile // 25,
        "sessions": sessions_browser + sessions_mobile,
        "sessionsB2B": (sessions_browser + sessions_mobile) // 25,
        "buyBoxPercentage": round(rng.uniform(60, 100), 2),
        "buyBoxPercentageB2B": round(rng.uniform(60, 100), 2),
        "orderItemSessionPercentage": round(rng.uniform(1, 20), 2),
        "orderItemSessionPercentageB2B": round(rng.uniform(1, 20), 2),
        "unitSessionPercentage": round(rng.uniform(1, 25), 2),
        "unitSessionPercentageB2B": round(rng.uniform(1, 25), 2),
    }


_SHARES = (
    "browserSessionPercentage",
    "mobileAppSessionPercentage",
    "sessionPercentage",
    "browserPageViewsPercentage",
    "mobileAppPageViewsPercentage",
    "pageViewsPercentage",
)


def _by_asin(rng: random.Random, currency: str, granularity: str) -> dict[str, Any]:
    units = rng.randrange(0, 60)
    sales = units * rng.uniform(8, 40)
    traffic = _traffic(rng)
    share = round(rng.uniform(0, 3), 2)
    ids = {
        "parentAsin": catalog.asin(rng),
        "childAsin": catalog.asin(rng),
        "sku": f"SKU-{catalog.token(rng, 6)}",
    }
    # childAsin only for CHILD or SKU granularity, sku only for SKU (the report's JSON Schema).
    kept = {"PARENT": 1, "CHILD": 2}.get(granularity, 3)
    return {
        **dict(list(ids.items())[:kept]),
        "salesByAsin": {
            "unitsOrdered": units,
            "unitsOrderedB2B": units // 20,
            "orderedProductSales": _money(sales, currency),
            "orderedProductSalesB2B": _money(sales * 0.05, currency),
            "totalOrderItems": max(0, units - units // 10),
            "totalOrderItemsB2B": units // 25,
        },
        "trafficByAsin": {
            **{k: v for k, v in traffic.items() if not k.startswith("orderItem")},
            **dict.fromkeys(_SHARES, share),
            **{f"{key}B2B": round(share / 25, 2) for key in _SHARES},
        },
    }


def sales_and_traffic(report: SimReport, rng: random.Random, rows: int) -> Iterator[str]:
    """The document as JSON text in pieces: by date (one entry per day of the data window, at
    most a month), then by ASIN (`rows` entries, one piece each, so memory stays flat)."""
    currency = catalog.locale(report.marketplace_ids[0])[0]
    options = report.options or _DEFAULT_OPTIONS
    days = min(_MAX_DAYS, max(1, int((report.data_end - report.data_start) // _DAY) + 1))
    by_date = []
    for day in range(days):
        traffic = _traffic(rng)
        traffic.update(
            {
                "averageOfferCount": rng.randrange(1, 40),
                "averageParentItems": rng.randrange(1, 200),
                "feedbackReceived": rng.randrange(0, 10),
                "negativeFeedbackReceived": rng.randrange(0, 2),
                "receivedNegativeFeedbackRate": round(rng.uniform(0, 2), 2),
            }
        )
        by_date.append(
            {
                "date": utc(report.data_start + day * _DAY).strftime("%Y-%m-%d"),
                "salesByDate": _sales_by_date(rng, currency),
                "trafficByDate": traffic,
            }
        )
    head = {
        "reportSpecification": {
            "reportType": report.report_type,
            "reportOptions": options,
            "dataStartTime": utc(report.data_start).strftime("%Y-%m-%d"),
            "dataEndTime": utc(report.data_end).strftime("%Y-%m-%d"),
            "marketplaceIds": list(report.marketplace_ids),
        },
        "salesAndTrafficByDate": by_date,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "salesAndTrafficByAsin": ['
    granularity = options.get("asinGranularity", "PARENT")
    for index in range(rows):
        entry = json.dumps(_by_asin(rng, currency, granularity), ensure_ascii=False)
        yield entry if index == 0 else ", " + entry
    yield "]}"
