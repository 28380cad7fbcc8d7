"""CurateService on a FileLake with the DuckDB engine, and the FileLake methods it uses."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from adapters.duckdb_curate import DuckDbCurateEngine
from adapters.file_lake import FileLake
from domain.curating import BackfillSummary, CurateService
from domain.lake import data_key, manifest, manifest_key
from domain.model import Outcome, Report, ReportStatus
from tests.fakes import FakeClock

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
DOCUMENT = (
    "item-name\tseller-sku\tprice\tquantity\topen-date\n"
    '"Mug\tSKU-1\t12,50\t3\t26.11.2026 10:00:00 MEZ\n'
    "Cup\tSKU-2\t1.234,00\t\t26.11.2026 11:00:00 MEZ\n"
)


def stored(lake: FileLake, report_id: str, body: str = DOCUMENT, marketplace="A1PA6795UKMFR9"):
    start = datetime(2026, 11, 26, tzinfo=UTC)
    report = Report(
        "A3TH9S8BH6GOGM", report_id, LISTINGS, ReportStatus.DONE, start, (marketplace,), start
    )
    lake.put(data_key(report), [body.encode()], "text/tab-separated-values")
    body_ = manifest(
        report,
        Outcome.STORE_DOCUMENT,
        stored_key=data_key(report),
        download=None,
        ingested_at=start,
    )
    lake.put_manifest(manifest_key(report), body_)
    return manifest_key(report), body_


@pytest.fixture
def lake(tmp_path) -> FileLake:
    return FileLake(tmp_path / "lake")


def service(lake: FileLake, tmp_path) -> CurateService:
    engine = DuckDbCurateEngine(memory_limit="256MB")
    return CurateService(lake, engine, FakeClock(), tmp_path / "scratch")


def test_a_german_listings_report_lands_as_typed_parquet_in_the_lake(lake, tmp_path):
    (tmp_path / "scratch").mkdir()
    key, body = stored(lake, "1001")

    section = service(lake, tmp_path).curate(body)

    assert section is not None
    [entry] = section["tables"]
    assert entry["rows"] == 2
    assert entry["parseFailures"] == {}
    parquet = lake._path(entry["key"])
    found = duckdb.sql(
        f"SELECT item_name, price, quantity, open_date, marketplace_id "  # noqa: S608
        f"FROM read_parquet('{parquet}', hive_partitioning = false) ORDER BY seller_sku"
    ).fetchall()
    assert found == [
        ('"Mug', Decimal("12.50"), 3, datetime(2026, 11, 26, 9), "A1PA6795UKMFR9"),
        ("Cup", Decimal("1234.00"), None, datetime(2026, 11, 26, 10), "A1PA6795UKMFR9"),
    ]
    assert lake.get_manifest(key) == {**body, "curated": section}
    assert list((tmp_path / "scratch").iterdir()) == []


def test_backfill_curates_what_the_lake_lists(lake, tmp_path):
    (tmp_path / "scratch").mkdir()
    stored(lake, "1001")
    stored(lake, "1002", body="a\tb\n1\t2\n")

    summary = service(lake, tmp_path).backfill()

    assert summary == BackfillSummary(curated=1, refused=1, skipped=0)
    assert len(list((tmp_path / "lake" / "curated").rglob("*.parquet"))) == 1


def test_fetch_to_copies_an_object_to_a_local_file(lake, tmp_path):
    lake.put("raw/a.tsv", [b"x\ty\n", b"1\t2\n"], "text/plain")
    target = tmp_path / "local.tsv"

    assert lake.fetch_to("raw/a.tsv", target) == 8
    assert target.read_bytes() == b"x\ty\n1\t2\n"


def test_fetch_to_says_when_there_is_no_object(lake, tmp_path):
    with pytest.raises(FileNotFoundError):
        lake.fetch_to("raw/missing.tsv", tmp_path / "local.tsv")


def test_put_file_stores_a_local_file_whole_and_leaves_no_temporary_file(lake, tmp_path):
    local = tmp_path / "out.parquet"
    local.write_bytes(b"PAR1" + bytes(range(256)) * 4096 + b"PAR1")
    key = "curated/t/seller_id=S/dt=2026-11-26/1.parquet"

    written = lake.put_file(key, local, "application/vnd.apache.parquet")

    assert written == local.stat().st_size
    assert lake._path(key).read_bytes() == local.read_bytes()
    assert [p.name for p in lake._path(key).parent.iterdir()] == ["1.parquet"]


def test_list_manifests_yields_readable_manifests_in_key_order_by_report_type(lake):
    for report_type, report_id in (("B_TYPE", "2"), ("A_TYPE", "9"), ("A_TYPE", "1")):
        key = f"manifests/report_type={report_type}/seller_id=S/dt=2026-11-26/{report_id}.json"
        lake.put_manifest(key, {"reportId": report_id})
    broken = lake._path("manifests/report_type=A_TYPE/seller_id=S/dt=2026-11-26/5.json")
    broken.write_text("{not json")
    (broken.parent / ".7.json.abc.part").write_text(json.dumps({"reportId": "7"}))

    everything = [body["reportId"] for _, body in lake.list_manifests()]
    only_a = list(lake.list_manifests("A_TYPE"))

    assert everything == ["1", "9", "2"]
    assert [key for key, _ in only_a] == [
        "manifests/report_type=A_TYPE/seller_id=S/dt=2026-11-26/1.json",
        "manifests/report_type=A_TYPE/seller_id=S/dt=2026-11-26/9.json",
    ]
    assert list(lake.list_manifests("NO_SUCH_TYPE")) == []


def test_list_manifests_of_query_pages_yields_every_query_name_and_no_report(lake):
    lake.put_manifest("manifests/report_type=A_TYPE/seller_id=S/dt=2026-11-26/1.json", {"n": 1})
    for name, query_id in (("sales", "Q2"), ("economics", "Q9"), ("sales", "Q1")):
        key = f"manifests/query={name}/seller_id=S/dt=2026-11-26/{query_id}.json"
        lake.put_manifest(key, {"queryId": query_id})
    unfinished = lake._path("manifests/query=sales/seller_id=S/dt=2026-11-26/.Q3.json.x.part")
    unfinished.write_text(json.dumps({"queryId": "Q3"}))

    pages = [body["queryId"] for _, body in lake.list_manifests(queries=True)]

    assert pages == ["Q9", "Q1", "Q2"]  # key order: economics before sales
    assert len(list(lake.list_manifests())) == 4
