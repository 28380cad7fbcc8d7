"""The report schema registry: its tables, the snake_case contract, header mapping and loading."""

import json

import pytest

from domain import registry
from domain.errors import RegistryDataError, UnknownTableError
from domain.registry import Latest, LogicalType, load_tables, map_headers, snake_case
from domain.registry.docs import markdown

EXPECTED_TABLES = {
    "merchant_listings": ("GET_MERCHANT_LISTINGS_ALL_DATA",),
    "open_listings": ("GET_FLAT_FILE_OPEN_LISTINGS_DATA",),
    "orders": (
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    ),
    "fba_inventory": ("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",),
    "afn_inventory": ("GET_AFN_INVENTORY_DATA",),
    "customer_returns": ("GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",),
    "settlements": ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",),
    "sales_traffic_by_date": ("GET_SALES_AND_TRAFFIC_REPORT",),
    "sales_traffic_by_asin": ("GET_SALES_AND_TRAFFIC_REPORT",),
    # Issue 9: vendor retail analytics (tests/unit/test_registry_vendor.py).
    "vendor_sales_aggregate": ("GET_VENDOR_SALES_REPORT",),
    "vendor_sales_by_asin": ("GET_VENDOR_SALES_REPORT",),
    "vendor_traffic_by_asin": ("GET_VENDOR_TRAFFIC_REPORT",),
    "vendor_inventory_by_asin": ("GET_VENDOR_INVENTORY_REPORT",),
    "vendor_net_ppm_by_asin": ("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",),
}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("item-name", "item_name"),
        ("orderedRevenue.amount", "ordered_revenue_amount"),
        ("Warehouse-Condition-code", "warehouse_condition_code"),
        ("asin1", "asin1"),
        ("Quantity Available", "quantity_available"),
        ("Quantity Lower Bound 1", "quantity_lower_bound_1"),
        ("ASIN", "asin"),
        ("parentAsin", "parent_asin"),
        ("childASIN", "child_asin"),
        ("ASINCount", "asin_count"),
        ("ProductTaxCode", "product_tax_code"),
        ("salesByDate.unitsOrderedB2B", "sales_by_date_units_ordered_b2b"),
        ("aged90PlusDaysSellableInventoryCost", "aged90_plus_days_sellable_inventory_cost"),
        ("  -Business  Price- ", "business_price"),
    ],
)
def test_column_names_are_the_snake_case_contract(text, name):
    assert snake_case(text) == name


def test_the_registry_has_every_table_of_the_issue_with_its_report_types():
    # Issue 10: the Data Kiosk tables have no report types (tests/unit/test_registry_kiosk.py).
    fed_by_reports = [t for t in registry.tables() if not t.queries]
    assert {t.name: t.report_types for t in fed_by_reports} == EXPECTED_TABLES
    assert registry.tables_for("GET_SALES_AND_TRAFFIC_REPORT") == (
        registry.table("sales_traffic_by_date"),
        registry.table("sales_traffic_by_asin"),
    )
    assert registry.tables_for("GET_LEDGER_SUMMARY_VIEW_DATA") == ()


def test_an_unknown_table_is_a_one_line_error_naming_the_known_ones():
    with pytest.raises(UnknownTableError, match=r"unknown table 'listings': use one of merchant_"):
        registry.table("listings")


def test_every_key_names_a_column_of_its_table_or_the_lineage():
    lineage = {c.name for c in registry.LINEAGE}
    for table in registry.tables():
        names = {c.name for c in table.columns} | lineage
        assert set(table.natural_key) <= names, table.name
        assert set(table.latest_key) <= names, table.name
        assert bool(table.latest_key) == (table.latest is not Latest.SNAPSHOT), table.name
        # The one exception: a reportSpecification column names itself (report_period).
        named = [c for c in table.columns if not c.from_specification]
        assert all(c.name == snake_case(c.source) for c in named), table.name


def test_latest_rules_follow_the_brief():
    rules = {t.name: (t.latest, t.latest_key) for t in registry.tables()}
    assert rules["merchant_listings"] == (Latest.SNAPSHOT, ())
    assert rules["orders"] == (Latest.REPLACE_BY_KEY, ("amazon_order_id",))
    assert rules["settlements"] == (Latest.REPLACE_BY_KEY, ("settlement_id",))
    assert rules["customer_returns"][1] == ("order_id", "fnsku", "license_plate_number")
    assert rules["sales_traffic_by_date"] == (Latest.NEWEST_PER_KEY, ("date",))
    assert rules["sales_traffic_by_asin"][1][:2] == ("parent_asin", "child_asin")
    assert {"data_start_time", "data_end_time"} <= set(rules["sales_traffic_by_asin"][1])


def test_columns_keep_document_order_and_their_types():
    listings = registry.table("merchant_listings")
    required = [c.name for c in listings.columns if not c.optional]
    assert len(required) == 29
    assert required[:5] == ["item_name", "item_description", "listing_id", "seller_sku", "price"]
    assert required[-1] == "status"
    types = {c.name: c for c in listings.columns}
    assert types["price"].type is LogicalType.DECIMAL
    assert types["quantity"].type is LogicalType.INTEGER
    assert types["open_date"].type is LogicalType.TIMESTAMP
    assert types["business_price"].optional
    settlements = registry.table("settlements")
    assert len(settlements.columns) == 24
    assert settlements.columns[-1].name == "promotion_id"
    assert not settlements.has_marketplace
    orders = {c.name: c for c in registry.table("orders").columns}
    assert orders["purchase_date"].type is LogicalType.TIMESTAMP
    assert orders["cpf"].type is LogicalType.STRING
    assert orders["number_of_items"].optional
    afn = [c.name for c in registry.table("afn_inventory").columns]
    assert afn[-2:] == ["warehouse_condition_code", "quantity_available"]


def test_json_tables_flatten_record_paths():
    by_date = registry.table("sales_traffic_by_date")
    assert by_date.format == "json"
    assert by_date.record_path == "salesAndTrafficByDate"
    names = {c.name: c for c in by_date.columns}
    amount = names["sales_by_date_ordered_product_sales_amount"]
    assert amount.source == "salesByDate.orderedProductSales.amount"
    assert amount.type is LogicalType.DECIMAL
    assert names["date"].type is LogicalType.DATE
    assert names["traffic_by_date_buy_box_percentage"].scale == 4
    assert registry.table("sales_traffic_by_asin").record_path == "salesAndTrafficByAsin"


def test_headers_map_by_name_in_any_order_and_unknown_ones_are_extras():
    afn = registry.table("afn_inventory")
    headers = ["asin", "seller-sku", "Brand New Column", "Quantity Available", "condition-type"]
    mapping = map_headers(afn, headers)
    assert mapping.kind == "name"
    assert mapping.refused is None
    # seller-sku, fulfillment-channel-sku, asin, condition-type, Warehouse-..., Quantity Available
    assert mapping.positions == (1, None, 0, 4, None, 3)
    assert mapping.extras == (("Brand New Column", 2),)


def test_headers_match_aliases_case_insensitively_and_through_quotes():
    text = json.dumps(
        {
            "tables": [
                {
                    "name": "restock",
                    "report_types": ["GET_RESTOCK_INVENTORY_RECOMMENDATIONS_REPORT"],
                    "format": "tsv",
                    "latest": "snapshot",
                    "columns": [
                        {"source": "Country", "type": "string", "aliases": ["Country/Region Code"]},
                        {"source": "Total Units", "type": "integer"},
                    ],
                }
            ]
        }
    )
    (restock,) = load_tables(text)
    assert map_headers(restock, ['"Country"', "total units"]).positions == (0, 1)
    assert map_headers(restock, ["\ufeffCountry/Region Code", " Total Units "]).positions == (0, 1)


def test_a_header_repeated_in_the_document_maps_once_and_the_repeat_is_kept_as_extra():
    afn = registry.table("afn_inventory")
    mapping = map_headers(afn, ["seller-sku", "asin", "seller-sku"])
    assert mapping.positions[0] == 0
    assert mapping.extras == (("seller-sku", 2),)


def test_localized_headers_of_the_documented_count_map_by_position():
    listings = registry.table("merchant_listings")
    # The localized header texts are not unique (gh:jlevers/selling-partner-api#525).
    japanese = ["商品名", "出品者SKU", "商品編码", "商品編码", *["該当なし"] * 25]
    mapping = map_headers(listings, japanese)
    assert mapping.kind == "position"
    assert mapping.positions[:29] == tuple(range(29))
    assert set(mapping.positions[29:]) == {None}
    assert mapping.extras == ()


def test_unrecognised_headers_of_another_count_are_refused_with_the_counts():
    mapping = map_headers(registry.table("afn_inventory"), ["出品者SKU", "数量"])
    assert mapping.kind is None
    assert mapping.refused == (
        "no header of afn_inventory recognised and the document has 2 columns, "
        "expected 6 to map by position"
    )
    assert "\n" not in mapping.refused


def test_partly_recognised_headers_map_by_name_and_missing_columns_are_none():
    mapping = map_headers(registry.table("afn_inventory"), ["asin", "数量"])
    assert mapping.kind == "name"
    assert mapping.positions == (None, None, 0, None, None, None)
    assert mapping.extras == (("数量", 1),)


def _document(**column):
    table = {
        "name": "ledger",
        "report_types": ["GET_LEDGER_SUMMARY_VIEW_DATA"],
        "format": "tsv",
        "natural_key": ["fnsku"],
        "latest": "newest_per_key",
        "latest_key": ["fnsku", "dt"],
        "columns": [{"source": "FNSKU", "type": "string"}, {"source": "Date", **column}],
    }
    return json.dumps({"tables": [table]})


def test_adding_a_report_type_is_data_not_code():
    (ledger,) = load_tables(_document(type="date", formats=["MM/dd/yyyy"]))
    assert [c.name for c in ledger.columns] == ["fnsku", "date"]
    assert ledger.latest_key == ("fnsku", "dt")
    assert registry.parse_value(ledger.columns[1], "03/14/2024").isoformat() == "2024-03-14"
    assert map_headers(ledger, ["Date", "FNSKU"]).positions == (1, 0)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"type": "money"}, "unknown type 'money'"),
        ({"type": "date"}, "a date column needs formats"),
        ({"type": "date", "formats": ["yyyy/MM/dd"]}, "not allowed for a date column"),
        ({"type": "date", "formats": ["yyyy-MM-dd HH:mm:ss z"]}, "not allowed for a date"),
        ({"type": "string", "precision": 10}, "decimal columns only"),
        ({"type": "decimal", "precision": 4, "scale": 6}, "scale <= precision"),
        ({"type": "string", "name": "when"}, "snake_case(source) = 'date'"),
        ({"type": "string", "colour": "red"}, "unknown field(s) colour"),
    ],
)
def test_invalid_columns_are_refused_with_a_clear_message(column, message):
    with pytest.raises(RegistryDataError, match="table ledger") as raised:
        load_tables(_document(**column))
    assert message in str(raised.value)


def test_invalid_tables_are_refused_with_a_clear_message():
    good = json.loads(_document(type="string"))
    twins = [{"source": "FNSKU", "type": "string"}, {"source": "fnsku", "type": "string"}]
    cases = [
        ({"columns": twins}, "duplicate column name(s) fnsku"),
        ({"latest_key": ["asin"]}, "latest_key names unknown column(s) asin"),
        ({"latest": "snapshot"}, "latest_key is required"),
        ({"latest": "forever"}, "latest must be one of"),
        ({"format": "json"}, "with a record_path"),
        ({"columns": [{"source": "Report ID", "type": "string"}]}, "reserved for lineage"),
    ]  # fmt: skip
    for change, message in cases:
        table = {**good["tables"][0], **change}
        with pytest.raises(RegistryDataError) as raised:
            load_tables(json.dumps({"tables": [table]}))
        assert message in str(raised.value), change
    with pytest.raises(RegistryDataError, match="defined twice"):
        load_tables(json.dumps({"tables": [good["tables"][0]] * 2}))
    with pytest.raises(RegistryDataError, match="not JSON"):
        load_tables("{")


def test_the_shipped_data_names_its_origin():
    from importlib.resources import files

    data = json.loads(files("domain.registry").joinpath("tables.json").read_text("utf-8"))
    assert "shared/analytics/report-columns.json" in data["origin"]


def test_the_readme_section_lists_every_table_and_typed_column():
    text = markdown()
    for table in registry.tables():
        assert f"### `{table.name}`" in text
    assert "| `purchase_date` | TIMESTAMP (UTC) | `purchase-date` |" in text
    assert "| `price` | DECIMAL(18,2) | `price` |" in text
    assert "`orders_latest` keeps every row of a (amazon_order_id) from the newest" in text
    assert "`marketplace_id` is left out of `settlements`" in text
