"""The report-type catalog: audiences, reportOptions and window rules, checked against Amazon's
own report schemas where we have them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from domain.errors import ReportOptionError
from domain.model import PartnerKind
from domain.report_types import Audience, OptionKind, Period, WindowRule, spec

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "src" / "sandbox" / "models" / "report-schemas"
CATALOG = ROOT / "src" / "domain" / "report_types.json"
VENDOR_TYPES = (
    "GET_VENDOR_SALES_REPORT",
    "GET_VENDOR_TRAFFIC_REPORT",
    "GET_VENDOR_INVENTORY_REPORT",
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
    "GET_VENDOR_FORECASTING_REPORT",
    "GET_VENDOR_REAL_TIME_SALES_REPORT",
    "GET_VENDOR_REAL_TIME_INVENTORY_REPORT",
    "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT",
)
SALES = "GET_VENDOR_SALES_REPORT"
SALES_OPTIONS = {
    "distributorView": "MANUFACTURING",
    "reportPeriod": "WEEK",
    "sellingProgram": "RETAIL",
}


def _schema_options(report_type: str) -> tuple[set[str], dict[str, list[str] | None]]:
    path = SCHEMAS / f"{_schema_file(report_type)}.json"
    specification = json.loads(path.read_text())["properties"]["reportSpecification"]
    options = specification["properties"].get("reportOptions", {})
    properties = options.get("properties", {})
    return set(options.get("required", [])), {k: v.get("enum") for k, v in properties.items()}


def _schema_file(report_type: str) -> str:
    catalog = json.loads(CATALOG.read_text())
    return str(catalog["types"][report_type]["schema"])


@pytest.mark.parametrize(
    "report_type",
    [*VENDOR_TYPES, "GET_PROMOTION_PERFORMANCE_REPORT", "GET_COUPON_PERFORMANCE_REPORT"],
)
def test_the_catalog_asks_for_exactly_the_options_amazons_schema_requires(report_type):
    required, enums = _schema_options(report_type)
    found = spec(report_type)
    assert {o.name for o in found.options if o.required} == required
    assert {o.name for o in found.options} == set(enums)
    for option in found.options:
        if enums[option.name] is not None:
            assert list(option.allowed) == enums[option.name]


@pytest.mark.parametrize("report_type", VENDOR_TYPES)
def test_vendor_retail_analytics_are_vendor_only_json_reports(report_type):
    found = spec(report_type)
    assert found.audience is Audience.VENDOR
    assert found.document_format == "json"
    assert found.known
    assert found.strict_options
    assert not found.audience.admits(PartnerKind.SELLER)


@pytest.mark.parametrize(
    ("report_type", "rule"),
    [
        (SALES, WindowRule.PERIOD),
        ("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", WindowRule.PERIOD),
        ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", WindowRule.HOURLY),
        ("GET_VENDOR_FORECASTING_REPORT", WindowRule.NONE),
        ("GET_COUPON_PERFORMANCE_REPORT", WindowRule.OPTIONS),
        ("GET_MERCHANT_LISTINGS_ALL_DATA", WindowRule.FREE),
    ],
)
def test_each_type_has_its_window_rule(report_type, rule):
    assert spec(report_type).window is rule
    expected = rule if rule in (WindowRule.PERIOD, WindowRule.HOURLY) else None
    assert spec(report_type).period_rule is expected


def test_the_sourced_spans_lookbacks_and_availability():
    sales_day = spec(SALES).limits(Period.DAY)
    nppm = spec("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT")
    inventory = spec("GET_VENDOR_REAL_TIME_INVENTORY_REPORT").hourly
    traffic = spec("GET_VENDOR_REAL_TIME_TRAFFIC_REPORT").hourly
    assert (sales_day.max_periods, sales_day.lookback_periods) == (15, 1460)
    assert [(nppm.limits(p).max_periods, nppm.limits(p).lookback_periods) for p in Period] == [
        (15, 1460),
        (7, 8),
        (15, 36),
        (4, 8),
        (2, 3),
    ]
    assert {nppm.limits(p).lag for p in Period} == {timedelta(hours=168)}
    assert inventory is not None
    assert traffic is not None
    assert (inventory.lookback, inventory.max_span) == (timedelta(hours=168), timedelta(hours=24))
    assert traffic.end_before_now == timedelta(minutes=60)


def test_restated_vendor_types_go_stale_sooner_than_seller_types():
    assert spec(SALES).reuse_staleness == timedelta(minutes=15)
    assert spec("GET_MERCHANT_LISTINGS_ALL_DATA").reuse_staleness is None


@pytest.mark.parametrize(
    ("report_type", "audience"),
    [
        ("GET_MERCHANT_LISTINGS_ALL_DATA", Audience.SELLER),
        ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", Audience.SELLER),
        ("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", Audience.SELLER),
        ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", Audience.SELLER),
        ("GET_XML_RETURNS_DATA_BY_RETURN_DATE", Audience.SELLER),
        ("GET_SALES_AND_TRAFFIC_REPORT", Audience.SELLER),
        ("GET_BRAND_ANALYTICS_SEARCH_TERMS_REPORT", Audience.BOTH),
        ("GET_PROMOTION_PERFORMANCE_REPORT", Audience.BOTH),
    ],
)
def test_well_known_types_have_their_audience(report_type, audience):
    assert spec(report_type).audience is audience
    assert spec(report_type).known


def test_an_unknown_type_keeps_todays_behaviour_except_for_its_name_hints():
    unknown = spec("GET_SOMETHING_NEW")
    assert (unknown.known, unknown.audience, unknown.options, unknown.max_span) == (
        False,
        Audience.SELLER,
        (),
        None,
    )
    unknown.check_options({"anything": "goes"})
    assert spec("GET_VENDOR_SOMETHING_NEW").audience is Audience.VENDOR
    assert spec("GET_FLAT_FILE_ORDERS_DATA_NEW").max_span == timedelta(days=30)


def test_complete_valid_options_pass():
    spec(SALES).check_options(SALES_OPTIONS)
    spec("GET_SALES_AND_TRAFFIC_REPORT").check_options({})


@pytest.mark.parametrize(
    ("report_type", "options", "message"),
    [
        (
            SALES,
            {"reportPeriod": "WEEK", "sellingProgram": "RETAIL"},
            "GET_VENDOR_SALES_REPORT: reportOption distributorView is required; "
            "allowed: MANUFACTURING, SOURCING",
        ),
        (
            SALES,
            {**SALES_OPTIONS, "reportPeriod": "WEEKLY"},
            "reportOption reportPeriod='WEEKLY' is not allowed; "
            "allowed: DAY, WEEK, MONTH, QUARTER, YEAR",
        ),
        (
            "GET_VENDOR_INVENTORY_REPORT",
            {**SALES_OPTIONS, "sellingProgram": "BUSINESS"},
            "sellingProgram='BUSINESS' is not allowed; allowed: RETAIL, FRESH",
        ),
        (
            SALES,
            {**SALES_OPTIONS, "ParentReferenceId": "x"},
            "ParentReferenceId is not supported; this type takes distributorView, reportPeriod",
        ),
        (
            "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT",
            {"reportPeriod": "DAY"},
            "this type takes no reportOptions",
        ),
        (
            "GET_VENDOR_REAL_TIME_SALES_REPORT",
            {"currencyCode": "dollars"},
            "currencyCode='dollars' is not allowed; allowed: an ISO 4217 currency code",
        ),
        (
            "GET_COUPON_PERFORMANCE_REPORT",
            {"campaignStartDateFrom": "2026-11-01", "campaignStartDateTo": "2026-11-30T00:00:00Z"},
            "campaignStartDateFrom='2026-11-01' is not allowed; allowed: an ISO 8601 date-time",
        ),
        (
            "GET_SALES_AND_TRAFFIC_REPORT",
            {"asinGranularity": "ASIN"},
            "asinGranularity='ASIN' is not allowed; allowed: PARENT, CHILD, SKU",
        ),
    ],
)
def test_a_bad_option_is_one_line_naming_it_and_its_allowed_values(report_type, options, message):
    with pytest.raises(ReportOptionError, match=message.replace("(", r"\(")) as caught:
        spec(report_type).check_options(options)
    assert "\n" not in str(caught.value)


def test_options_the_planner_fills_in_are_not_missing():
    coupons = spec("GET_COUPON_PERFORMANCE_REPORT")
    assert coupons.window_options == ("campaignStartDateFrom", "campaignStartDateTo")
    coupons.check_options({}, filled=frozenset(coupons.window_options))
    assert coupons.option("campaignStartDateTo").kind is OptionKind.DATE_TIME


def test_the_reporting_period_of_a_request():
    assert spec(SALES).period(SALES_OPTIONS) is Period.WEEK
    assert spec("GET_MERCHANT_LISTINGS_ALL_DATA").period({"reportPeriod": "WEEK"}) is None
