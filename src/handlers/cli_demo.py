"""`spapi-lake demo` and `spapi-lake sandbox`: the bundled simulator, for trying it offline."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from dependency_injector import providers
from rich.console import Console

from adapters.env_credentials import StaticCredentials
from adapters.system_clock import SystemClock
from domain.marketplaces import Region
from domain.planning import ReportConfig, Seller, plan_requests
from domain.waiting import PollPolicy
from handlers.cli_run import ingest_with_progress, local_container
from sandbox.server import serve, serve_forever
from sandbox.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, DEMO_SELLER_ID
from sandbox.simulator import Simulator, SimulatorConfig
from wiring.container import GIB

DEMO_MARKETPLACES = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")  # US, CA
DEMO_REPORTS = (
    ReportConfig("GET_MERCHANT_LISTINGS_ALL_DATA"),
    ReportConfig("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", window=timedelta(days=7)),
    ReportConfig(
        "GET_SALES_AND_TRAFFIC_REPORT",
        window=timedelta(days=7),
        options=(("asinGranularity", "CHILD"), ("dateGranularity", "DAY")),
    ),
)


def run_demo(lake: Path, console: Console, processing_seconds: float = 2.0) -> bool:
    """Serve the simulator on a free loopback port and ingest six reports from it into `lake`."""
    simulator = Simulator(SimulatorConfig(processing_seconds=processing_seconds))
    with serve(simulator) as server:
        console.print(f"SP-API simulator listening on {server.url} (offline, nothing leaves)")
        container = local_container(lake, server.url, f"{server.url}/auth/o2/token", GIB)
        container.credentials.override(
            providers.Object(
                StaticCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)
            )
        )
        container.poll_policy.override(
            providers.Object(PollPolicy(first_interval=1.0, factor=1.5, max_interval=5.0))
        )
        seller = Seller("demo", DEMO_SELLER_ID, DEMO_MARKETPLACES)
        requests = plan_requests([seller], DEMO_REPORTS, until=SystemClock().now())
        ok = ingest_with_progress(container, requests, console)
    console.print(f"Reports, manifests and UTF-8 text are under {lake.resolve()}")
    return ok


def serve_sandbox(port: int, console: Console, stop: threading.Event | None = None) -> None:
    def ready(url: str) -> None:
        console.print(f"SP-API simulator at {url}")
        console.print(f"  LWA token endpoint  {url}/auth/o2/token")
        console.print(f"  client id           {DEMO_CLIENT_ID}")
        console.print(f"  client secret       {DEMO_CLIENT_SECRET}")
        console.print(f"  refresh token       {DEMO_REFRESH_TOKEN} (seller {DEMO_SELLER_ID})")
        console.print(f"  e.g. spapi-lake run --endpoint {url} --region {Region.NA.name} …")
        console.print("Ctrl-C stops it.")

    serve_forever(port, on_ready=ready, stop=stop)
