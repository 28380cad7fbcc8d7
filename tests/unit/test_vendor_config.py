"""Vendors in the stack config: account ids, one marketplace, report audiences and options,
each refused with one line naming the key before anything is deployed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.config import parse_stack_config
from domain.errors import AudienceError, ConfigError, ReportOptionError
from domain.model import PartnerKind

US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
VENDOR = {
    "name": "acme-vendor",
    "kind": "vendor",
    "accountId": "amzn1.vg.6213651",
    "marketplaces": [US],
}
SELLER = {"name": "acme", "sellerId": "A0FAKESELLER", "marketplaces": [US, CA]}
LISTINGS = {"type": "GET_MERCHANT_LISTINGS_ALL_DATA", "schedule": "rate(1 day)"}
WEEKLY_SALES = {
    "type": "GET_VENDOR_SALES_REPORT",
    "schedule": "cron(0 6 ? * TUE *)",
    "window": "P14D",
    "options": {
        "distributorView": "MANUFACTURING",
        "reportPeriod": "WEEK",
        "sellingProgram": "RETAIL",
    },
}


def _config(sellers, reports):
    return {
        "aws:region": "us-east-1",
        "spapi-lake:region": "NA",
        "spapi-lake:sellers": sellers,
        "spapi-lake:reports": reports,
    }


def _report(**changes):
    report = {**WEEKLY_SALES, **changes}
    return {k: v for k, v in report.items() if v is not None}


def test_a_vendor_is_a_partner_with_its_account_id_and_one_marketplace():
    config = parse_stack_config(_config([SELLER, VENDOR], [LISTINGS, WEEKLY_SALES]))
    seller, vendor = config.sellers
    assert (seller.kind, seller.seller_id) == (PartnerKind.SELLER, "A0FAKESELLER")
    assert (vendor.kind, vendor.seller_id, vendor.marketplace_ids) == (
        PartnerKind.VENDOR,
        "amzn1.vg.6213651",
        (US,),
    )
    assert config.reports[1].window == timedelta(days=14)


def test_a_partner_without_kind_is_a_seller_as_before():
    config = parse_stack_config(_config([SELLER], [LISTINGS]))
    assert config.sellers[0].kind is PartnerKind.SELLER


@pytest.mark.parametrize(
    ("partner", "message"),
    [
        (
            {**VENDOR, "accountId": "A0FAKESELLER"},
            r"sellers\[0\].accountId: 'A0FAKESELLER' is not a vendor group id like "
            r"amzn1.vg.1234567",
        ),
        (
            {**VENDOR, "accountId": "amzn1.vg.12ab"},
            r"sellers\[0\].accountId: .* is not a vendor group id",
        ),
        (
            {**VENDOR, "marketplaces": [US, CA]},
            r"sellers\[0\].marketplaces: a vendor account belongs to exactly one marketplace",
        ),
        (
            {**VENDOR, "marketplaces": ["A1PA6795UKMFR9"]},
            r"sellers\[0\].marketplaces: marketplace A1PA6795UKMFR9 \(DE\) belongs to region EU",
        ),
        (
            {**VENDOR, "sellerId": "X"},
            r"sellers\[0\].sellerId: a vendor has accountId \(amzn1.vg.…\), not sellerId",
        ),
        (
            {**SELLER, "accountId": "amzn1.vg.1"},
            r"sellers\[0\].accountId: only a vendor has one; add kind: vendor",
        ),
        (
            {**VENDOR, "kind": "brand"},
            r"sellers\[0\].kind: 'brand' is not allowed; use seller or vendor",
        ),
        (
            {k: v for k, v in VENDOR.items() if k != "accountId"},
            r"sellers\[0\].accountId: expected a non-empty string",
        ),
    ],
)
def test_a_bad_vendor_entry_is_one_line_naming_its_key(partner, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_stack_config(_config([partner], [WEEKLY_SALES]))
    assert "\n" not in str(caught.value)


def test_a_partner_listed_twice_is_refused():
    with pytest.raises(ConfigError, match=r"sellers\[1\]: amzn1.vg.6213651 is listed twice"):
        parse_stack_config(_config([VENDOR, VENDOR], [WEEKLY_SALES]))


def test_a_vendor_report_without_a_vendor_names_the_type_and_the_fix():
    with pytest.raises(AudienceError) as caught:
        parse_stack_config(_config([SELLER], [LISTINGS, WEEKLY_SALES]))
    assert str(caught.value) == (
        "spapi-lake:reports[1]: GET_VENDOR_SALES_REPORT is vendor-only, but every partner is a "
        "seller (acme): add a partner with kind: vendor, or remove this report"
    )


def test_a_seller_report_in_a_vendor_only_stack_is_refused():
    with pytest.raises(
        AudienceError,
        match=r"reports\[0\]: GET_MERCHANT_LISTINGS_ALL_DATA is seller-only, but every partner is "
        r"a vendor \(acme-vendor\)",
    ):
        parse_stack_config(_config([VENDOR], [LISTINGS]))


def test_a_report_naming_a_partner_of_the_wrong_kind_is_refused():
    listings = {**LISTINGS, "partners": ["amzn1.vg.6213651"]}
    with pytest.raises(
        AudienceError,
        match=r"reports\[0\].partners: amzn1.vg.6213651 is a vendor, but "
        r"GET_MERCHANT_LISTINGS_ALL_DATA is seller-only",
    ):
        parse_stack_config(_config([SELLER, VENDOR], [listings]))


def test_a_report_naming_an_unknown_partner_is_refused():
    sales = {**WEEKLY_SALES, "partners": ["amzn1.vg.1"]}
    with pytest.raises(
        ConfigError, match=r"reports\[0\].partners: amzn1.vg.1 is not a configured partner"
    ):
        parse_stack_config(_config([VENDOR], [sales]))


def test_a_report_can_be_limited_to_some_partners():
    sales = {**WEEKLY_SALES, "partners": ["amzn1.vg.6213651"]}
    config = parse_stack_config(_config([SELLER, VENDOR], [sales]))
    assert config.reports[0].partners == ("amzn1.vg.6213651",)


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (
            _report(options={"reportPeriod": "WEEK", "sellingProgram": "RETAIL"}),
            r"reports\[0\].options: GET_VENDOR_SALES_REPORT: reportOption distributorView is "
            r"required; allowed: MANUFACTURING, SOURCING",
        ),
        (
            _report(options={**WEEKLY_SALES["options"], "reportPeriod": "FORTNIGHT"}),
            r"reports\[0\].options: .*reportPeriod='FORTNIGHT' is not allowed; "
            r"allowed: DAY, WEEK, MONTH, QUARTER, YEAR",
        ),
        (_report(window=None), r"reports\[0\].window: GET_VENDOR_SALES_REPORT needs a data window"),
        (
            _report(window="P7D"),
            r"reports\[0\].window: P7D is too short for GET_VENDOR_SALES_REPORT by WEEK: "
            r".*use at least P9D",
        ),
        (
            _report(maxSpan="P30D"),
            r"reports\[0\].maxSpan: GET_VENDOR_SALES_REPORT is sliced into whole WEEKs "
            r"\(at most 7 per request\)",
        ),
        (
            {
                "type": "GET_VENDOR_FORECASTING_REPORT",
                "window": "P7D",
                "options": {"sellingProgram": "RETAIL"},
            },
            r"reports\[0\].window: GET_VENDOR_FORECASTING_REPORT takes no data window",
        ),
        (
            {"type": "GET_COUPON_PERFORMANCE_REPORT"},
            r"reports\[0\].window: GET_COUPON_PERFORMANCE_REPORT needs a data window, or "
            r"reportOptions campaignStartDateFrom and campaignStartDateTo",
        ),
    ],
)
def test_a_report_that_does_not_fit_its_type_is_one_line_naming_its_key(report, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_stack_config(_config([VENDOR], [report]))
    assert "\n" not in str(caught.value)


def test_option_errors_are_report_option_errors():
    report = _report(options={"reportPeriod": "WEEK"})
    with pytest.raises(ReportOptionError):
        parse_stack_config(_config([VENDOR], [report]))


def test_a_coupon_report_takes_a_window_or_fixed_start_dates():
    fixed = {
        "type": "GET_COUPON_PERFORMANCE_REPORT",
        "options": {
            "campaignStartDateFrom": "2026-11-01T00:00:00Z",
            "campaignStartDateTo": "2026-11-30T00:00:00Z",
        },
    }
    rolling = {"type": "GET_COUPON_PERFORMANCE_REPORT", "window": "P30D"}
    config = parse_stack_config(_config([VENDOR], [fixed, rolling]))
    assert [r.window for r in config.reports] == [None, timedelta(days=30)]


def test_seller_reports_keep_accepting_any_options_for_types_the_catalog_does_not_know():
    report = {"type": "GET_SOME_NEW_SELLER_REPORT", "options": {"custom": "true"}}
    assert parse_stack_config(_config([SELLER], [report])).reports[0].options == (
        ("custom", "true"),
    )
