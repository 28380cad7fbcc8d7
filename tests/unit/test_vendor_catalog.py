"""The functions' catalog with vendors: notifications are ours when a configured report of the
type applies to the partner, and the planner sends each report to its audience."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from domain.catalog import Catalog, Planner
from domain.model import PartnerKind
from tests.fakes import FakeClock, FakeSettings

VENDOR_ID = "amzn1.vg.6213651"
SELLERS = [
    {"name": "acme", "sellerId": "A0FAKESELLER", "marketplaces": ["ATVPDKIKX0DER"]},
    {
        "name": "acme-vendor",
        "kind": "vendor",
        "accountId": VENDOR_ID,
        "marketplaces": ["ATVPDKIKX0DER"],
    },
]
REPORTS = [
    {"type": "GET_MERCHANT_LISTINGS_ALL_DATA"},
    {
        "type": "GET_VENDOR_SALES_REPORT",
        "window": "P14D",
        "options": {
            "distributorView": "MANUFACTURING",
            "reportPeriod": "WEEK",
            "sellingProgram": "RETAIL",
        },
    },
]


def _catalog() -> Catalog:
    settings = FakeSettings({"sellers": json.dumps(SELLERS), "reports": json.dumps(REPORTS)})
    return Catalog(settings, "NA")


def test_the_catalog_knows_vendors_by_account_id():
    [vendor] = _catalog().sellers([VENDOR_ID])
    assert vendor.kind is PartnerKind.VENDOR


def test_a_vendor_notification_is_ours_only_for_a_report_that_applies_to_vendors():
    catalog = _catalog()
    assert catalog.accepts(VENDOR_ID, "GET_VENDOR_SALES_REPORT")
    assert not catalog.accepts(VENDOR_ID, "GET_MERCHANT_LISTINGS_ALL_DATA")
    assert not catalog.accepts("A0FAKESELLER", "GET_VENDOR_SALES_REPORT")
    assert catalog.accepts("A0FAKESELLER", "GET_MERCHANT_LISTINGS_ALL_DATA")
    assert not catalog.accepts("amzn1.vg.1", "GET_VENDOR_SALES_REPORT")


def test_the_planner_sends_each_report_to_its_audience():
    clock = FakeClock(datetime(2026, 12, 2, 6, 0, 30, tzinfo=UTC))
    planned = Planner(_catalog(), clock).plan()
    assert {(r.seller_id, r.report_type) for r in planned} == {
        ("A0FAKESELLER", "GET_MERCHANT_LISTINGS_ALL_DATA"),
        (VENDOR_ID, "GET_VENDOR_SALES_REPORT"),
    }
    sales = [r for r in planned if r.seller_id == VENDOR_ID]
    assert [(r.data_start.date().isoformat(), r.data_end.date().isoformat()) for r in sales] == [
        ("2026-11-15", "2026-11-28")
    ]
