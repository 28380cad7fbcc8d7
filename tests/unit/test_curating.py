"""CurateService: typed tables from stored reports, recorded in their manifests."""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from domain import registry
from domain.curating import BackfillSummary, CurateError, CurateService
from domain.datakiosk import lake as kiosk_lake
from domain.datakiosk.model import KioskQuery, QueryOutcome, QueryStatus
from domain.errors import ConfigError
from domain.lake import curated_key, data_key, manifest, manifest_key
from domain.model import Download, Outcome, Report, ReportStatus
from tests.fakes import FakeClock, FakeCurateEngine, FakeLake

SELLER, US, DE = "A3TH9S8BH6GOGM", "ATVPDKIKX0DER", "A1PA6795UKMFR9"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SALES = "GET_SALES_AND_TRAFFIC_REPORT"
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"  # the registry has no table for it
HEADER = "item-name\tseller-sku\tprice\tquantity\topen-date\tbrand-new-column"
ROWS = ("Mug\tSKU-1\t12.50\t3\t2026-11-26 10:00:00 PST\tx", "Cup\tSKU-2\t4.00\t1\t\t")


@dataclass
class World:
    clock: FakeClock = field(default_factory=FakeClock)
    lake: FakeLake = field(default_factory=FakeLake)
    engine: FakeCurateEngine = field(default_factory=FakeCurateEngine)

    def service(self, workdir=None) -> CurateService:
        return CurateService(self.lake, self.engine, self.clock, workdir)

    def stored(
        self,
        report_id="54517018502",
        *,
        report_type=LISTINGS,
        body: str | None = None,
        marketplace=US,
        status=ReportStatus.DONE,
        days_ago=1,
        undecodable=False,
    ) -> dict:
        """A report in the lake as DocumentStorer leaves it: the raw document, its manifest."""
        start = datetime(2026, 11, 26, tzinfo=UTC) - timedelta(days=days_ago - 1)
        report = Report(
            SELLER,
            report_id,
            report_type,
            status,
            start + timedelta(hours=5),
            (marketplace,),
            start,
            start + timedelta(days=1),
            document_id=f"amzn1.spdoc.1.4.na.{report_id}",
        )
        key = None
        if status is ReportStatus.DONE:
            key = data_key(report)
            text = body if body is not None else "\n".join((HEADER, *ROWS)) + "\n"
            self.lake.put(key, [text.encode()], "text/tab-separated-values")
        download = Download("text/plain", "UTF-8", "UTF-8", False, undecodable, None, 1, 1, 2, "0")
        outcome = Outcome.STORE_DOCUMENT if key else Outcome.FAILED_WITHOUT_DOCUMENT
        body_ = manifest(
            report, outcome, stored_key=key, download=download, ingested_at=self.clock.now()
        )
        self.lake.put_manifest(manifest_key(report), body_)
        return body_

    def manifest_of(self, stored: dict) -> dict:
        return next(m for m in self.lake.manifests.values() if m["reportId"] == stored["reportId"])


def sales_document() -> str:
    return json.dumps(
        {
            "reportSpecification": {"reportType": SALES},
            "salesAndTrafficByDate": [
                {"date": "2026-11-26", "salesByDate": {"unitsOrdered": 3, "newMetric": 1}},
                {"date": "2026-11-27", "salesByDate": {"unitsOrdered": 5}},
            ],
            "salesAndTrafficByAsin": [{"parentAsin": "B0PARENT01", "childAsin": "B0CHILD001"}],
        }
    )


def test_a_listings_report_becomes_its_table_and_the_manifest_records_it() -> None:
    world = World()
    stored = world.stored()

    section = world.service().curate(stored)

    key = "curated/merchant_listings/seller_id=A3TH9S8BH6GOGM/dt=2026-11-26/54517018502.parquet"
    assert section == {
        "curatedAt": "2026-11-27T12:00:00Z",
        "tables": [
            {
                "table": "merchant_listings",
                "key": key,
                "rows": 2,
                "parseFailures": {},
                "headerMapping": "name",
            }
        ],
    }
    assert world.lake.objects[key].startswith(b"PAR1")
    assert world.lake.content_types[key] == "application/vnd.apache.parquet"
    assert world.manifest_of(stored) == {**stored, "curated": section}
    assert stored["key"] in world.lake.objects  # the raw document stays


def test_the_engine_gets_the_header_mapping_and_the_lineage_of_the_report() -> None:
    world = World()

    world.service().curate(world.stored(marketplace=DE))

    job = world.engine.jobs[-1]
    table = registry.table("merchant_listings")
    assert job.fields == tuple(HEADER.split("\t"))
    assert job.mapping == registry.map_headers(table, job.fields)
    assert ("brand-new-column", 5) in job.mapping.extras
    assert job.comma  # a German marketplace writes decimal commas
    lineage = job.lineage
    assert (lineage.seller_id, lineage.marketplace_id) == (SELLER, DE)
    assert (lineage.report_id, lineage.report_type) == ("54517018502", LISTINGS)
    assert lineage.data_start_time == datetime(2026, 11, 26)  # naive UTC
    assert lineage.ingested_at == datetime(2026, 11, 27, 12)
    assert lineage.dt == date(2026, 11, 26)


def test_parse_failures_the_engine_counted_are_in_the_manifest() -> None:
    world = World(engine=FakeCurateEngine(failures={"merchant_listings": {"price": 2}}))

    section = world.service().curate(world.stored())

    assert section is not None
    assert section["tables"][0]["parseFailures"] == {"price": 2}


def test_curating_again_overwrites_the_same_key_with_the_same_rows() -> None:
    world = World()
    stored = world.stored()
    first = world.service().curate(stored)
    objects_after_first = dict(world.lake.objects)
    world.clock.sleep(3600)

    second = world.service().curate(world.manifest_of(stored))

    assert first is not None
    assert second is not None
    assert second["tables"] == first["tables"]
    assert world.lake.objects == objects_after_first
    assert second["curatedAt"] == "2026-11-27T13:00:00Z"
    assert world.manifest_of(stored)["curated"] == second


def test_an_unmappable_header_is_refused_with_the_reason_and_the_raw_document_stays() -> None:
    world = World()
    stored = world.stored(body="Spalte A\tSpalte B\tSpalte C\n1\t2\t3\n")

    section = world.service().curate(stored)

    assert section is not None
    [entry] = section["tables"]
    assert entry["key"] is None
    assert entry["rows"] == 0
    assert "no header of merchant_listings recognised" in entry["refused"]
    assert "3 columns" in entry["refused"]
    assert world.engine.jobs == []
    assert list(world.lake.objects) == [stored["key"]]
    assert world.manifest_of(stored)["curated"] == section


def test_unrecognised_headers_with_the_expected_count_map_by_position() -> None:
    world = World()
    table = registry.table("merchant_listings")
    required = [c for c in table.columns if not c.optional]
    header = "\t".join(f"列{i}" for i in range(len(required)))
    stored = world.stored(body=header + "\n" + "\t".join("x" * len(required)) + "\n")

    section = world.service().curate(stored)

    assert section is not None
    assert section["tables"][0]["headerMapping"] == "position"
    assert world.engine.jobs[0].mapping.kind == "position"


def test_a_sales_and_traffic_report_feeds_two_tables_from_one_document() -> None:
    world = World()
    stored = world.stored(report_type=SALES, body=sales_document())

    section = world.service().curate(stored)

    assert section is not None
    assert [(t["table"], t["rows"], t["headerMapping"]) for t in section["tables"]] == [
        ("sales_traffic_by_date", 2, "json"),
        ("sales_traffic_by_asin", 1, "json"),
    ]
    by_date, by_asin = world.engine.jobs
    assert by_date.fields == ("date", "salesByDate.unitsOrdered", "salesByDate.newMetric")
    assert by_date.mapping.extras == (("salesByDate.newMetric", 2),)
    names = [c.name for c in by_date.table.columns]
    assert by_date.mapping.positions[names.index("sales_by_date_units_ordered")] == 1
    assert by_asin.fields == ("parentAsin", "childAsin")
    assert by_date.source == by_asin.source  # one download for both tables
    for entry in section["tables"]:
        assert world.lake.objects[entry["key"]].startswith(b"PAR1")


def test_a_report_type_the_registry_does_not_know_is_left_untouched() -> None:
    world = World()
    stored = world.stored(report_type=REIMBURSEMENTS)
    objects = dict(world.lake.objects)

    assert world.service().curate(stored) is None

    assert "curated" not in world.manifest_of(stored)
    assert world.lake.objects == objects
    assert world.engine.jobs == []


def test_a_report_without_a_stored_document_has_nothing_to_curate() -> None:
    world = World()
    stored = world.stored(status=ReportStatus.FATAL)

    assert world.service().curate(stored) is None
    assert "curated" not in world.manifest_of(stored)


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (lambda w: w.stored(undecodable=True), "not valid in its declared charset"),
        (lambda w: w.stored(body=""), "empty"),
        (lambda w: {**w.stored(), "key": "raw/gone.tsv"}, "raw/gone.tsv is missing"),
    ],
    ids=["undecodable", "empty", "missing"],
)
def test_a_document_that_cannot_be_read_is_refused_with_the_reason(setup, why) -> None:
    world = World()

    section = world.service().curate(setup(world))

    assert section is not None
    assert why in section["tables"][0]["refused"]
    assert world.engine.jobs == []


def test_an_engine_failure_propagates_and_leaves_the_manifest_and_raw_document_alone(
    tmp_path,
) -> None:
    world = World(engine=FakeCurateEngine(error=CurateError("curating failed: disk full")))
    stored = world.stored()

    with pytest.raises(CurateError, match="disk full"):
        world.service(tmp_path).curate(stored)

    assert world.manifest_of(stored) == stored
    assert list(world.lake.objects) == [stored["key"]]
    assert list(tmp_path.iterdir()) == []  # scratch space is cleaned up


def test_scratch_files_are_removed_after_curating(tmp_path) -> None:
    world = World()

    world.service(tmp_path).curate(world.stored(report_type=SALES, body=sales_document()))

    assert list(tmp_path.iterdir()) == []


def test_backfill_curates_every_stored_report_of_the_registry_types() -> None:
    world = World()
    world.stored("1001")
    world.stored("1002", body="Spalte A\tSpalte B\n1\t2\n")  # refused
    world.stored("1003", status=ReportStatus.FATAL)  # nothing to curate
    world.stored("1004", report_type=SALES, body=sales_document())
    world.stored("1005", report_type=REIMBURSEMENTS)  # not the registry's

    summary = world.service().backfill()

    assert summary == BackfillSummary(curated=2, refused=1, skipped=1)
    curated = {m["reportId"] for m in world.lake.manifests.values() if "curated" in m}
    assert curated == {"1001", "1002", "1004"}
    report = Report(
        SELLER,
        "1001",
        LISTINGS,
        ReportStatus.DONE,
        datetime.now(UTC),
        data_start=datetime(2026, 11, 26, tzinfo=UTC),
    )
    assert curated_key("merchant_listings", report) in world.lake.objects


def test_backfill_takes_reports_from_a_date_on_and_of_one_type() -> None:
    world = World()
    world.stored("2001", days_ago=5)
    world.stored("2002", days_ago=1)
    world.stored("2003", report_type=SALES, body=sales_document(), days_ago=1)

    summary = world.service().backfill(since=date(2026, 11, 25), report_type=LISTINGS)

    assert summary == BackfillSummary(curated=1, refused=0, skipped=0)
    assert [job.lineage.report_id for job in world.engine.jobs] == ["2002"]


def test_backfill_of_a_type_without_tables_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=f"{REIMBURSEMENTS} feeds no curated table.*{LISTINGS}"):
        World().service().backfill(report_type=REIMBURSEMENTS)


# Data Kiosk pages: what needs no engine (curating JSONL: tests/integration/
# test_duckdb_curate_kiosk.py, on the real one).

BY_DATE = "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate"
TRENDS = "analytics_salesAndTraffic_2024_04_24.salesAndTrafficTrends"  # no table reads it


def a_page(world: World, query_id: str, outcome: QueryOutcome, selection: str = BY_DATE) -> dict:
    """A query page in the lake as the Data Kiosk storer leaves it."""
    where = kiosk_lake.PageKey("daily_sales", SELLER, date(2026, 11, 20))
    query = KioskQuery(
        query_id=query_id,
        query="query { … }",
        created_time=world.clock.now(),
        status=QueryStatus.DONE,
        partner_id=SELLER,
    )
    key = kiosk_lake.stored_key(where, query_id, outcome)
    if key is not None:
        world.lake.put(key, [b'{"startDate":"2026-11-20"}\n'], "application/x-ndjson")
    body = kiosk_lake.manifest(
        where,
        query,
        outcome,
        selection=selection,
        link=kiosk_lake.PageLink(),
        download=None,
        ingested_at=world.clock.now(),
    )
    world.lake.put_manifest(kiosk_lake.manifest_key(where, query_id), body)
    return body


def test_a_page_of_a_selection_no_table_reads_is_left_untouched() -> None:
    world = World()
    page = a_page(world, "Q1", QueryOutcome.DATA, selection=TRENDS)
    objects, manifests = dict(world.lake.objects), dict(world.lake.manifests)

    assert world.service().curate(page) is None

    assert (world.lake.objects, world.lake.manifests) == (objects, manifests)
    assert world.engine.jobs == []


@pytest.mark.parametrize("outcome", [QueryOutcome.NO_DATA, QueryOutcome.FATAL])
def test_a_page_without_a_data_document_has_nothing_to_curate(outcome) -> None:
    world = World()
    page = a_page(world, "Q1", outcome)

    assert world.service().curate(page) is None

    assert all("curated" not in body for body in world.lake.manifests.values())
    assert world.engine.jobs == []


def test_a_page_manifest_without_its_identity_is_a_curate_error() -> None:
    world = World()
    page = {k: v for k, v in a_page(world, "Q1", QueryOutcome.DATA).items() if k != "dt"}

    with pytest.raises(CurateError, match="the manifest cannot be read"):
        world.service().curate(page)


def test_backfill_skips_pages_without_data_and_leaves_other_selections_out() -> None:
    world = World()
    a_page(world, "Q1", QueryOutcome.NO_DATA)
    a_page(world, "Q2", QueryOutcome.DATA, selection=TRENDS)

    assert world.service().backfill() == BackfillSummary(curated=0, refused=0, skipped=1)
    assert world.service().backfill(report_type=LISTINGS) == BackfillSummary()


def test_the_lake_lists_query_pages_apart_from_reports() -> None:
    world = World()
    world.stored("1001")
    a_page(world, "Q1", QueryOutcome.NO_DATA)

    pages = [key for key, _ in world.lake.list_manifests(queries=True)]

    assert pages == ["manifests/query=daily_sales/seller_id=A3TH9S8BH6GOGM/dt=2026-11-20/Q1.json"]
    assert [body["reportId"] for _, body in world.lake.list_manifests(LISTINGS)] == ["1001"]
