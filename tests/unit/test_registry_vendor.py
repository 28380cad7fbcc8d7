"""The vendor tables of the registry: Amazon's vendor schemas flattened and typed, report options
as columns, the newest lastUpdatedDate first, and the rules that load them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain import registry
from domain.errors import RegistryDataError
from domain.registry import Latest, LogicalType, load_tables, snake_case
from domain.registry.docs import markdown
from domain.registry.views import latest_view_sql
from sandbox import report_schemas

SALES = "GET_VENDOR_SALES_REPORT"
# table -> (report type, record path, report options it carries)
VENDOR_TABLES = {
    "vendor_sales_aggregate": (SALES, "salesAggregate", 3),
    "vendor_sales_by_asin": (SALES, "salesByAsin", 3),
    "vendor_traffic_by_asin": ("GET_VENDOR_TRAFFIC_REPORT", "trafficByAsin", 1),
    "vendor_inventory_by_asin": ("GET_VENDOR_INVENTORY_REPORT", "inventoryByAsin", 3),
    "vendor_net_ppm_by_asin": (
        "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
        "netPureProductMarginByAsin",
        1,
    ),
}
OPTION_COLUMNS = {
    "distributorView": "distributor_view",
    "sellingProgram": "selling_program",
    "reportPeriod": "report_period",
}


def _leaves(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The record's dotted leaf paths with their schema (Amount objects become two leaves)."""
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
    if node.get("type") != "object":
        return {prefix[:-1]: node}
    found: dict[str, Any] = {}
    for key, child in node["properties"].items():
        found |= _leaves(schema, child, f"{prefix}{key}.")
    return found


def _record_schema(report_type: str, record_path: str) -> tuple[dict[str, Any], set[str]]:
    schema = report_schemas.schema(report_type)
    items = schema["properties"][record_path]["items"]
    definition = schema["definitions"][items["$ref"].rsplit("/", 1)[1]]
    return _leaves(schema, items), set(definition["required"])


@pytest.mark.parametrize("name", VENDOR_TABLES)
def test_each_vendor_table_has_every_field_of_amazons_schema_in_schema_order(name):
    report_type, record_path, _ = VENDOR_TABLES[name]
    table = registry.table(name)
    leaves, required = _record_schema(report_type, record_path)
    record = [c for c in table.columns if not c.from_specification]

    assert (table.report_types, table.format, table.record_path) == (
        (report_type,),
        "json",
        record_path,
    )
    assert [c.source for c in record] == list(leaves)
    assert all(c.name == snake_case(c.source) for c in record)
    # A field Amazon's schema does not require (customerReturns, orderedRevenue, …) is optional.
    assert {c.source for c in record if not c.optional} == {
        path for path in leaves if path.split(".")[0] in required
    }


@pytest.mark.parametrize("name", VENDOR_TABLES)
def test_vendor_columns_are_typed_as_the_schema_says(name):
    report_type, record_path, _ = VENDOR_TABLES[name]
    leaves, _ = _record_schema(report_type, record_path)
    for column in registry.table(name).columns:
        if column.from_specification:
            continue
        kind = leaves[column.source].get("type")
        if column.source in ("startDate", "endDate"):
            assert (column.type, column.formats) == (LogicalType.DATE, ("yyyy-MM-dd",))
        elif kind == "integer":
            assert column.type is LogicalType.INTEGER, column.name
        elif column.source.endswith(".amount"):
            assert (column.type, column.scale) == (LogicalType.DECIMAL, 2), column.name
        elif kind == "number":
            assert column.type is LogicalType.DECIMAL, column.name
            assert column.scale >= 4, column.name  # rates are fractions such as 0.1234
        else:
            assert column.type is LogicalType.STRING, column.name


@pytest.mark.parametrize("name", VENDOR_TABLES)
def test_each_vendor_table_carries_its_report_options_and_last_updated_date(name):
    report_type, _, count = VENDOR_TABLES[name]
    _, known = report_schemas.options(report_type)
    spec = {c.name: c for c in registry.table(name).columns if c.from_specification}

    options = [OPTION_COLUMNS[option] for option in known]
    assert len(options) == count
    assert sorted(spec) == sorted([*options, "last_updated_date"])
    for option, column in zip(known, options, strict=True):
        assert spec[column].source == f"reportSpecification.reportOptions.{option}"
        assert spec[column].type is LogicalType.STRING
    updated = spec["last_updated_date"]
    assert (updated.source, updated.type) == (
        "reportSpecification.lastUpdatedDate",
        LogicalType.DATE,
    )


@pytest.mark.parametrize("name", VENDOR_TABLES)
def test_the_newest_last_updated_date_wins_per_period_asin_and_options(name):
    table = registry.table(name)
    options = tuple(c.name for c in table.columns if c.from_specification)[:-1]
    asin = ("asin",) if name.endswith("_by_asin") else ()

    assert table.latest is Latest.NEWEST_PER_KEY
    assert table.latest_key == ("start_date", "end_date", *asin, *options)
    assert table.natural_key == table.latest_key
    assert table.newest_by == ("last_updated_date",)
    assert table.has_marketplace
    assert '"last_updated_date" DESC NULLS LAST, "data_end_time" DESC' in latest_view_sql(table)


def test_the_sales_report_feeds_its_aggregate_and_by_asin_tables():
    assert registry.tables_for(SALES) == (
        registry.table("vendor_sales_aggregate"),
        registry.table("vendor_sales_by_asin"),
    )
    assert registry.tables_for("GET_VENDOR_FORECASTING_REPORT") == ()


def test_only_the_vendor_tables_rank_rows_by_a_restatement_date():
    ordered = {t.name for t in registry.tables() if t.newest_by}
    assert ordered == set(VENDOR_TABLES)


def test_the_readme_section_explains_the_vendor_columns_and_their_latest_rule():
    text = markdown()
    for name in VENDOR_TABLES:
        assert f"### `{name}`" in text
    assert "the newest `last_updated_date` first whenever it arrived" in text
    assert (
        "| `distributor_view` | VARCHAR | `reportSpecification.reportOptions.distributorView` "
        "(the report's, on every row) |"
    ) in text
    assert "| `shipped_revenue_amount` | DECIMAL(18,2) | `shippedRevenue.amount` |" in text
    assert "`report_period`" in text.split("### Lineage columns")[1]
    assert "amzn1.vg." in text


# Loading: the name override and newest_by are checked like the rest of the data.


def _vendor(*extra: dict[str, Any], fmt: str = "json", **table: Any) -> str:
    body = {
        "name": "vendor_things",
        "report_types": ["GET_VENDOR_THINGS"],
        "format": fmt,
        "record_path": "thingsByAsin" if fmt == "json" else None,
        "natural_key": ["asin"],
        "latest": "newest_per_key",
        "latest_key": ["asin", "report_period"],
        "newest_by": ["last_updated_date"],
        "columns": [
            {"source": "asin", "type": "string"},
            {
                "name": "last_updated_date",
                "source": "reportSpecification.lastUpdatedDate",
                "type": "date",
                "formats": ["yyyy-MM-dd"],
            },
            *extra,
        ],
        **table,
    }
    return json.dumps({"tables": [body]})


PERIOD = {"name": "report_period", "source": "reportSpecification.reportOptions.reportPeriod"}


def test_a_report_specification_column_may_name_itself_in_snake_case():
    (things,) = load_tables(_vendor({**PERIOD, "type": "string"}))
    assert [c.name for c in things.columns] == ["asin", "last_updated_date", "report_period"]
    assert [c.from_specification for c in things.columns] == [False, True, True]
    assert things.newest_by == ("last_updated_date",)
    # Without a name it keeps the snake_case of its whole path.
    (long,) = load_tables(
        _vendor(
            {"source": "reportSpecification.reportOptions.reportPeriod", "type": "string"},
            latest_key=["asin"],
        )
    )
    assert long.columns[-1].name == "report_specification_report_options_report_period"


@pytest.mark.parametrize(
    ("extra", "table", "message"),
    [
        (
            {**PERIOD, "name": "Report Period", "type": "string"},
            {},
            "'Report Period' must be snake",
        ),
        ({**PERIOD, "name": "", "type": "string"}, {}, "must be snake_case"),
        (
            {"source": "glanceViews", "name": "views", "type": "integer"},
            {"latest_key": ["asin"]},
            "its name must be snake_case(source) = 'glance_views'",
        ),
        (
            {**PERIOD, "type": "string"},
            {"newest_by": ["report_period"]},
            "newest_by needs date, timestamp or number columns, not report_period",
        ),
        (
            {**PERIOD, "type": "string"},
            {"newest_by": ["restated_on"]},
            "newest_by names unknown column(s) restated_on",
        ),
        (
            {**PERIOD, "type": "string"},
            {"fmt": "tsv"},
            "reportSpecification.lastUpdatedDate, reportSpecification.reportOptions.reportPeriod: "
            "only a JSON document has a reportSpecification",
        ),
    ],
)
def test_invalid_vendor_data_is_refused_with_a_clear_message(extra, table, message):
    with pytest.raises(RegistryDataError, match="table vendor_things") as raised:
        load_tables(_vendor(extra, **table))
    assert message in str(raised.value)


def test_an_override_cannot_take_a_lineage_name():
    clash = {**PERIOD, "name": "report_type", "type": "string"}
    with pytest.raises(RegistryDataError, match="reserved for lineage"):
        load_tables(_vendor(clash, latest_key=["asin"]))
