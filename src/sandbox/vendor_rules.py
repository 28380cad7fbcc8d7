"""Who may request which report type, and the reportOptions rules that end a report FATAL.

Everything here is read from Amazon's report JSON Schemas (sandbox.report_schemas) and the
sourced facts, never from our own report-type catalog, so that the pipeline's catalog is tested
against an independent model of Amazon rather than against itself.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from typing import Any

from sandbox import periods, report_schemas, vendor_windows
from sandbox.vendor_windows import Request, kind
from sandbox.wsgi import invalid_input

__all__ = ["Request", "admit", "audience", "modelled", "review"]

PROMOTIONS = "GET_PROMOTION_PERFORMANCE_REPORT"
COUPONS = "GET_COUPON_PERFORMANCE_REPORT"
_BOTH = frozenset({PROMOTIONS, COUPONS})
_VENDOR_CLASS = "com.amazon.partner.account.id.VendorGroupId"
# Inferred: the class Amazon names for a seller's account id has not been seen in an answer.
_SELLER_CLASS = "com.amazon.partner.account.id.MerchantAccountId"
# Amazon names a report type by an internal number in this message; two are known from issues
# (jlevers/selling-partner-api#155, amzn/selling-partner-api-models#2564), the rest are made up.
_TYPE_NUMBERS = {"GET_FLAT_FILE_OPEN_LISTINGS_DATA": 107, "GET_MERCHANTS_LISTINGS_FYP_REPORT": 5900}
# Amazon lists missing options in this order ("reportPeriod, distributorView, sellingProgram").
_OPTION_ORDER = ("reportPeriod", "distributorView", "sellingProgram")
_REVIEW = "Please review the document for this report type on GitHub"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def audience(report_type: str) -> str:
    """seller, vendor or both: vendor retail analytics are vendor-only; Brand Analytics,
    promotion and coupon reports serve both; everything else is for sellers only."""
    if report_type.startswith("GET_VENDOR_"):
        return "vendor"
    if report_type.startswith("GET_BRAND_ANALYTICS_") or report_type in _BOTH:
        return "both"
    return "seller"


def _account_message(report_type: str, account_class: str) -> str:
    number = _TYPE_NUMBERS.get(report_type) or zlib.crc32(report_type.encode()) % 9000 + 1000
    return f"Report type {number} does not support account ids of type class {account_class}."


def admit(
    report_type: str, vendor_marketplace: str | None, marketplace_ids: tuple[str, ...]
) -> None:
    """Raise 400 InvalidInput when the account may not request this type in these marketplaces.

    `vendor_marketplace` is the vendor group's one marketplace, None for a seller.
    """
    served = audience(report_type)
    if vendor_marketplace is not None and served == "seller":
        raise invalid_input(_account_message(report_type, _VENDOR_CLASS))
    if vendor_marketplace is None and served == "vendor":
        raise invalid_input(_account_message(report_type, _SELLER_CLASS))
    if vendor_marketplace is not None and marketplace_ids != (vendor_marketplace,):
        # Inferred wording; the rule is the schemas': "must match the marketplaceId of the
        # selling partner account. Each selling partner account belongs to only one".
        raise invalid_input(
            f"marketplaceIds must be [{vendor_marketplace}], the one marketplace of this vendor "
            "account"
        )


def modelled(report_type: str, vendor: bool) -> bool:
    """Whether Amazon's schema describes this request. Sellers' coupon reports have their own
    schema (sellerCouponReport.json, not copied), so only their promotion reports qualify."""
    return report_type in report_schemas.SCHEMAS and (vendor or report_type == PROMOTIONS)


def review(request: Request) -> tuple[str | None, dict[str, Any]]:
    """Why the report must end FATAL (None if it need not), and the reportSpecification its
    document echoes."""
    problem = _options_problem(request) or vendor_windows.problem(request)
    return problem, _specification(request)


def _options_problem(request: Request) -> str | None:
    required, known = report_schemas.options(request.report_type)
    missing = [name for name in required if not request.options.get(name)]
    if missing:
        missing.sort(key=lambda n: _OPTION_ORDER.index(n) if n in _OPTION_ORDER else len(required))
        return (
            f"This report type requires the {', '.join(missing)} reportOption to be specified. "
            f"{_REVIEW}, provide a value for this reportOption in your request, and try again."
        )
    for name, value in request.options.items():
        if name not in known:  # first sentence is Amazon's (models#2441), the rest inferred
            return (
                f"This report type does not support the {name} reportOption. {_REVIEW}, "
                "remove this reportOption from your request, and try again."
            )
        allowed = known[name].get("enum")
        if allowed and value not in allowed:  # inferred wording
            return (
                f"The value {value} is not valid for the {name} reportOption. Valid values are "
                f"{', '.join(allowed)}. {_REVIEW}, provide a valid value, and try again."
            )
        if known[name].get("format") == "date-time" and not _is_date_time(value):
            return f"The {name} reportOption must be an ISO 8601 date-time; {value} is not."
    currency = request.options.get("currencyCode")
    if currency is not None and not _CURRENCY.match(currency):
        return f"The currencyCode reportOption must be an ISO 4217 code; {currency} is not."
    return None


def _is_date_time(value: str) -> bool:
    try:
        return "T" in value and bool(datetime.fromisoformat(value))
    except ValueError:
        return False


def _specification(request: Request) -> dict[str, Any]:
    """The request as the document's reportSpecification summarises it."""
    known = report_schemas.specification(request.report_type)["properties"]
    spec: dict[str, Any] = {"reportType": request.report_type}
    if "reportOptions" in known:
        spec["reportOptions"] = dict(request.options)
    if "lastUpdatedDate" in known:
        # The data's version: reports requested on a later day see restated numbers.
        spec["lastUpdatedDate"] = datetime.fromtimestamp(request.now, UTC).date().isoformat()
    found = kind(request.report_type)
    if found == "period":
        spec["dataStartTime"] = request.day(request.start, request.data_start).isoformat()
        spec["dataEndTime"] = request.day(request.end, request.data_end).isoformat()
    elif found == "hourly":
        spec["dataStartTime"] = periods.utc_z(request.data_start)
        spec["dataEndTime"] = periods.utc_z(request.data_end)
    spec["marketplaceIds"] = list(request.marketplace_ids)
    return spec
