"""Simulated documents of every registry table: the facts' headers, typed values the registry
parses, the odd rows of REPORT-SCHEMAS.md, determinism and chunked generation."""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise

import pytest

from domain import registry
from sandbox.content import ROWS, render
from sandbox.reports import SimReport

US, CA, DE, FR, UK, JP = (
    "ATVPDKIKX0DER",
    "A2EUQ1WTGCTBG2",
    "A1PA6795UKMFR9",
    "A13V1IB3VIYZZH",
    "A1F83G8C2ARO7P",
    "A1VC38T7YXB528",
)
CREATED = 1_790_000_000.0  # 2026-09-21, a fixed clock: documents are known answers
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
CODECS = {"Cp1252": "cp1252", "UTF-8": "utf-8", "Shift_JIS": "shift_jis"}

# From report-columns.json: column count, first, a middle and the last header of each document.
FACTS = {
    LISTINGS: (29, "item-name", "open-date", "status"),
    "GET_FLAT_FILE_OPEN_LISTINGS_DATA": (23, "sku", "Business Price", "Progressive Price 3"),
    ORDERS: (33, "amazon-order-id", "product-name", "signature-confirmation-recommended"),
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": (
        33,
        "amazon-order-id",
        "cpf",
        "signature-confirmation-recommended",
    ),
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": (
        21,
        "sku",
        "per-unit-volume",
        "afn-future-supply-buyable",
    ),
    "GET_AFN_INVENTORY_DATA": (6, "seller-sku", "Warehouse-Condition-code", "Quantity Available"),
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": (13, "return-date", "fnsku", "customer-comments"),
    SETTLEMENT: (24, "settlement-id", "amount", "promotion-id"),
}


def report(report_type: str, *markets: str, report_id: str = "52000000001") -> SimReport:
    week = 7 * 86400
    return SimReport(
        "A1SELLER", report_id, report_type, markets, CREATED - week, CREATED, CREATED, "DONE"
    )


def document(rep: SimReport, rows: int = 60) -> tuple[list[str], list[list[str]], str]:
    chunks, content_type = render(rep, rows)
    text = b"".join(chunks).decode(CODECS[content_type.split("charset=")[1]])
    header, *lines = text.removesuffix("\n").split("\n")
    return header.split("\t"), [line.split("\t") for line in lines], content_type


def records(rep: SimReport, rows: int = 60) -> list[dict[str, str]]:
    header, lines, _ = document(rep, rows)
    return [dict(zip(header, line, strict=True)) for line in lines]


def test_every_registry_flat_file_has_a_generator():
    flat = {t for table in registry.tables() if table.format == "tsv" for t in table.report_types}
    assert flat == set(ROWS)


@pytest.mark.parametrize("report_type", sorted(FACTS))
def test_the_header_is_the_facts_header_list_and_every_line_has_its_columns(report_type):
    header, lines, _ = document(report(report_type, US, CA), rows=57)

    [table] = registry.tables_for(report_type)
    count, first, middle, last = FACTS[report_type]
    assert header == [c.source for c in table.columns if not c.optional]
    assert (len(header), header[0], header[-1]) == (count, first, last)
    assert middle in header
    assert len(lines) == 57  # the manifest's rows: data lines after the header
    assert all(len(line) == count for line in lines)


@pytest.mark.parametrize("report_type", sorted(FACTS))
def test_generators_fill_only_columns_of_the_header(report_type):
    header, _, _ = document(report(report_type, DE))
    filled = {key for row in ROWS[report_type](report(report_type, DE), 60) for key in row}
    assert filled <= set(header)
    assert len(filled) >= len(header) // 2


@pytest.mark.parametrize(
    ("report_type", "markets"),
    [
        # EU listings print open-date in the Java zone MET: MEST in summer, MET in winter.
        pytest.param(t, m)
        for t in sorted(FACTS)
        for m in ((US, CA), (DE, FR, UK), (UK,), (JP,))
    ],
)
def test_every_value_parses_as_its_registry_type(report_type, markets):
    rep = report(report_type, *markets)
    header, lines, _ = document(rep, rows=300)
    [table] = registry.tables_for(report_type)
    mapping = registry.map_headers(table, header)
    comma = registry.decimal_comma(markets[0])

    failures: Counter[str] = Counter()
    for line in lines:
        for column, position in zip(table.columns, mapping.positions, strict=True):
            if position is not None:
                try:
                    registry.parse_strict(column, line[position], comma=comma)
                except registry.ParseFailure as failure:
                    failures[f"{column.source}: {failure}"] += 1

    assert mapping.kind == ("position" if JP in markets and report_type == LISTINGS else "name")
    assert not mapping.extras
    assert not failures, failures.most_common(3)


def test_an_item_name_opens_a_quote_it_never_closes_in_listings_and_orders():
    names = [row["item-name"] for row in records(report(LISTINGS, US))]
    names += [row["product-name"] for row in records(report(ORDERS, US))]

    odd = [name for name in names if name.startswith('"') and not name.endswith('"')]
    assert len(odd) >= 2


def test_an_order_has_two_identical_lines_and_others_have_several_different_ones():
    rows = records(report(ORDERS, US, CA), rows=200)

    lines = Counter(tuple(row.values()) for row in rows)
    per_order = Counter(row["amazon-order-id"] for row in rows)
    assert max(lines.values()) == 2
    assert any(
        count > 1 and len({r["sku"] for r in rows if r["amazon-order-id"] == order}) > 1
        for order, count in per_order.items()
    )


def test_fba_listings_leave_quantity_empty_and_item_is_marketplace_is_y_or_n():
    rows = records(report(LISTINGS, US), rows=200)

    fba = [row for row in rows if row["fulfillment-channel"].startswith("AMAZON_")]
    merchant = [row for row in rows if row["fulfillment-channel"] == "DEFAULT"]
    assert fba
    assert merchant
    assert all(row["quantity"] == row["pending-quantity"] == "" for row in fba)
    assert all(row["quantity"].isdigit() for row in merchant)
    assert {row["item-is-marketplace"] for row in rows} == {"y", "n"}


def test_inventory_quantities_add_up_and_afn_lists_a_sku_per_warehouse_condition():
    for row in records(report("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", US), rows=100):
        parts = ("fulfillable", "unsellable", "reserved")
        warehouse = sum(int(row[f"afn-{part}-quantity"]) for part in parts)
        inbound = ("working", "shipped", "receiving")
        total = warehouse + sum(int(row[f"afn-inbound-{part}-quantity"]) for part in inbound)
        assert int(row["afn-warehouse-quantity"]) == warehouse
        assert int(row["afn-total-quantity"]) == total
    afn = records(report("GET_AFN_INVENTORY_DATA", US), rows=100)
    conditions = Counter(row["seller-sku"] for row in afn)
    assert max(conditions.values()) == 2
    assert len({(r["seller-sku"], r["Warehouse-Condition-code"]) for r in afn}) == len(afn)


def test_customer_returns_are_unique_by_their_natural_key():
    rows = records(report("GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", US, CA), rows=300)
    keys = {(r["order-id"], r["fnsku"], r["license-plate-number"]) for r in rows}
    assert len(keys) == len(rows)


@pytest.mark.parametrize("report_type", [*sorted(FACTS), "GET_SALES_AND_TRAFFIC_REPORT"])
def test_a_document_is_the_same_for_the_same_report_and_differs_for_another(report_type):
    first = b"".join(render(report(report_type, DE), 80)[0])
    again = b"".join(render(report(report_type, DE), 80)[0])
    other = b"".join(render(report(report_type, DE, report_id="52000000002"), 80)[0])

    assert first == again
    assert first != other


def test_a_large_document_is_generated_in_bounded_chunks():
    chunks, _ = render(report(ORDERS, US), 20_000)

    sizes = [len(chunk) for chunk in chunks]

    assert len(sizes) >= 10
    assert max(sizes) < 2 << 20


def _flatten(record: dict, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for key, value in record.items():
        paths |= _flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return paths


@pytest.mark.parametrize(
    ("granularity", "ids"),
    [
        ("PARENT", {"parentAsin"}),
        ("CHILD", {"parentAsin", "childAsin"}),
        ("SKU", {"parentAsin", "childAsin", "sku"}),
    ],
)
def test_sales_and_traffic_records_have_the_registry_columns(granularity, ids):
    rep = report("GET_SALES_AND_TRAFFIC_REPORT", US)
    rep.options = {"asinGranularity": granularity, "dateGranularity": "DAY"}

    body = json.loads(b"".join(render(rep, 25)[0]))

    for table in registry.tables_for(rep.report_type):
        expected = {c.source for c in table.columns} - ({"parentAsin", "childAsin", "sku"} - ids)
        assert table.record_path is not None
        assert all(_flatten(record) == expected for record in body[table.record_path])
    assert len(body["salesAndTrafficByAsin"]) == 25
    dates = [day["date"] for day in body["salesAndTrafficByDate"]]
    assert all(a < b for a, b in pairwise(dates))
