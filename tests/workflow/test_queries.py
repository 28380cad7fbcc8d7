"""Data Kiosk in the serverless flow, executed by moto with the real handlers and the simulator:
request-queries creates the first page, each page's DATA_KIOSK_QUERY_PROCESSING_FINISHED
notification starts ingest-query (store, curate, create the next page), reconcile heals a lost
notification, and no partner ever has more queries running than queryConcurrency allows."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.graphql_queries import GraphQlQueryValidator, query_files
from domain.datakiosk.definitions import parse_queries
from domain.model import PartnerKind
from domain.planning import Seller
from localcloud.cloud import DEMO_SPEC, LocalCloud
from sandbox.settings import DEMO_SELLER_ID
from sandbox.simulator import SimulatorConfig
from tests.workflow.cloud_faults import lost_notifications
from tests.workflow.moto_lambda import SECRET_MARKERS

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
BY_DATE, ECONOMICS = "sales_traffic_by_date", "economics"
SALES_DATASET = "analytics_salesAndTraffic_2024_04_24"
SELLER = Seller("demo", DEMO_SELLER_ID, ("ATVPDKIKX0DER",), PartnerKind.SELLER)


def definitions(*names: str):
    raw = [{"name": n, "file": f"queries/{n}.graphql", "window": "P3D"} for n in names]
    return parse_queries(raw, "queries", (SELLER,), query_files(ROOT), GraphQlQueryValidator())


def spec(name: str, concurrency: int = 2):
    return replace(
        DEMO_SPEC,
        name=name,
        sellers=DEMO_SPEC.sellers[:1],
        reports=({"type": "GET_MERCHANT_LISTINGS_ALL_DATA"},),
        queries=definitions(BY_DATE, ECONOMICS),
        query_concurrency=concurrency,
    )


@pytest.fixture(scope="module")
def cloud():
    config = SimulatorConfig(processing_seconds=5.0, kiosk_pages=2, kiosk_concurrency=2)
    with LocalCloud(spec("queries"), config, time_scale=20.0) as running:
        running.invoke("subscribe", {})
        yield running


def _request(cloud, queries):
    execution = cloud.wait(cloud.start("request-queries", {"queries": queries}), timeout=120)
    assert execution.status == "SUCCEEDED", execution.cause
    return [page["queryId"] for page in execution.output["created"]]


def _ingests(cloud):
    return {e.input["queryId"]: e for e in cloud.executions("ingest-query")}


def _keys(cloud, prefix):
    return sorted(o["Key"] for o in cloud.objects() if o["Key"].startswith(prefix))


def _json(cloud, key):
    body = cloud.session.client("s3").get_object(Bucket=cloud.stack.bucket, Key=key)["Body"]
    return json.loads(body.read())


def _lines(cloud, key):
    body = cloud.session.client("s3").get_object(Bucket=cloud.stack.bucket, Key=key)["Body"]
    return [json.loads(line) for line in body.read().decode().splitlines()]


def _chain(cloud, name, first_query_id):
    """The manifests of a query's pages, following nextQueryId from its first page."""
    [first] = [k for k in _keys(cloud, f"manifests/query={name}/") if first_query_id in k]
    chain = [_json(cloud, first)]
    while chain[-1]["pagination"]["nextQueryId"]:
        chain.append(_json(cloud, chain[-1]["pagination"]["nextManifest"]))
    return chain


def _no_secrets(executions):
    for execution in executions:
        text = json.dumps([execution.input, execution.output, execution.cause])
        for marker in SECRET_MARKERS:
            assert marker not in text, (execution.arn, marker)


def test_subscribe_covers_data_kiosk_notifications(cloud):
    result = cloud.invoke("subscribe", {})

    [seller] = result["subscriptions"]
    assert set(seller["notificationTypes"]) == {
        "REPORT_PROCESSING_FINISHED",
        "DATA_KIOSK_QUERY_PROCESSING_FINISHED",
    }


def test_a_notified_two_page_query_lands_both_pages_linked_and_curated(cloud):
    [first] = _request(cloud, [BY_DATE])
    cloud.settle(timeout=180)

    chain = _chain(cloud, BY_DATE, first)
    assert [m["pagination"]["page"] for m in chain] == [1, 2]
    assert [m["outcome"] for m in chain] == ["stored", "stored"]
    assert chain[1]["pagination"]["previousQueryId"] == first
    assert chain[0]["pagination"]["nextQueryId"] == chain[1]["queryId"]
    for manifest in chain:
        assert manifest["key"].startswith(f"raw/query={BY_DATE}/seller_id={DEMO_SELLER_ID}/dt=")
        assert manifest["key"].endswith(f"/{manifest['queryId']}.jsonl")
        rows = _lines(cloud, manifest["key"])
        assert len(rows) == manifest["rows"] > 0
        assert {"startDate", "marketplaceId", "sales", "traffic"} <= set(rows[0])
        assert manifest["curated"]["tables"][0]["table"] == "kiosk_sales_traffic_by_date"
        assert manifest["curated"]["tables"][0]["rows"] == manifest["rows"]
    # One ingest per page, each started by its own notification.
    ingests = _ingests(cloud)
    for manifest in chain:
        execution = ingests[manifest["queryId"]]
        assert execution.status == "SUCCEEDED", execution.cause
    assert ingests[first].output["nextQueryId"] == chain[1]["queryId"]
    assert ingests[chain[1]["queryId"]].output["nextQueryId"] is None
    curated = _keys(cloud, "curated/kiosk_sales_traffic_by_date/")
    assert {k.rsplit("/", 1)[1] for k in curated} == {f"{m['queryId']}.parquet" for m in chain}
    _no_secrets(cloud.executions("ingest-query") + cloud.executions("request-queries"))


@pytest.fixture
def switched(cloud):
    switches = cloud.simulator.kiosk_switches
    yield switches
    switches.fatal.clear()
    switches.no_data.clear()


def test_done_with_no_data_is_a_manifest_without_a_document(cloud, switched):
    switched.no_data.add(SALES_DATASET)
    [query_id] = _request(cloud, [BY_DATE])
    cloud.settle(timeout=120)

    [manifest] = _chain(cloud, BY_DATE, query_id)
    assert (manifest["outcome"], manifest["key"], manifest["dataDocumentId"]) == (
        "no-data",
        None,
        None,
    )
    assert not [k for k in _keys(cloud, "raw/") if query_id in k]
    ingest = _ingests(cloud)[query_id]
    assert ingest.status == "SUCCEEDED", ingest.cause
    assert ingest.output["curated"] is None


def test_fatal_stores_the_error_document_under_errors(cloud, switched):
    switched.fatal.add(SALES_DATASET)
    [query_id] = _request(cloud, [BY_DATE])
    cloud.settle(timeout=120)

    [manifest] = _chain(cloud, BY_DATE, query_id)
    assert manifest["outcome"] == "fatal-with-document"
    assert manifest["key"].startswith(f"errors/query={BY_DATE}/seller_id={DEMO_SELLER_ID}/")
    assert "errorMessage" in _json(cloud, manifest["key"])
    assert not [k for k in _keys(cloud, "raw/") if query_id in k]


def test_a_lost_notification_is_healed_by_reconcile(cloud):
    with lost_notifications(cloud) as dropped:
        [query_id] = _request(cloud, [ECONOMICS])
        cloud.settle(timeout=60)
    assert any(query_id in body for body in dropped)
    assert query_id not in _ingests(cloud)

    swept = cloud.invoke("reconcile", {})
    cloud.settle(timeout=180)

    assert swept["queries"]["started"] >= 1
    assert _ingests(cloud)[query_id].status == "SUCCEEDED"
    chain = _chain(cloud, ECONOMICS, query_id)
    assert [m["outcome"] for m in chain] == ["stored", "stored"]
    # Everything is in the lake now: the next sweep starts nothing.
    again = cloud.invoke("reconcile", {})
    assert again["queries"]["started"] == 0
    assert again["queries"]["inLake"] == again["queries"]["checked"] - again["queries"]["notOurs"]


def test_the_concurrency_limit_waits_and_never_exceeds_it():
    config = SimulatorConfig(processing_seconds=20.0, kiosk_pages=2, kiosk_concurrency=5)
    with LocalCloud(spec("slots", concurrency=1), config, time_scale=30.0) as cloud:
        cloud.invoke("subscribe", {})
        first_pages = _request(cloud, [BY_DATE, ECONOMICS])
        cloud.settle(timeout=240)

        queries = cloud.simulator.kiosk_queries(DEMO_SELLER_ID)
        assert len(first_pages) == 2
        assert len(queries) == 4  # two queries of two pages, all created
        spans = sorted((q.created, q.processing_end) for q in queries)
        assert all(end is not None for _, end in spans)
        # At most one non-terminal query at any time: each created after the last one ended.
        for (_, ended), (created, _) in itertools.pairwise(spans):
            assert created >= ended
        for name, query_id in zip((BY_DATE, ECONOMICS), first_pages, strict=True):
            assert [m["outcome"] for m in _chain(cloud, name, query_id)] == ["stored", "stored"]


def test_a_query_this_stack_did_not_create_is_left_alone(cloud):
    with lost_notifications(cloud):
        [query_id] = _request(cloud, [ECONOMICS])
        cloud.settle(timeout=60)
    [ledger] = [k for k in _keys(cloud, "queries/") if k.endswith(f"/{query_id}.json")]
    cloud.session.client("s3").delete_object(Bucket=cloud.stack.bucket, Key=ledger)

    execution = cloud.wait(
        cloud.start("ingest-query", {"sellerId": DEMO_SELLER_ID, "queryId": query_id}), timeout=60
    )

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"sellerId": DEMO_SELLER_ID, "queryId": query_id, "ours": False}
    assert not [k for k in _keys(cloud, "manifests/") if query_id in k]
