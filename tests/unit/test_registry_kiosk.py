"""The Data Kiosk tables of the registry: fed by selections, typed from the dataset schemas."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    build_schema,
)

from domain import registry
from domain.datakiosk.definitions import schema_text
from domain.errors import RegistryDataError
from domain.registry import Latest, LogicalType, load_tables, parse_value
from domain.registry.docs import markdown
from domain.registry.views import column_names, latest_view_sql

BY_DATE = "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate"
BY_ASIN = "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByAsin"
ECONOMICS = "analytics_economics_2024_03_15.economics"
KIOSK_TABLES = {
    "kiosk_sales_traffic_by_date": BY_DATE,
    "kiosk_sales_traffic_by_asin": BY_ASIN,
    "kiosk_economics": ECONOMICS,
}
# Lists inside a fee's charge are left in the raw JSONL (the table's notes say so).
NOT_CURATED = {"components", "properties"}


def _unwrapped(kind: GraphQLOutputType) -> tuple[GraphQLOutputType, bool, bool]:
    """The named type, whether the schema requires it, whether it is a list."""
    required = isinstance(kind, GraphQLNonNull)
    kind = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    listed = isinstance(kind, GraphQLList)
    kind = kind.of_type if isinstance(kind, GraphQLList) else kind
    kind = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    return kind, required, listed


def _leaves(kind: GraphQLObjectType, prefix: str = "") -> dict[str, Any]:
    """Every dotted leaf path of a schema type: its scalar's name, or for a list of objects
    the leaves of its elements."""
    found: dict[str, Any] = {}
    for name, field in kind.fields.items():
        inner, _, listed = _unwrapped(field.type)
        if name in NOT_CURATED:
            continue
        if listed and isinstance(inner, GraphQLObjectType):
            found[prefix + name] = _leaves(inner)
        elif isinstance(inner, GraphQLObjectType):
            found |= _leaves(inner, f"{prefix}{name}.")
        else:
            found[prefix + name] = getattr(inner, "name", "enum")
    return found


def _selection_type(selection: str) -> GraphQLObjectType:
    dataset, field = selection.split(".")
    schema: GraphQLSchema = build_schema(schema_text(dataset))
    assert schema.query_type is not None
    root = _unwrapped(schema.query_type.fields[dataset].type)[0]
    assert isinstance(root, GraphQLObjectType)
    record = _unwrapped(root.fields[field].type)[0]
    assert isinstance(record, GraphQLObjectType)
    return record


def _columns(columns: tuple[registry.Column, ...]) -> dict[str, Any]:
    return {c.source: _columns(c.fields) if c.fields else c.type for c in columns}


EXPECTED_TYPE = {
    "Date": LogicalType.DATE,
    "Long": LogicalType.INTEGER,
    "String": LogicalType.STRING,
    "enum": LogicalType.STRING,
}


def _expected(leaves: dict[str, Any]) -> dict[str, Any]:
    """Dates are DATE, counts BIGINT, an Amount's amount DECIMAL, other Floats DOUBLE."""
    expected: dict[str, Any] = {}
    for path, kind in leaves.items():
        if isinstance(kind, dict):
            expected[path] = _expected(kind)
        elif kind == "Float":
            amount = path.endswith(".amount") or path == "amount"
            expected[path] = LogicalType.DECIMAL if amount else LogicalType.DOUBLE
        else:
            expected[path] = EXPECTED_TYPE[kind]
    return expected


def test_three_tables_are_fed_by_data_kiosk_selections_not_by_report_types():
    for name, selection in KIOSK_TABLES.items():
        table = registry.table(name)
        assert (table.queries, table.report_types) == ((selection,), ()), name
        assert (table.format, table.record_path) == ("jsonl", None), name
        assert registry.tables_for_query(selection) == (table,)
    assert registry.tables_for_query(f"{ECONOMICS}Preview") == ()
    assert registry.tables_for(BY_DATE) == ()


@pytest.mark.parametrize(("name", "selection"), KIOSK_TABLES.items())
def test_each_table_has_every_field_of_its_selection_typed_as_the_schema_says(name, selection):
    """Nested objects flatten to dotted paths; a list of objects stays one struct list."""
    expected = _expected(_leaves(_selection_type(selection)))

    assert _columns(registry.table(name).columns) == expected


def test_the_analytics_naming_rule_flattens_nested_fields_to_snake_case():
    by_date = {c.source: c for c in registry.table("kiosk_sales_traffic_by_date").columns}
    amount = by_date["sales.orderedProductSales.amount"]
    assert (amount.name, amount.precision, amount.scale) == (
        "sales_ordered_product_sales_amount",
        18,
        2,
    )
    assert by_date["traffic.buyBoxPercentageB2B"].name == "traffic_buy_box_percentage_b2b"
    assert by_date["traffic.buyBoxPercentageB2B"].optional
    assert not by_date["sales.unitsOrdered"].optional


def test_economics_keeps_fees_and_ads_as_lists_of_typed_structs():
    economics = {c.name: c for c in registry.table("kiosk_economics").columns}
    fees = economics["fees"]
    assert fees.type is LogicalType.STRUCT_LIST
    fields = {f.name: f for f in fees.fields}
    assert fees.fields[0].name == "fee_type_name"
    assert fields["charge_aggregated_detail_amount_amount"].type is LogicalType.DECIMAL
    assert fields["charge_aggregated_detail_quantity"].type is LogicalType.DOUBLE
    charges = fields["charges"]
    assert charges.type is LogicalType.STRUCT_LIST
    assert {f.name for f in charges.fields} >= {"identifier", "aggregated_detail_amount_amount"}
    assert economics["ads"].type is LogicalType.STRUCT_LIST


def test_lineage_names_the_page_and_its_query_and_the_data_names_the_marketplace():
    for name in KIOSK_TABLES:
        table = registry.table(name)
        lineage = [c.name for c in table.lineage]
        assert lineage == ["seller_id", "query_id", "query_name", "ingested_at", "dt"]
        marketplace = next(c for c in table.columns if c.name == "marketplace_id")
        assert marketplace.source == "marketplaceId"
        assert column_names(table)[-6:] == ("extra_columns", *lineage)
    reports = registry.table("sales_traffic_by_date")
    assert "report_id" in [c.name for c in reports.lineage]


def test_the_newest_row_per_key_wins_by_arrival_then_query_id():
    keys = {
        "kiosk_sales_traffic_by_date": ("start_date", "end_date"),
        "kiosk_sales_traffic_by_asin": (
            "start_date",
            "end_date",
            "parent_asin",
            "child_asin",
            "sku",
        ),
        "kiosk_economics": (
            "start_date",
            "end_date",
            "parent_asin",
            "child_asin",
            "fnsku",
            "msku",
        ),
    }
    for name, key in keys.items():
        table = registry.table(name)
        assert (table.latest, table.latest_key, table.natural_key) == (
            Latest.NEWEST_PER_KEY,
            key,
            key,
        )
        assert table.notes
        sql = latest_view_sql(table)
        partition = ", ".join(f'"{k}"' for k in ("seller_id", "marketplace_id", *key))
        assert f'PARTITION BY {partition} ORDER BY "ingested_at" DESC, "query_id" DESC)' in sql


# Loading: a table fed by Data Kiosk is checked like the others.


def _kiosk(*columns: dict[str, Any], **table: Any) -> str:
    body = {
        "name": "kiosk_things",
        "report_types": [],
        "queries": [BY_DATE],
        "format": "jsonl",
        "natural_key": ["start_date"],
        "latest": "newest_per_key",
        "latest_key": ["start_date"],
        "columns": [
            {"source": "startDate", "type": "date", "formats": ["yyyy-MM-dd"]},
            {"source": "marketplaceId", "type": "string"},
            *columns,
        ],
        **table,
    }
    return json.dumps({"tables": [body]})


FEES = {"source": "fees", "type": "struct_list", "fields": [{"source": "a.b", "type": "double"}]}


def test_a_data_kiosk_table_is_data_not_code():
    (things,) = load_tables(_kiosk(FEES))

    assert things.queries == (BY_DATE,)
    assert [c.name for c in things.columns] == ["start_date", "marketplace_id", "fees"]
    assert things.columns[2].fields[0].name == "a_b"
    assert things.latest_key == ("start_date",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"report_types": ["GET_X"]}, "exactly one of the two"),
        ({"queries": []}, "exactly one of the two"),
        ({"queries": [], "report_types": ["GET_X"]}, 'feed a "jsonl" table'),
        ({"queries": ["salesAndTrafficByDate"]}, "<dataset>.<field>"),
        ({"format": "json", "record_path": "x"}, 'feed a "jsonl" table'),
        ({"record_path": "x"}, "with a record_path"),
        ({"latest_key": ["report_id"]}, "latest_key names unknown column(s) report_id"),
    ],
)
def test_invalid_data_kiosk_tables_are_refused_with_a_clear_message(change, message):
    with pytest.raises(RegistryDataError, match="table kiosk_things") as raised:
        load_tables(_kiosk(**change))
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"source": "queryId", "type": "string"}, "query_id are reserved for lineage"),
        ({"source": "fees", "type": "struct_list"}, "lists its element's fields"),
        ({**FEES, "type": "string"}, "lists its element's fields"),
        ({**FEES, "fields": [FEES["fields"][0]] * 2}, "in 'fees': duplicate column name(s) a_b"),
        ({**FEES, "fields": [{"source": "d", "type": "date"}]}, "in 'fees': column 'd'"),
    ],
)
def test_invalid_data_kiosk_columns_are_refused_with_a_clear_message(column, message):
    with pytest.raises(RegistryDataError) as raised:
        load_tables(_kiosk(column))
    assert message in str(raised.value)


def test_a_struct_list_needs_a_json_record_and_a_marketplace_needs_its_column():
    tsv = json.loads(_kiosk(FEES))["tables"][0] | {"report_types": ["GET_X"], "queries": []}
    tsv |= {"format": "tsv", "columns": [tsv["columns"][0], FEES]}
    with pytest.raises(RegistryDataError, match="only a JSON record holds a list"):
        load_tables(json.dumps({"tables": [tsv]}))
    nameless = json.loads(_kiosk())["tables"][0]
    nameless["columns"] = nameless["columns"][:1]
    with pytest.raises(RegistryDataError, match="through its marketplaceId column"):
        load_tables(json.dumps({"tables": [nameless]}))


# Reference semantics of the two new types, which the DuckDB SQL is tested against.


def test_doubles_read_json_numbers_and_the_number_rules_and_refuse_the_rest():
    rate = next(
        c
        for c in registry.table("kiosk_sales_traffic_by_date").columns
        if c.source == "sales.refundRate"
    )
    assert parse_value(rate, "0.125") == 0.125
    assert parse_value(rate, "-1.5e-7") == -1.5e-7
    assert parse_value(rate, "1,234.5") == 1234.5
    assert parse_value(rate, "12%") is None
    assert parse_value(rate, " ") is None


def test_a_struct_list_reads_a_json_list_field_by_field():
    fees = next(c for c in registry.table("kiosk_economics").columns if c.name == "fees")
    text = json.dumps(
        [
            {"feeTypeName": "FBA", "charge": {"aggregatedDetail": {"amount": {"amount": 2.5}}}},
            {
                "feeTypeName": "Referral",
                "charge": {"aggregatedDetail": {"amount": {"amount": "x"}}},
            },
        ]
    )

    elements = parse_value(fees, text)

    assert isinstance(elements, list)
    assert [e["fee_type_name"] for e in elements] == ["FBA", "Referral"]
    amounts = [e["charge_aggregated_detail_amount_amount"] for e in elements]
    assert amounts == [Decimal("2.50"), None]
    assert parse_value(fees, '"not a list"') is None
    assert parse_value(fees, "[]") == []


# The README's reference is generated from these tables.


def test_the_readme_section_describes_the_data_kiosk_tables_and_their_lineage():
    text = markdown()

    assert f"From Data Kiosk `{ECONOMICS}` (JSONL, one record per line)." in text
    assert (
        "`kiosk_economics_latest` keeps the newest row per seller, marketplace and (start_date, "
        in text
    )
    assert "| `traffic_buy_box_percentage` | DOUBLE | `traffic.buyBoxPercentage` |" in text
    assert "| `fees` | STRUCT(…)[] | `fees` |" in text
    assert "| `fees[].fee_type_name` | VARCHAR | `fees[].feeTypeName` |" in text
    lineage = text.split("A table fed by Data Kiosk ends with")[1]
    assert "| `query_id` | VARCHAR |" in lineage
    assert "report_id" not in lineage
