"""The Glue catalog each stack declares: a database, raw and curated tables whose partition
projection follows the lake layout, curated columns equal to the registry's, and `_latest` views
stored the way Athena stores views."""

from __future__ import annotations

import json
import string
from datetime import UTC, date, datetime
from functools import cache

import pytest
import sqlglot
from sqlglot import exp

from adapters.duckdb_query import curated_columns
from domain import lake, registry
from domain.model import Report, ReportStatus
from domain.registry import LINEAGE, LogicalType
from domain.registry.views import SAMPLE_QUERIES, latest_view_sql, view_name
from infra import presto_views
from infra.catalog_schema import database_name
from infra.synth import Synth, run, stack_config
from tests.infra import resources as q

TABLE = "aws:glue/catalogTable:CatalogTable"
DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
TEXT_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
# The contract's type mapping (brief, shared decision 2), written out here on purpose.
HIVE = {
    LogicalType.STRING: "string",
    LogicalType.INTEGER: "bigint",
    LogicalType.DATE: "date",
    LogicalType.TIMESTAMP: "timestamp",
    LogicalType.BOOLEAN: "boolean",
    LogicalType.DOUBLE: "double",
}
PRESTO = {
    "double": "double",
    "string": "varchar",
    "bigint": "bigint",
    "date": "date",
    "timestamp": "timestamp(3)",
    "boolean": "boolean",
    "map<string,string>": "map(varchar,varchar)",
}
UNKNOWN_TSV = "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA"  # delimited, not in the registry


@cache
def config(stack: str) -> dict[str, str]:
    return stack_config(stack)


@pytest.fixture(scope="module")
def with_unknown_type() -> Synth:
    """Stack dev, also ingesting a delimited report type the registry does not know."""
    committed = config("dev")
    reports = [*json.loads(committed["spapi-lake:reports"]), {"type": UNKNOWN_TSV}]
    return run("dev", {**committed, "spapi-lake:reports": json.dumps(reports)})


def hive(column: registry.Column) -> str:
    if column.type is LogicalType.DECIMAL:
        return f"decimal({column.precision},{column.scale})"
    if column.type is LogicalType.STRUCT_LIST:
        return f"array<struct<{','.join(f'{f.name}:{hive(f)}' for f in column.fields)}>>"
    return HIVE[column.type]


def presto(column: registry.Column) -> str:
    """A struct list as Athena writes a view's row type: the name, a space, the type."""
    fields = ",".join(f"{f.name} {presto(f)}" for f in column.fields)
    return f"array(row({fields}))" if column.fields else PRESTO.get(hive(column), hive(column))


def tables(synth: Synth, kind: str = "EXTERNAL_TABLE") -> dict[str, q.Resource]:
    return {
        t["inputs"]["name"]: t for t in synth.of_type(TABLE) if t["inputs"]["tableType"] == kind
    }


def bucket(synth: Synth) -> str:
    prefix = f"spapi-lake-{synth.stack}-lake-"
    [lake_bucket] = [b for b in synth.of_type(q.BUCKET) if b["inputs"]["bucketPrefix"] == prefix]
    return str(synth.registrations[(q.BUCKET, lake_bucket["name"])].outputs["bucket"])


def configured_types(synth: Synth) -> list[str]:
    return [r["type"] for r in json.loads(config(synth.stack)["spapi-lake:reports"])]


def sellers(synth: Synth) -> list[str]:
    return [
        (s.get("sellerId") or s["accountId"])
        for s in json.loads(config(synth.stack)["spapi-lake:sellers"])
    ]


def columns(table: q.Resource) -> list[tuple[str, str]]:
    return [(c["name"], c["type"]) for c in table["inputs"]["storageDescriptor"]["columns"]]


def a_report(seller_id: str, report_type: str) -> Report:
    return Report(
        seller_id=seller_id,
        report_id="50123019999",
        report_type=report_type,
        status=ReportStatus.DONE,
        created_time=datetime(2024, 3, 2, 4, 5, tzinfo=UTC),
        data_start=datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
    )


def filled(template: str, **values: str) -> str:
    return string.Template(template).substitute(values)


# --- The database ----------------------------------------------------------------------------


def test_each_stack_has_one_database_named_after_it(synth):
    [database] = synth.of_type(DATABASE)
    assert database["inputs"]["name"] == "spapi_lake_" + synth.stack.replace("-", "_")
    for table in synth.of_type(TABLE):
        assert table["inputs"]["databaseName"] == database["inputs"]["name"], table["name"]


def test_database_names_are_what_glue_and_athena_accept():
    assert database_name("prod-eu") == "spapi_lake_prod_eu"
    assert database_name("Dev.2") == "spapi_lake_dev_2"


# --- Raw tables ------------------------------------------------------------------------------


def test_each_configured_delimited_report_type_has_a_raw_table_and_json_types_none(synth):
    expected = {f"raw_{t.lower()}" for t in configured_types(synth) if lake.is_delimited(t)}
    assert {n for n in tables(synth) if n.startswith("raw_")} == expected
    assert expected


def test_raw_tables_read_tab_separated_text_after_the_header_as_strings(synth):
    for report_type in filter(lake.is_delimited, configured_types(synth)):
        table = tables(synth)[f"raw_{report_type.lower()}"]
        descriptor = table["inputs"]["storageDescriptor"]
        assert descriptor["location"] == f"s3://{bucket(synth)}/raw/report_type={report_type}/"
        assert descriptor["serDeInfo"]["serializationLibrary"] == TEXT_SERDE
        assert descriptor["serDeInfo"]["parameters"]["field.delim"] == "\t"
        assert descriptor["inputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
        assert descriptor["outputFormat"] == (
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
        )
        assert table["inputs"]["parameters"]["skip.header.line.count"] == "1"
        [curated] = registry.tables_for(report_type)
        assert columns(table) == [(c.name, "string") for c in curated.columns], report_type


def test_a_type_the_registry_does_not_know_is_one_line_column_split_by_nothing(
    with_unknown_type,
):
    table = tables(with_unknown_type)[f"raw_{UNKNOWN_TSV.lower()}"]
    assert columns(table) == [("line", "string")]
    delimiter = table["inputs"]["storageDescriptor"]["serDeInfo"]["parameters"]["field.delim"]
    assert not delimiter.isprintable()
    line = 'sku-1\tB00EXAMPLE\t12,50 €\t"quoted" name'
    assert line.split(delimiter) == [line], "the SerDe hands the whole line to `line`"


# --- Curated tables --------------------------------------------------------------------------


def test_every_registry_table_is_a_parquet_table_over_its_curated_prefix(synth):
    found = tables(synth)
    for table in registry.tables():
        descriptor = found[table.name]["inputs"]["storageDescriptor"]
        assert descriptor["location"] == f"s3://{bucket(synth)}/curated/{table.name}/"
        assert descriptor["serDeInfo"]["serializationLibrary"] == PARQUET_SERDE
        assert descriptor["inputFormat"].endswith(".parquet.MapredParquetInputFormat")
        assert descriptor["outputFormat"].endswith(".parquet.MapredParquetOutputFormat")


def test_curated_columns_are_the_registrys_then_extras_then_lineage_less_partitions(synth):
    found = tables(synth)
    for table in registry.tables():
        lineage = [
            (c.name, hive(c))
            for c in LINEAGE
            if c.name not in ("seller_id", "dt")
            and (c.name != "marketplace_id" or table.has_marketplace)
        ]
        if table.queries:  # a Data Kiosk page's query in place of the report
            lineage = [("query_id", "string"), ("query_name", "string")]
            lineage.append(("ingested_at", "timestamp"))
        expected = [
            *((c.name, hive(c)) for c in table.columns),
            ("extra_columns", "map<string,string>"),
            *lineage,
        ]
        assert columns(found[table.name]) == expected, table.name


def test_every_table_is_partitioned_by_seller_and_day_as_strings(synth):
    for name, table in tables(synth).items():
        keys = [(k["name"], k["type"]) for k in table["inputs"]["partitionKeys"]]
        assert keys == [("seller_id", "string"), ("dt", "string")], name
        assert table["inputs"]["parameters"]["EXTERNAL"] == "TRUE", name


# --- Partition projection --------------------------------------------------------------------


def test_every_table_projects_the_stacks_sellers_and_every_day_since_2020(synth):
    for name, table in tables(synth).items():
        parameters = table["inputs"]["parameters"]
        assert parameters["projection.enabled"] == "true", name
        assert parameters["projection.seller_id.type"] == "enum", name
        assert parameters["projection.seller_id.values"].split(",") == sellers(synth), name
        assert parameters["projection.dt.type"] == "date", name
        assert parameters["projection.dt.range"] == "2020-01-01,NOW", name
        assert parameters["projection.dt.format"] == "yyyy-MM-dd", name
        assert parameters["projection.dt.interval"] == "1", name
        assert parameters["projection.dt.interval.unit"] == "DAYS", name


def test_the_raw_location_template_is_where_the_lake_puts_a_report(synth):
    """Filled in with a report's seller and day, the template is the folder of its data key."""
    for report_type in filter(lake.is_delimited, configured_types(synth)):
        template = tables(synth)[f"raw_{report_type.lower()}"]["inputs"]["parameters"][
            "storage.location.template"
        ]
        for seller_id in sellers(synth):
            report = a_report(seller_id, report_type)
            folder = filled(template, seller_id=seller_id, dt=lake.partition_date(report))
            key = lake.data_key(report)
            assert f"s3://{bucket(synth)}/{key}".rsplit("/", 1)[0] + "/" == folder


def test_the_curated_location_template_is_where_curation_puts_a_report(synth):
    for table in registry.tables():
        template = tables(synth)[table.name]["inputs"]["parameters"]["storage.location.template"]
        assert template.count("${") == 2, table.name
        if table.queries:
            continue  # a Data Kiosk page's, in the next test
        report = a_report(sellers(synth)[0], table.report_types[0])
        folder = filled(template, seller_id=report.seller_id, dt=lake.partition_date(report))
        key = lake.curated_key(table.name, report)
        assert f"s3://{bucket(synth)}/{key}".rsplit("/", 1)[0] + "/" == folder


def test_the_curated_location_template_is_where_curation_puts_a_data_kiosk_page(synth):
    kiosk = [t for t in registry.tables() if t.queries]
    assert len(kiosk) >= 3
    for table in kiosk:
        template = tables(synth)[table.name]["inputs"]["parameters"]["storage.location.template"]
        seller_id, day = sellers(synth)[0], date(2024, 3, 1)
        folder = filled(template, seller_id=seller_id, dt="2024-03-01")
        key = lake.curated_page_key(table.name, seller_id, day, "QID-1")
        assert f"s3://{bucket(synth)}/{key}".rsplit("/", 1)[0] + "/" == folder
        assert found_description(synth, table).startswith("Data Kiosk "), table.name


def found_description(synth: Synth, table: registry.Table) -> str:
    return str(tables(synth)[table.name]["inputs"]["description"])


def test_glue_columns_of_the_data_kiosk_tables_are_the_types_duckdb_curates_them_to(synth):
    """Struct lists included: Athena reads the Parquet files DuckDB writes as Glue declares."""

    def normal(kind: str, dialect: str) -> str:
        return exp.DataType.build(kind, dialect=dialect).sql("duckdb").replace('"', "")

    for table in (t for t in registry.tables() if t.queries):
        duckdb_types = {
            name: normal(kind, "duckdb")
            for name, kind in curated_columns(table)
            if name not in ("seller_id", "dt")
        }
        glue = {name: normal(kind, "hive") for name, kind in columns(tables(synth)[table.name])}
        assert glue == duckdb_types, table.name
        assert glue["fees" if "fees" in glue else "start_date"].startswith(("STRUCT(", "DATE"))


# --- Views -----------------------------------------------------------------------------------


def test_each_registry_table_has_a_latest_view_stored_as_athena_stores_views(synth):
    views = tables(synth, "VIRTUAL_VIEW")
    assert sorted(views) == sorted(view_name(t) for t in registry.tables())
    for name, view in views.items():
        inputs = view["inputs"]
        assert inputs["parameters"] == {"presto_view": "true", "comment": "Presto View"}, name
        assert inputs["partitionKeys"] == [], name
        assert inputs["viewExpandedText"] == "/* Presto View */", name
        assert inputs["viewOriginalText"].startswith("/* Presto View: "), name
        assert inputs["viewOriginalText"].endswith(" */"), name


def test_each_view_holds_its_athena_sql_with_the_columns_that_sql_yields(synth):
    """The decoded definition names the database and the SQL written once in the registry; its
    columns are the SQL's select list, typed as the table's columns reach Athena."""
    views = tables(synth, "VIRTUAL_VIEW")
    database = database_name(synth.stack)
    for table in registry.tables():
        view = views[view_name(table)]["inputs"]
        definition = presto_views.decode(view["viewOriginalText"])
        sql = latest_view_sql(table)
        assert definition["originalSql"] == sql
        assert (definition["catalog"], definition["schema"]) == ("awsdatacatalog", database)
        base = dict(columns(tables(synth)[table.name])) | {"seller_id": "string", "dt": "string"}
        selected = [s.alias_or_name for s in sqlglot.parse_one(sql, read="athena").selects]
        nested = {c.name: presto(c) for c in table.columns if c.fields}
        expected = [
            {"name": n, "type": nested.get(n) or PRESTO.get(base[n], base[n])} for n in selected
        ]
        assert definition["columns"] == expected, table.name
        hive_columns = [(c["name"], base[c["name"]]) for c in expected]
        assert columns(views[view_name(table)]) == hive_columns, table.name


def test_a_view_text_that_is_not_a_presto_view_is_refused():
    with pytest.raises(ValueError, match="not a Presto view"):
        presto_views.decode("SELECT 1")


def test_view_columns_follow_the_sql_not_the_table_order():
    schema = {"t": {"a": "string", "b": "decimal(18,2)", "dt": "string"}}
    found = presto_views.view_columns('SELECT "b", count(*) AS n, dt FROM t GROUP BY 1, 3', schema)
    assert [(c.name, c.type) for c in found] == [
        ("b", "decimal(18,2)"),
        ("n", "bigint"),
        ("dt", "varchar"),
    ]


# --- Athena SQL ------------------------------------------------------------------------------


def test_every_view_and_named_query_parses_as_athena_sql_over_the_stacks_tables(synth):
    declared = {t["inputs"]["name"] for t in synth.of_type(TABLE)}
    sqls = [latest_view_sql(t) for t in registry.tables()] + [s.sql for s in SAMPLE_QUERIES]
    for sql in sqls:
        parsed = sqlglot.parse_one(sql, read="athena")
        ctes = {cte.alias for cte in parsed.find_all(exp.CTE)}
        read = {t.name for t in parsed.find_all(exp.Table)} - ctes
        assert read, sql
        assert read <= declared, sql
