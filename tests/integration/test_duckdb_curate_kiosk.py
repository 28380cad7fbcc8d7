"""Data Kiosk pages curated by CurateService on the real DuckDB engine, then queried locally."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlglot import exp

from adapters.duckdb_curate import DuckDbCurateEngine
from adapters.duckdb_query import DuckDbLakeQuery, curated_columns
from adapters.file_lake import FileLake
from adapters.graphql_queries import GraphQlQueryValidator
from domain import registry
from domain.curating import BackfillSummary, CurateError, CurateService
from domain.datakiosk import lake as kiosk_lake
from domain.datakiosk.definitions import fill
from domain.datakiosk.model import KioskQuery, QueryOutcome, QueryStatus
from domain.ports import Lake
from infra.catalog_schema import curated_columns as glue_columns
from sandbox.kiosk_rows import jsonl
from sandbox.kiosk_schema import check
from tests.fakes import FakeClock, FakeLake

SELLER, US, DE = "A3TH9S8BH6GOGM", "ATVPDKIKX0DER", "A1PA6795UKMFR9"
BY_DATE = "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate"
ECONOMICS = "analytics_economics_2024_03_15.economics"
DAY = date(2026, 11, 20)
QUERIES = Path(__file__).resolve().parents[2] / "queries"


def day(text: str, **sales: Any) -> dict[str, Any]:
    return {
        "startDate": text,
        "endDate": text,
        "marketplaceId": US,
        "sales": {"orderedProductSales": {"amount": 1234.5, "currencyCode": "USD"}, **sales},
        "traffic": {"sessions": 900, "buyBoxPercentage": 97.125},
    }


DAYS = [
    day("2026-11-20", unitsOrdered=42),
    # A null, and a field the registry does not know (Amazon added it, or the query did).
    {**day("2026-11-21", unitsOrdered=None), "newMetric": {"value": 7}},
    # An amount that does not parse, in another marketplace.
    {
        **day("2026-11-22"),
        "marketplaceId": DE,
        "sales": {
            "orderedProductSales": {"amount": "12,34 EUR", "currencyCode": "EUR"},
            "unitsOrdered": 5,
        },
    },
]
FEE = {
    "feeTypeName": "FBAFulfillmentFee",
    "charge": {"aggregatedDetail": {"amount": {"amount": 3.22, "currencyCode": "USD"}}},
}
PRODUCTS = [
    {
        "startDate": "2026-11-20",
        "endDate": "2026-11-20",
        "marketplaceId": US,
        "parentAsin": "B0PARENT01",
        "msku": "MUG-1",
        "sales": {"unitsOrdered": 3, "netProductSales": {"amount": 30.0, "currencyCode": "USD"}},
        "fees": [
            FEE,
            {
                "feeTypeName": "ReferralFee",
                "charge": {"aggregatedDetail": {"amount": {"amount": "n/a"}, "quantity": 1.5}},
                "charges": [{"identifier": "C1", "aggregatedDetail": {"quantity": 2}}],
            },
        ],
    },
    {**dict.fromkeys(("startDate", "endDate"), "2026-11-21"), "marketplaceId": US, "fees": []},
    {**dict.fromkeys(("startDate", "endDate"), "2026-11-22"), "marketplaceId": US, "fees": "x"},
]


class World:
    """A lake (fake or on disk), the real engine, a clock; pages stored as the storer does."""

    def __init__(self, lake: Lake | None = None) -> None:
        self.lake: Lake = lake or FakeLake()
        self.clock = FakeClock()

    def service(self) -> CurateService:
        return CurateService(self.lake, DuckDbCurateEngine(memory_limit="256MB"), self.clock)

    def page(
        self,
        query_id: str,
        records: list[dict[str, Any]],
        *,
        selection: str = BY_DATE,
        name: str = "daily_sales",
        dt: date = DAY,
    ) -> dict[str, Any]:
        where = kiosk_lake.PageKey(name, SELLER, dt)
        created = self.clock.now()
        query = KioskQuery(
            query_id=query_id,
            query="query { … }",
            created_time=created,
            status=QueryStatus.DONE,
            partner_id=SELLER,
        )
        text = "".join(json.dumps(r) + "\n" for r in records)
        self.lake.put(kiosk_lake.data_key(where, query_id), [text.encode()], "application/jsonl")
        body = kiosk_lake.manifest(
            where,
            query,
            QueryOutcome.DATA,
            selection=selection,
            link=kiosk_lake.PageLink(),
            download=None,
            ingested_at=created,
        )
        self.lake.put_manifest(kiosk_lake.manifest_key(where, query_id), body)
        return body

    def parquet(self, key: str, tmp_path: Path) -> duckdb.DuckDBPyRelation:
        local = tmp_path / Path(key).name
        self.lake.fetch_to(key, local)
        return duckdb.read_parquet(str(local))


def types(relation: duckdb.DuckDBPyRelation) -> dict[str, str]:
    return {name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}


def test_a_sales_and_traffic_page_becomes_typed_rows_and_its_manifest_records_them(tmp_path):
    world = World()
    page = world.page("QID-1", DAYS)

    section = world.service().curate(page)

    key = "curated/kiosk_sales_traffic_by_date/seller_id=A3TH9S8BH6GOGM/dt=2026-11-20/QID-1.parquet"
    assert section == {
        "curatedAt": "2026-11-27T12:00:00Z",
        "tables": [
            {
                "table": "kiosk_sales_traffic_by_date",
                "key": key,
                "rows": 3,
                "parseFailures": {"sales_ordered_product_sales_amount": 1},  # "12,34 EUR"
                "headerMapping": "json",
            }
        ],
    }
    own = kiosk_lake.manifest_key(kiosk_lake.page_key_of(page), "QID-1")
    assert world.lake.get_manifest(own) == {**page, "curated": section}
    assert world.lake.exists(page["key"])  # the raw page stays
    rows = world.parquet(key, tmp_path)
    kinds = types(rows)
    assert kinds["start_date"] == "DATE"
    assert kinds["sales_ordered_product_sales_amount"] == "DECIMAL(18,2)"
    assert kinds["sales_units_ordered"] == "BIGINT"
    assert kinds["traffic_buy_box_percentage"] == "DOUBLE"
    assert kinds["ingested_at"] == "TIMESTAMP"
    picked = rows.order("start_date").select(
        "start_date, marketplace_id, sales_ordered_product_sales_amount, sales_units_ordered, "
        "traffic_buy_box_percentage, extra_columns, seller_id, query_id, query_name, "
        "ingested_at, dt"
    )
    lineage = (SELLER, "QID-1", "daily_sales", datetime(2026, 11, 27, 12), DAY)
    assert picked.fetchall() == [
        (date(2026, 11, 20), US, Decimal("1234.50"), 42, 97.125, {}, *lineage),
        (
            date(2026, 11, 21),
            US,
            Decimal("1234.50"),
            None,  # null: NULL, and no parse failure
            97.125,
            {"newMetric.value": "7"},
            *lineage,
        ),
        (date(2026, 11, 22), DE, None, 5, 97.125, {}, *lineage),
    ]
    assert "report_id" not in kinds
    assert "data_end_time" not in kinds


def test_economics_fees_stay_a_typed_list_of_structs_and_their_failures_are_counted(tmp_path):
    world = World()
    page = world.page("QID-2", PRODUCTS, selection=ECONOMICS, name="economics")

    section = world.service().curate(page)

    assert section is not None
    [entry] = section["tables"]
    assert (entry["table"], entry["rows"]) == ("kiosk_economics", 3)
    # The referral fee's "n/a", and a fees value that is no list.
    assert entry["parseFailures"] == {"fees": 2}
    assert entry["key"].startswith("curated/kiosk_economics/seller_id=A3TH9S8BH6GOGM/dt=")
    rows = world.parquet(entry["key"], tmp_path)
    fees_type = types(rows)["fees"]
    assert fees_type.startswith("STRUCT(fee_type_name VARCHAR, charge_identifier VARCHAR, ")
    assert "charge_aggregated_detail_amount_amount DECIMAL(18,2)" in fees_type
    assert "charge_aggregated_detail_quantity DOUBLE" in fees_type
    assert fees_type.endswith(")[])[]")  # charges: a list within each fee
    fees = [row[0] for row in rows.order("start_date").select("fees").fetchall()]
    assert [f["fee_type_name"] for f in fees[0]] == ["FBAFulfillmentFee", "ReferralFee"]
    assert fees[0][0]["charge_aggregated_detail_amount_amount"] == Decimal("3.22")
    assert fees[0][1]["charge_aggregated_detail_amount_amount"] is None
    assert fees[0][1]["charge_aggregated_detail_quantity"] == 1.5
    assert fees[0][1]["charges"][0]["identifier"] == "C1"
    assert fees[0][1]["charges"][0]["aggregated_detail_quantity"] == 2.0
    assert fees[1:] == [[], None]
    assert types(rows)["sales_units_ordered"] == "BIGINT"


def test_curated_files_have_the_types_duckdb_and_glue_declare_for_the_table(tmp_path):
    """The Parquet schema is the registry's, in DuckDB's and in Glue's words alike."""
    world = World()
    pages = [("QID-1", DAYS, BY_DATE), ("QID-2", PRODUCTS, ECONOMICS)]

    def normal(kind: str, dialect: str) -> str:
        return exp.DataType.build(kind, dialect=dialect).sql("duckdb").replace('"', "")

    for query_id, records, selection in pages:
        section = world.service().curate(world.page(query_id, records, selection=selection))
        assert section is not None
        [table] = registry.tables_for_query(selection)
        written = types(world.parquet(section["tables"][0]["key"], tmp_path))
        written = {name: normal(kind, "duckdb") for name, kind in written.items()}
        declared = {name: normal(kind, "duckdb") for name, kind in curated_columns(table)}
        assert written == declared, table.name
        glue = {c.name: normal(c.type, "hive") for c in glue_columns(table)}
        partitions = ("seller_id", "dt")  # Glue projects them from the key
        assert glue == {n: t for n, t in written.items() if n not in partitions}, table.name
        assert written["start_date"] == "DATE"


def test_backfill_curates_the_stored_pages_of_selections_with_tables_from_a_date_on():
    world = World()
    world.page("OLD", DAYS, dt=DAY - timedelta(days=10))
    world.page("NEW", DAYS)
    world.page("ECO", PRODUCTS, selection=ECONOMICS, name="economics")

    summary = world.service().backfill(since=DAY)

    assert summary == BackfillSummary(curated=2, refused=0, skipped=0)
    assert isinstance(world.lake, FakeLake)
    curated = {body["queryId"] for body in world.lake.manifests.values() if "curated" in body}
    assert curated == {"NEW", "ECO"}  # OLD's day is before the date asked for


def test_the_query_side_reads_kiosk_tables_typed_and_their_latest_rows(tmp_path):
    world = World(FileLake(tmp_path))
    world.page("QID-1", DAYS)
    world.clock.sleep(3600)  # a later run of the same days, with restated sales
    world.page("QID-2", [day("2026-11-20", unitsOrdered=50)], dt=DAY)
    summary = world.service().backfill()
    assert summary == BackfillSummary(curated=2, refused=0, skipped=0)

    with DuckDbLakeQuery(tmp_path) as lake:
        relations = {r.name: (r.kind, r.files) for r in lake.relations()}
        every = lake.query(
            "SELECT start_date, sales_units_ordered, query_id FROM kiosk_sales_traffic_by_date "
            "ORDER BY ALL"
        )
        latest = lake.query(
            "SELECT start_date, marketplace_id, sales_units_ordered, query_id "
            "FROM kiosk_sales_traffic_by_date_latest ORDER BY ALL"
        )
        rows = [row for batch in every.batches for row in batch]
        current = [row for batch in latest.batches for row in batch]

    assert relations["kiosk_sales_traffic_by_date"] == ("curated", 2)
    assert relations["kiosk_sales_traffic_by_date_latest"] == ("latest", 2)
    assert relations["kiosk_economics_latest"] == ("latest", 0)
    assert every.types == ("DATE", "BIGINT", "VARCHAR")
    assert len(rows) == 4
    assert current == [
        (date(2026, 11, 20), US, 50, "QID-2"),  # the newer page wins its day
        (date(2026, 11, 21), US, None, "QID-1"),
        (date(2026, 11, 22), DE, 5, "QID-1"),
    ]


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.graphql")), ids=lambda p: p.stem)
def test_each_sample_query_reads_a_curated_selection_and_its_rows_curate_cleanly(path, tmp_path):
    """The simulator's JSONL for the query (shaped by its selection set) has no field the
    registry does not know, and none that fails to parse."""
    text = path.read_text(encoding="utf-8")
    selection = GraphQlQueryValidator().validate(path.stem, text)
    [table] = registry.tables_for_query(selection)
    filled = fill(text, DAY, DAY + timedelta(days=6), (US,))
    records = [json.loads(line) for line in jsonl(check(filled), "seed", 20).splitlines()]
    world = World()

    section = world.service().curate(world.page("QID-S", records, selection=selection))

    assert section is not None
    [entry] = section["tables"]
    assert (entry["table"], entry["rows"], entry["parseFailures"]) == (table.name, 20, {})
    rows = world.parquet(entry["key"], tmp_path)
    assert rows.filter("cardinality(extra_columns) > 0").count("*").fetchall() == [(0,)]
    missing = rows.filter("start_date IS NULL OR marketplace_id IS NULL")
    assert missing.count("*").fetchall() == [(0,)]


def test_a_page_ingested_at_is_naive_utc_like_every_curated_timestamp(tmp_path):
    world = World()
    world.clock.current = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    page = world.page("QID-1", DAYS[:1])

    section = world.service().curate(page)

    assert section is not None
    rows = world.parquet(section["tables"][0]["key"], tmp_path)
    assert rows.select("ingested_at").fetchall() == [(datetime(2026, 11, 27, 23, 30),)]


def test_an_empty_page_is_an_empty_table_file():
    world = World()

    section = world.service().curate(world.page("QID-0", []))

    assert section is not None
    assert (section["tables"][0]["rows"], section["tables"][0]["parseFailures"]) == (0, {})
    assert world.lake.exists(section["tables"][0]["key"])


def test_a_line_that_is_not_json_is_a_curate_error_naming_it_and_the_manifest_stays():
    world = World()
    page = world.page("QID-1", DAYS[:1])
    world.lake.put(page["key"], [b'{"startDate": "2026-11-20"}\n{not json\n'], "application/jsonl")

    with pytest.raises(CurateError, match=r"reading the lines of raw\.jsonl failed: line 2: "):
        world.service().curate(page)

    own = kiosk_lake.manifest_key(kiosk_lake.page_key_of(page), "QID-1")
    assert world.lake.get_manifest(own) == page
