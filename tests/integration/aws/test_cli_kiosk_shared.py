"""`run --query` beside a deployment: with its rate-limit table, the CLI takes the same Data
Kiosk creation leases as the deployed functions, so together they never overrun a partner."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from handlers.cli import execute
from handlers.cli_kiosk import run_queries
from handlers.cli_run import RunArgs
from tests.integration.aws.conftest import RATE_LIMIT_TABLE, MotoServer
from tests.integration.spapi_wiring import credentials_env, quicken

ROOT = Path(__file__).resolve().parents[3]
SALES_FILE = str(ROOT / "queries" / "sales_traffic_by_date.graphql")


@pytest.fixture
def table(
    dynamodb: Callable[[], Any], monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer
) -> Any:
    """The deployment's rate-limit table, where the CLI's own boto3 clients go too."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    return dynamodb()


def _run_query(sim: Any, lake: Path) -> int:
    args = RunArgs(
        lake=str(lake),
        endpoint=sim.url,
        lwa_endpoint=sim.token_url,
        region="NA",
        seller_id=sim.seller_id,
        marketplaces=["ATVPDKIKX0DER"],
        queries=[SALES_FILE],
        since="2025-06-01",
        until="2025-06-07",
        rate_limit_table=RATE_LIMIT_TABLE,
    )
    console = Console(file=io.StringIO(), width=250)
    return execute(lambda: run_queries(args, console, credentials_env(sim), tune=quicken))


def _lease(table: Any, seller_id: str) -> dict[str, Any]:
    key = {"bucket": {"S": f"{seller_id}#createQuery-lock"}}
    return dict(table.get_item(TableName=RATE_LIMIT_TABLE, Key=key).get("Item", {}))


def test_a_query_run_takes_and_frees_the_deployments_creation_lease(simulator, table, tmp_path):
    code = _run_query(simulator, tmp_path / "lake")

    lease = _lease(table, simulator.seller_id)
    assert code == 0
    assert len(simulator.sim.kiosk_queries(simulator.seller_id)) == 2  # both pages created
    assert lease, "the CLI never took the deployment's lease"
    assert float(lease["lease_until"]["N"]) == 0  # and freed it when it had created


def test_a_query_run_waits_while_a_deployed_function_holds_the_lease(simulator, table, tmp_path):
    # given a Lambda creating for the same seller, its lease running for another 1.5 s
    held_until = time.time() + 1.5
    table.put_item(
        TableName=RATE_LIMIT_TABLE,
        Item={
            "bucket": {"S": f"{simulator.seller_id}#createQuery-lock"},
            "holder": {"S": "a-lambda"},
            "lease_until": {"N": f"{held_until:.6f}"},
            "expires_at": {"N": str(int(held_until) + 86_400)},
        },
    )

    # when the CLI runs the query
    code = _run_query(simulator, tmp_path / "lake")

    # then it created nothing before the lease lapsed, and then every page
    created = sorted(q.created for q in simulator.sim.kiosk_queries(simulator.seller_id))
    assert code == 0
    assert len(created) == 2
    assert created[0] >= held_until
