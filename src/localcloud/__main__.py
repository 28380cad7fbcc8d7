"""`make demo-aws`: subscribe, request a seller's and a vendor's reports and the seller's Data Kiosk
query, ingest them on moto."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.graphql_queries import GraphQlQueryValidator, query_files
from domain.datakiosk.definitions import QueryDefinition, parse_queries
from domain.planning import Seller
from localcloud.cloud import DEMO_SPEC, LocalCloud
from localcloud.dispatch import FunctionStats
from localcloud.executions import Execution


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second (waits, retries, the simulator's clock)",
    )
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    # The functions' JSON logs go to stdout as in Lambda; the demo shows the tables instead.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    console = Console()
    with console.status("starting moto, the SP-API simulator and the stack…"):
        spec = replace(DEMO_SPEC, queries=demo_queries())
        cloud = LocalCloud(spec, time_scale=args.time_scale, poll_queue=True).__enter__()
    try:
        console.print(
            f"moto server {cloud.moto_url} · SP-API simulator {cloud.sim_server.url}"
            f" · time × {args.time_scale:g}"
        )
        subscribed = cloud.invoke("subscribe", {})
        console.print(
            f"[cyan]subscribe[/] destination {subscribed.get('destinationId')}, "
            f"{partners_summary(subscribed.get('subscriptions', []))}"
        )
        started = time.monotonic()
        with console.status("request-reports running…"):
            requested = cloud.wait(cloud.start("request-reports", {}))
        output = requested.output or {}
        console.print(
            f"[cyan]request-reports[/] {requested.status}: "
            f"{len(output.get('reports', []))} reports requested, "
            f"{len(output.get('failures', []))} failures"
        )
        with console.status("notifications → process_notification → ingest-report…"):
            ingests = cloud.settle(timeout=120)
        with console.status("request-queries, then ingest-query page by page…"):
            queried = cloud.wait(cloud.start("request-queries", {}))
            cloud.settle(timeout=120)  # until the last page's notification has come and gone
            pages = cloud.executions("ingest-query")
        created = (queried.output or {}).get("created", [])
        console.print(
            f"[cyan]request-queries[/] {queried.status}: {len(created)} Data Kiosk queries created"
        )
        ingests = [*ingests, queried, *pages]
        console.print(executions_table([requested, *ingests]))
        console.print(functions_table(cloud.dispatcher.stats()))
        objects = cloud.objects()
        console.print(objects_table(objects, cloud.stack.key_arn))
        elapsed = time.monotonic() - started
        ok = requested.status == "SUCCEEDED" and all(e.status == "SUCCEEDED" for e in ingests)
        ok = ok and len(pages) >= 2  # the demo query has two pages
        console.print(
            f"{'[green]all executions succeeded' if ok else '[red]some executions failed'}[/]"
            f" · {len(objects)} objects in s3://{cloud.stack.bucket} · {elapsed:.1f} s"
        )
        return 0 if ok and objects else 1
    finally:
        cloud.close()


def demo_queries() -> tuple[QueryDefinition, ...]:
    """The committed sales-and-traffic-by-date query, for the demo seller, validated as a stack
    file's would be."""
    root = Path(__file__).resolve().parents[2]
    demo = DEMO_SPEC.sellers[0]
    seller = Seller(demo["name"], demo["sellerId"], tuple(demo["marketplaces"]))
    raw = [{"name": "sales_traffic_by_date", "file": "queries/sales_traffic_by_date.graphql",
            "window": "P3D"}]  # fmt: skip
    return parse_queries(raw, "queries", [seller], query_files(root), GraphQlQueryValidator())


def partners_summary(subscriptions: list[dict[str, Any]]) -> str:
    """The partners subscribed, counted by kind: "subscriptions for 1 seller, 1 vendor"."""
    kinds = [str(s.get("kind") or "seller") for s in subscriptions]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
    return f"subscriptions for {counts or 'no partner'}"


def executions_table(executions: list[Execution]) -> Table:
    table = Table(title="Step Functions executions", title_justify="left")
    for column in ("execution", "status", "result"):
        table.add_column(column, overflow="fold")
    for execution in executions:
        result = execution.cause or execution.error or ""
        if isinstance(execution.output, dict) and "stored" in execution.output:
            stored = execution.output["stored"] or {}
            result = (
                f"{stored.get('outcome')} rows={stored.get('rows')} bytes={stored.get('bytes')}"
            )
            result += curated_summary(execution.output.get("curated"))
        elif isinstance(execution.output, dict) and "reports" in execution.output:
            output = execution.output
            result = f"{len(output['reports'])} reports, {len(output['failures'])} failures"
        colour = "green" if execution.status == "SUCCEEDED" else "red"
        table.add_row(execution.name, f"[{colour}]{execution.status}[/]", result)
    return table


def curated_summary(curated: Any) -> str:
    """What CurateReport wrote: rows per table, or that a table was refused."""
    tables = curated.get("tables") if isinstance(curated, dict) else None
    if not tables:
        return ""
    parts = [
        f"{t['table']}={t['rows']}" if t.get("key") else f"{t['table']} refused" for t in tables
    ]
    return " · curated " + ", ".join(parts)


def functions_table(stats: dict[str, FunctionStats]) -> Table:
    table = Table(title="Lambda functions", title_justify="left")
    columns = ("invocations", "errors", "throttles", "peak_concurrency", "cold_starts")
    table.add_column("function")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for name, counts in stats.items():
        table.add_row(name, *(str(getattr(counts, column)) for column in columns))
    return table


def objects_table(objects: list[dict[str, Any]], key_arn: str) -> Table:
    table = Table(title="S3 objects (SSE-KMS with the stack key)", title_justify="left")
    for column in ("key", "bytes", "encryption"):
        table.add_column(column, overflow="fold")
    for item in objects:
        encrypted = item.get("ServerSideEncryption", "none")
        with_key = "stack key" if item.get("SSEKMSKeyId") == key_arn else item.get("SSEKMSKeyId")
        table.add_row(item["Key"], f"{item['Size']:,}", f"{encrypted} ({with_key})")
    return table


if __name__ == "__main__":
    sys.exit(main())
