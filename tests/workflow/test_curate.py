"""CurateReport in the deployed ingest-report, executed by moto with the real handlers and
DuckDB in-process: the Parquet file lands in S3 under curated/, a failure ends the execution
in CurateFailed with the raw file and manifest kept, and reconcile curates such a report again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from dependency_injector import providers

from domain.curating import CurateError
from handlers import curate_report
from localcloud.cloud import DEMO_SPEC, LocalCloud
from sandbox.simulator import SimulatorConfig
from wiring import runtime

pytestmark = pytest.mark.timeout(180)

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"  # stored, but no curated table takes it


class FailingEngine:
    """DuckDB out of disk: the engine's error, and nothing written."""

    def record_fields(self, source, record_path):
        raise CurateError("no space left on device")

    def curate(self, job):
        raise CurateError(f"curating {job.table.name}: no space left on device")


@pytest.fixture(scope="module")
def cloud():
    spec = replace(
        DEMO_SPEC,
        name="curate",
        reports=tuple({"type": t} for t in (LISTINGS, ORDERS, REIMBURSEMENTS)),
    )
    fast = {op: (20.0, 20) for op in ("getReports", "createReport", "getReportDocument")}
    with LocalCloud(spec, SimulatorConfig(processing_seconds=0.1, rate_limits=fast)) as running:
        running.invoke("subscribe", {})  # notifications start the ingests
        yield running


@pytest.fixture
def failing_curation(cloud):
    """The real curate handler, its engine failing, for one test."""

    def handler(event, context):
        built = runtime.container(curate_report.FUNCTION)
        built.curate_engine.override(providers.Object(FailingEngine()))
        try:
            return curate_report.lambda_handler(event, context)
        finally:
            built.curate_engine.reset_override()

    cloud.dispatcher.overrides["curate_report"] = handler
    yield
    cloud.dispatcher.overrides.clear()


def _ingest(cloud, report_type):
    """Request one report, let its notification start the ingest; that ingest, finished."""
    requested = cloud.wait(cloud.start("request-reports", {"reportTypes": [report_type]}))
    assert requested.status == "SUCCEEDED", requested.cause
    [report] = requested.output["reports"]
    cloud.settle(timeout=120)
    [ingest] = [
        e for e in cloud.executions() if (e.input or {}).get("reportId") == report["reportId"]
    ]
    return ingest


def _keys(cloud, report_id):
    return sorted(o["Key"] for o in cloud.objects() if f"/{report_id}." in o["Key"])


def _get(cloud, key):
    s3 = cloud.session.client("s3")
    return s3.get_object(Bucket=cloud.stack.bucket, Key=key)


def test_ingest_report_curates_a_stored_listings_report_into_parquet_in_s3(cloud):
    ingest = _ingest(cloud, LISTINGS)

    assert ingest.status == "SUCCEEDED", ingest.cause
    report_id = ingest.input["reportId"]
    assert ingest.output["stored"]["curate"] is True
    [table] = ingest.output["curated"]["tables"]
    assert table["table"] == "merchant_listings"
    assert table["key"].startswith("curated/merchant_listings/seller_id=")
    assert table["key"].endswith(f"/{report_id}.parquet")
    assert table["rows"] > 0
    assert [k.split("/")[0] for k in _keys(cloud, report_id)] == ["curated", "manifests", "raw"]
    parquet = _get(cloud, table["key"])
    assert parquet["Body"].read(4) == b"PAR1"
    assert parquet["SSEKMSKeyId"] == cloud.stack.key_arn
    [manifest_key] = [k for k in _keys(cloud, report_id) if k.startswith("manifests/")]
    manifest = json.loads(_get(cloud, manifest_key)["Body"].read())
    assert manifest["curated"]["tables"] == [table]


def test_a_type_without_curated_tables_is_stored_and_never_reaches_curate_report(cloud):
    calls = cloud.dispatcher.calls.get("curate_report", 0)

    ingest = _ingest(cloud, REIMBURSEMENTS)

    assert ingest.status == "SUCCEEDED", ingest.cause
    assert ingest.output["stored"]["curate"] is False
    assert ingest.output["curated"] is None
    assert cloud.dispatcher.calls.get("curate_report", 0) == calls


def test_a_failing_curation_ends_in_curate_failed_and_reconcile_curates_it_again(
    cloud, failing_curation
):
    ingest = _ingest(cloud, ORDERS)

    # Visible: a distinct error, the engine's cause, and the report still in the lake.
    assert ingest.status == "FAILED"
    assert ingest.error == "CurateFailedError"
    assert json.loads(ingest.cause)["errorType"] == "CurateError"
    report_id = ingest.input["reportId"]
    keys = _keys(cloud, report_id)
    assert [k.split("/")[0] for k in keys] == ["manifests", "raw"]
    manifest_key = keys[0]
    manifest = json.loads(_get(cloud, manifest_key)["Body"].read())
    assert "curated" not in manifest

    # Later, the engine mended: a sweep past the grace period curates it, asynchronously.
    cloud.dispatcher.overrides.clear()
    earlier = cloud.clock.now() - timedelta(hours=2)
    manifest["ingestedAt"] = earlier.isoformat().replace("+00:00", "Z")
    cloud.session.client("s3").put_object(
        Bucket=cloud.stack.bucket, Key=manifest_key, Body=json.dumps(manifest).encode()
    )
    swept = cloud.invoke("reconcile", {"reportTypes": [ORDERS]})
    cloud.settle()

    assert swept["curating"] == 1
    curated = json.loads(_get(cloud, manifest_key)["Body"].read())["curated"]
    [table] = curated["tables"]
    assert table["table"] == "orders"
    assert table["key"] in _keys(cloud, report_id)
