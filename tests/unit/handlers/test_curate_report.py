"""curate_report: a stored report's raw file becomes Parquet in curated/, and its manifest says
so; what cannot be curated is said in the manifest, and a failure keeps raw and manifest."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from dependency_injector import providers

from adapters.duckdb_curate import DuckDbCurateEngine
from adapters.file_lake import FileLake
from domain.curating import CurateError, CurateService
from domain.errors import ConfigError
from domain.lake import curated_key, data_key, manifest, manifest_key, report_of
from domain.model import Outcome, Report, ReportStatus
from domain.ports import Curated, CurateJob
from handlers import curate_report
from tests.unit.handlers.conftest import DE, LISTINGS, SELLER, assert_fields
from wiring import runtime
from wiring.cloud_config import load
from wiring.payloads import PayloadError

RESULT_FIELDS = ("manifestKey", "curatedAt", "tables")
LISTINGS_TSV = (
    "item-name\tseller-sku\tprice\tquantity\nCrème brûlée\tDE-1\t5.00\t3\nÉté\tDE-2\tseven\t\n"
)
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"  # stored, but no curated table takes it


class FailingEngine:
    """DuckDB running out of disk, say: the engine's error, and nothing written."""

    def record_fields(self, source: Path, record_path: str) -> tuple[str, ...]:
        raise CurateError("no space left on device")

    def curate(self, job: CurateJob) -> Curated:
        raise CurateError(f"curating {job.table.name}: no space left on device")


@pytest.fixture
def lake(world, tmp_path) -> FileLake:
    """A lake on local disk (DuckDB reads and writes files), and the real engine configured as
    the environment would, at test size."""
    files = FileLake(tmp_path / "lake")
    world.container.lake.override(providers.Object(files))
    world.configure(curate_memory_mb=256, curate_threads=1)
    return files


def stored(world, lake: FileLake, text: str, report_type: str = LISTINGS) -> str:
    """A DONE report whose document StoreReport put in raw/, with its manifest; its key."""
    report = Report(
        seller_id=SELLER,
        report_id="54517018502",
        report_type=report_type,
        status=ReportStatus.DONE,
        created_time=world.clock.now(),
        marketplace_ids=(DE,),
        data_start=datetime(2026, 11, 26, tzinfo=world.clock.now().tzinfo),
        document_id="amzn1.spdoc.1.4.eu.54517018502",
    )
    lake.put(data_key(report), [text.encode()], "text/tab-separated-values")
    body = manifest(
        report,
        Outcome.STORE_DOCUMENT,
        stored_key=data_key(report),
        download=None,
        ingested_at=world.clock.now(),
    )
    lake.put_manifest(manifest_key(report), body)
    return manifest_key(report)


def contents(tmp_path: Path) -> dict[str, bytes]:
    """Every object of the `lake` fixture's lake, by key."""
    root = tmp_path / "lake"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def parquet_rows(lake: FileLake, key: str) -> list[tuple]:
    query = "SELECT seller_sku, price, quantity, seller_id FROM read_parquet(?) ORDER BY 1"
    return duckdb.execute(query, [lake.uri(key).removeprefix("file://")]).fetchall()


def test_a_stored_listings_report_lands_as_parquet_and_its_manifest_says_so(
    world, lake, context, captured
):
    key = stored(world, lake, LISTINGS_TSV)

    result = curate_report.lambda_handler({"manifestKey": key}, context)

    assert_fields(result, RESULT_FIELDS)
    [table] = result["tables"]
    expected_key = curated_key("merchant_listings", report_of(lake.get_manifest(key)))
    assert (table["table"], table["key"], table["rows"]) == ("merchant_listings", expected_key, 2)
    assert table["parseFailures"] == {"price": 1}  # "seven" is NULL, and counted
    assert [
        (sku, str(price), qty, seller)
        for sku, price, qty, seller in parquet_rows(lake, expected_key)
    ] == [
        ("DE-1", "5.00", 3, SELLER),
        ("DE-2", "None", None, SELLER),
    ]
    assert lake.get_manifest(key)["curated"] == {
        "curatedAt": result["curatedAt"],
        "tables": result["tables"],
    }
    metrics = captured.metrics()
    assert (metrics["ReportsCurated"], metrics["RowsCurated"], metrics["TablesRefused"]) == (
        1,
        2,
        0,
    )


def test_curating_again_rewrites_the_same_key_with_the_same_rows(world, lake, context):
    key = stored(world, lake, LISTINGS_TSV)
    [table] = curate_report.lambda_handler({"manifestKey": key}, context)["tables"]
    before = parquet_rows(lake, table["key"])

    again = curate_report.lambda_handler({"manifestKey": key}, context)

    assert [t["key"] for t in again["tables"]] == [table["key"]]
    assert parquet_rows(lake, table["key"]) == before


def test_an_unmappable_header_is_refused_in_the_manifest_and_the_raw_file_stays(
    world, lake, context, captured, tmp_path
):
    key = stored(world, lake, "a\tb\n1\t2\n")
    raw = {k: v for k, v in contents(tmp_path).items() if k.startswith("raw/")}

    result = curate_report.lambda_handler({"manifestKey": key}, context)

    [table] = result["tables"]
    assert table["key"] is None
    assert "expected" in table["refused"]
    after = contents(tmp_path)
    assert {k: v for k, v in after.items() if k.startswith("raw/")} == raw
    assert not [k for k in after if k.startswith("curated/")]
    assert lake.get_manifest(key)["curated"]["tables"] == [table]
    assert captured.metrics()["TablesRefused"] == 1


def test_a_type_the_registry_does_not_know_gets_no_tables_and_an_unchanged_manifest(
    world, lake, context, captured, tmp_path
):
    key = stored(world, lake, "sku\tamount\nX\t1\n", report_type=REIMBURSEMENTS)
    before = contents(tmp_path)

    result = curate_report.lambda_handler({"manifestKey": key}, context)

    assert result == {"manifestKey": key, "curatedAt": None, "tables": []}
    assert contents(tmp_path) == before
    assert captured.metrics()["ReportsCurated"] == 0


def test_an_engine_failure_raises_by_its_class_and_keeps_raw_and_manifest(
    world, lake, context, tmp_path
):
    world.container.curate_engine.override(providers.Object(FailingEngine()))
    key = stored(world, lake, LISTINGS_TSV)
    before = contents(tmp_path)

    with pytest.raises(CurateError, match="no space left"):
        curate_report.lambda_handler({"manifestKey": key}, context)

    assert contents(tmp_path) == before


@pytest.mark.parametrize("event", [{}, {"manifestKey": ""}, {"manifestKey": 7}])
def test_an_event_without_a_manifest_key_is_a_payload_error(world, context, event):
    with pytest.raises(PayloadError, match="manifestKey"):
        curate_report.lambda_handler(event, context)


def test_a_manifest_that_is_not_there_is_named_in_one_line(world, context):
    key = "manifests/report_type=X/seller_id=S/dt=2026-11-26/1.json"

    with pytest.raises(PayloadError) as raised:
        curate_report.lambda_handler({"manifestKey": key}, context)

    assert str(raised.value) == f"no manifest at {key}: the report is not stored"


def test_the_curate_function_needs_only_the_bucket_and_the_key_and_bounds_duckdb(monkeypatch):
    environ = {
        "SPAPI_LAKE_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/test",
        "SPAPI_LAKE_BUCKET": "spapi-lake-test-lake",
        "SPAPI_LAKE_CURATE_MEMORY_MB": "1536",
        "SPAPI_LAKE_CURATE_THREADS": "3",
    }

    config = load(environ, "curate_report")

    assert (config.curate_memory_mb, config.curate_threads) == (1536, 3)
    with pytest.raises(ConfigError, match=r"^SPAPI_LAKE_CURATE_THREADS='all' is not a positive"):
        load({**environ, "SPAPI_LAKE_CURATE_THREADS": "all"}, "curate_report")
    runtime.reset()
    for name, value in {**environ, "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    try:
        built = runtime.container("curate_report")
        assert isinstance(built.curate_engine(), DuckDbCurateEngine)
        assert isinstance(built.curator(), CurateService)
    finally:
        runtime.reset()
