"""Amazon's JSON Schemas of vendor report documents: what each type requires, and a validator."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import cache
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from sandbox.swagger import MODELS

FOLDER = MODELS / "report-schemas"
SCHEMAS = {
    "GET_VENDOR_SALES_REPORT": "vendorSalesReport.json",
    "GET_VENDOR_TRAFFIC_REPORT": "vendorTrafficReport.json",
    "GET_VENDOR_INVENTORY_REPORT": "vendorInventoryReport.json",
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": "vendorNetPureProductMarginReport.json",
    "GET_VENDOR_FORECASTING_REPORT": "vendorForecastingReport.json",
    "GET_VENDOR_REAL_TIME_SALES_REPORT": "vendorRealTimeSalesReport.json",
    "GET_VENDOR_REAL_TIME_INVENTORY_REPORT": "vendorRealTimeInventoryReport.json",
    "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT": "vendorRealTimeTrafficReport.json",
    "GET_PROMOTION_PERFORMANCE_REPORT": "promotionReport.json",
    "GET_COUPON_PERFORMANCE_REPORT": "vendorCouponReport.json",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    # RFC 3339 full-date only: "2026-03-01", never a date-time.
    return not isinstance(value, str) or bool(_DATE.match(value) and date.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or ("T" in value and bool(datetime.fromisoformat(value)))


@cache
def schema(report_type: str) -> dict[str, Any]:
    """The whole JSON Schema of a report type's document; KeyError for a type without one."""
    loaded: dict[str, Any] = json.loads((FOLDER / SCHEMAS[report_type]).read_text("utf-8"))
    return loaded


def specification(report_type: str) -> dict[str, Any]:
    """The schema of `reportSpecification`: which request fields and options the type takes."""
    spec: dict[str, Any] = schema(report_type)["properties"]["reportSpecification"]
    return spec


def options(report_type: str) -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """The required reportOptions, and every option the type knows with its schema."""
    found = specification(report_type)["properties"].get("reportOptions", {})
    return tuple(found.get("required", ())), dict(found.get("properties", {}))


@cache
def validator(report_type: str) -> Draft7Validator:
    """Checks a document, formats included (`date`, `date-time`)."""
    return Draft7Validator(schema(report_type), format_checker=FORMATS)
