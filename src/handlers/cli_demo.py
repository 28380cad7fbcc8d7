"""`spapi-lake demo` and `spapi-lake sandbox`: the bundled simulator, for trying it offline."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from dependency_injector import providers
from rich.console import Console

from adapters.env_credentials import StaticCredentials
from adapters.graphql_queries import GraphQlQueryValidator
from adapters.system_clock import SystemClock
from domain import registry
from domain.datakiosk.definitions import QUERIES_DIR, window_dates
from domain.datakiosk.running import plan_query
from domain.marketplaces import Region
from domain.model import PartnerKind
from domain.planning import ReportConfig, Seller, plan
from domain.waiting import PollPolicy
from handlers.cli_kiosk import run_jobs
from handlers.cli_kiosk_plan import QueryJob, resolve_query
from handlers.cli_run import ingest_with_progress, local_container
from sandbox.server import serve, serve_forever
from sandbox.settings import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    DEMO_SELLER_ID,
    DEMO_VENDOR_ID,
    DEMO_VENDOR_MARKETPLACE,
    DEMO_VENDOR_REFRESH_TOKEN,
)
from sandbox.simulator import Simulator, SimulatorConfig
from wiring.container import GIB, LocalContainer

DEMO_MARKETPLACES = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")  # US, CA

DEMO_REPORTS = (
    ReportConfig("GET_MERCHANT_LISTINGS_ALL_DATA"),
    ReportConfig("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", window=timedelta(days=7)),
    ReportConfig(
        "GET_SALES_AND_TRAFFIC_REPORT",
        window=timedelta(days=7),
        options=(("asinGranularity", "CHILD"), ("dateGranularity", "DAY")),
    ),
    # The vendor's: the last two whole weeks (Sunday..Saturday) Amazon has, in one request.
    ReportConfig(
        "GET_VENDOR_SALES_REPORT",
        window=timedelta(days=14),
        options=(
            ("distributorView", "MANUFACTURING"),
            ("reportPeriod", "WEEK"),
            ("sellingProgram", "RETAIL"),
        ),
    ),
)
VENDOR_EXAMPLE = "SELECT * FROM vendor_sales_by_asin_latest LIMIT 5"
# The Data Kiosk query the demo runs (two pages on the simulator), and a look at its rows.
DEMO_KIOSK_QUERY = "sales_traffic_by_date"
KIOSK_TABLE = "kiosk_sales_traffic_by_date"
KIOSK_EXAMPLE = (
    "SELECT query_id, start_date, marketplace_id, sales_units_ordered AS units, "
    "sales_ordered_product_sales_amount AS sales FROM kiosk_sales_traffic_by_date_latest "
    "ORDER BY marketplace_id DESC, start_date LIMIT 14"
)


def run_demo(lake: Path, console: Console, processing_seconds: float = 2.0) -> bool:
    """Serve the simulator on a free loopback port and ingest seven reports from it into `lake`:
    six of a seller in two marketplaces, and a vendor's weekly sales; then the seller's sales
    and traffic by day through Data Kiosk, a query of two pages."""
    simulator = Simulator(SimulatorConfig(processing_seconds=processing_seconds))
    with serve(simulator) as server:
        console.print(f"SP-API simulator listening on {server.url} (offline, nothing leaves)")
        container = local_container(lake, server.url, f"{server.url}/auth/o2/token", GIB)
        tokens = {DEMO_SELLER_ID: DEMO_REFRESH_TOKEN, DEMO_VENDOR_ID: DEMO_VENDOR_REFRESH_TOKEN}
        container.credentials.override(
            providers.Object(StaticCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, tokens))
        )
        container.poll_policy.override(
            providers.Object(PollPolicy(first_interval=1.0, factor=1.5, max_interval=5.0))
        )
        partners = [
            Seller("demo", DEMO_SELLER_ID, DEMO_MARKETPLACES),
            Seller("demo-vendor", DEMO_VENDOR_ID, (DEMO_VENDOR_MARKETPLACE,), PartnerKind.VENDOR),
        ]
        planned = plan(partners, DEMO_REPORTS, until=SystemClock().now())
        for note in planned.notes:
            console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
        ok = ingest_with_progress(container, list(planned.requests), console)
        ok = _run_query(container, partners[0], console) and ok
    console.print(f"Reports, query pages, manifests and UTF-8 text are under {lake.resolve()}")
    _show_example(lake, console)
    return ok


def _run_query(container: LocalContainer, seller: Seller, console: Console) -> bool:
    """The seller's sales and traffic of the last seven days, from queries/<DEMO_KIOSK_QUERY>."""
    # queries/ is in the project directory (`make demo`), else in this source checkout.
    roots = (Path.cwd(), Path(__file__).resolve().parents[2])
    root = next(
        (r for r in roots if (r / QUERIES_DIR / f"{DEMO_KIOSK_QUERY}.graphql").is_file()), None
    )
    if root is None:  # installed without the repository: nothing to run
        console.print(
            f"[yellow]note:[/] no {QUERIES_DIR}/{DEMO_KIOSK_QUERY}.graphql here: no query"
        )
        return True
    definition = resolve_query(DEMO_KIOSK_QUERY, None, root, GraphQlQueryValidator(), [seller])
    start, end = window_dates(timedelta(days=7), SystemClock().now())
    planned = plan_query(definition, seller.seller_id, start, end, seller.marketplace_ids)
    console.print()
    console.print("Data Kiosk: the same seller's sales and traffic by day, page by page")
    return run_jobs(container, [QueryJob(planned, start, end)], console)


def _show_example(lake: Path, console: Console) -> None:
    """Ends the demo with what the lake is for: a question answered by SQL."""
    try:
        from adapters.duckdb_query import DuckDbLakeQuery
        from handlers.cli_query import print_sample, print_table
    except ImportError:  # no DuckDB: the reports stay raw, and there is nothing to query
        return
    console.print()
    print_sample(lake, console)
    example = "SELECT marketplace_id, count(*) FROM merchant_listings GROUP BY 1"
    console.print(
        f'Ask your own: spapi-lake query --lake {lake} "{example}"'
        "  (`spapi-lake tables` lists the tables)",
        highlight=False,
        soft_wrap=True,
    )
    if any(t.name == "vendor_sales_by_asin" for t in registry.tables()):
        console.print(
            f'The vendor\'s weekly sales: spapi-lake query --lake {lake} "{VENDOR_EXAMPLE}"',
            highlight=False,
            soft_wrap=True,
        )
    if any(t.name == KIOSK_TABLE for t in registry.tables()):
        console.print()
        with DuckDbLakeQuery(lake) as engine:
            title = "Sales and traffic per day and marketplace, newest rows, typed"
            print_table(engine.query(KIOSK_EXAMPLE), console, title=title)
        console.print(
            f'The same: spapi-lake query --lake {lake} "{KIOSK_EXAMPLE}"',
            highlight=False,
            soft_wrap=True,
        )


def serve_sandbox(port: int, console: Console, stop: threading.Event | None = None) -> None:
    def ready(url: str) -> None:
        console.print(f"SP-API simulator at {url}")
        console.print(f"  LWA token endpoint  {url}/auth/o2/token")
        console.print(f"  client id           {DEMO_CLIENT_ID}")
        console.print(f"  client secret       {DEMO_CLIENT_SECRET}")
        console.print(f"  refresh token       {DEMO_REFRESH_TOKEN} (seller {DEMO_SELLER_ID})")
        console.print(
            f"  vendor token        {DEMO_VENDOR_REFRESH_TOKEN} (vendor {DEMO_VENDOR_ID}, "
            f"marketplace {DEMO_VENDOR_MARKETPLACE})"
        )
        console.print(f"  e.g. spapi-lake run --endpoint {url} --region {Region.NA.name} …")
        console.print("Ctrl-C stops it.")

    serve_forever(port, on_ready=ready, stop=stop)
